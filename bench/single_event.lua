-- wrk script: one event per POST /v1/events over keep-alive, unique ids per thread.
-- Usage: wrk -t2 -c32 -d20s -s bench/single_event.lua http://127.0.0.1:PORT -- KEY RUN
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  key = args[1] or "herald-dev-key"
  run = args[2] or tostring(os.time())
  counter = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"id":"w-%s-%d-%d","case_id":"case-%d-%d","type":"case.status_changed",' ..
    '"occurred_at":"2026-03-02T15:04:00Z","data":{"status":"documents_requested",' ..
    '"documents":["proof_of_income","proof_of_address"],"due_date":"2026-03-16"},' ..
    '"recipient":{"email":"person%d@example.org","locale":"es-MX","timezone":"America/Chicago","channels":["email"]}}',
    run, tid, counter, tid, counter % 5000, counter % 5000)
  return wrk.format("POST", "/v1/events", headers, body)
end
