-- wrk script for bench/run_track_bench.sh: GETs the request paths of a file (one per line:
-- /o/{token} or /c/{token}, as track_bench --serve writes them) in turn, so every request
-- names a real message. Each wrk thread starts at another point of the file.
--   wrk -t2 -c32 -d20s --latency -s bench/track_paths.lua URL -- FILE
local threads_started = 0
local paths = {}
local next_index = 1
-- A mail client's user agent: the classifier then counts the opens as human ones.
local headers = {
  ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0",
}

function setup(thread)
  thread:set("thread_number", threads_started)
  threads_started = threads_started + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. args[1]) end
  next_index = ((thread_number or 0) * 7919 * 1000) % #paths + 1
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path, headers)
end

-- Counts answers other than the expected status (200 pixel, 302 click).
local unexpected = 0
function response(status, headers, body)
  if status ~= 200 and status ~= 302 then unexpected = unexpected + 1 end
end
