#include "bench/messages_bench_setup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/messages_bench_timing.h"
#include "engine/core/time_format.h"

namespace fs = std::filesystem;

namespace herald::bench {
namespace {

const char* const kLocales[] = {"en", "es", "zh-Hans", "vi", "ar"};
const char* const kRecipientLocales[] = {"en-US", "es-MX", "zh-Hans", "vi", "ar"};
const char* const kZones[] = {"America/Chicago", "America/Los_Angeles", "America/New_York",
                              "America/Detroit", "America/Denver"};
const char* const kTemplates[] = {"documents-reminder", "interview-reminder", "status-update"};

// The event that planned intent i's send (its data is also the case state the rule engine
// kept): documents requested, an interview booked, or a decision (approved or denied).
struct Planning {
  std::string type;
  nlohmann::json data;
};
Planning PlanningEvent(int tmpl, size_t i) {
  switch (tmpl) {
    case 0: {
      nlohmann::json docs = nlohmann::json::array({"proof_of_income"});
      if (i % 2 == 0) docs.push_back("proof_of_address");
      if (i % 7 == 0) docs.push_back("proof_of_identity");
      return {"case.status_changed",
              {{"program", "SNAP"},
               {"status", "documents_requested"},
               {"documents", docs},
               {"due_date", "2026-03-16"}}};
    }
    case 1: {
      nlohmann::json d = {{"program", "SNAP"},
                          {"status", "under_review"},
                          {"interview_at", "2026-03-12T15:30:00Z"},
                          {"interview_mode", i % 2 ? "phone" : "in_person"}};
      if (i % 2 == 0) d["office"] = "Dearborn Service Center";
      return {"case.interview_scheduled", d};
    }
    default:
      if (i % 4 == 3) {
        return {
            "case.status_changed",
            {{"program", "SNAP"}, {"status", "denied"}, {"denial_reason", "missing_documents"}}};
      }
      return {"case.status_changed",
              {{"program", "SNAP"},
               {"status", "approved"},
               {"benefit_amount", 100 + static_cast<int>(i % 400)},
               {"certification_end", "2027-02-28"}}};
  }
}

}  // namespace

// Setup (not measured), in batches of 1000: for each intent, the planning event in the event
// log (sync off: ingest is measured elsewhere), and in the schedule store the case view
// (state and recipient), the plan (done, planned by that event) and the outbox intent, as
// the rule engine and the timer firer leave them.
void PutIntents(RocksStore& log, ScheduleStore& sched, const std::string& target, size_t n,
                Micros now) {
  const std::string occurred_at = FormatRfc3339(now);
  for (size_t first = 0; first < n; first += 1000) {
    const size_t count = std::min<size_t>(1000, n - first);
    std::vector<Event> events;
    ScheduleBatch batch;
    for (size_t i = first; i < first + count; ++i) {
      const size_t loc = i % 5;
      const int tmpl = static_cast<int>((i / 5) % 3);
      bool email = i % 2 == 0;
      if (target == "smtp") email = true;
      if (target == "sms") email = false;
      const std::string case_id = "case-" + std::to_string(i);
      Planning planning = PlanningEvent(tmpl, i);

      Recipient r;
      r.id = "p-" + std::to_string(i);
      r.email = "p" + std::to_string(i) + "@example.org";
      char phone[32];
      std::snprintf(phone, sizeof phone, "+1312555%04zu", i % 10000);
      r.phone = phone;
      r.locale = kRecipientLocales[loc];
      r.timezone = kZones[(i / 15) % 5];

      Event e;
      e.id = "e" + std::to_string(i);
      e.case_id = case_id;
      e.type = planning.type;
      e.occurred_at = occurred_at;
      e.occurred_at_us = now;
      e.data = planning.data;
      e.recipient = r;
      events.push_back(std::move(e));

      CaseView view;
      view.case_id = case_id;
      view.state = planning.data;
      view.recipient = r;

      Plan plan;
      plan.key = PlanKey{"snap-recertification", kTemplates[tmpl], case_id};
      plan.recipient_id = r.id;
      plan.template_id = kTemplates[tmpl];
      plan.times = 1;
      plan.sent = 1;
      plan.due = plan.fire_at = now;
      plan.status = PlanStatus::kDone;
      plan.updated_at = now;

      OutboxIntent intent;
      intent.plan = plan.key;
      intent.key = OutboxKey(intent.plan, 1);
      intent.occurrence = 1;
      intent.recipient_id = r.id;
      intent.template_id = kTemplates[tmpl];
      intent.channels = {email ? "email" : "sms"};
      intent.locale = kLocales[loc];
      intent.due = now;
      intent.fired_at = now;

      batch.put_cases.push_back(std::move(view));
      batch.put_plans.push_back(std::move(plan));
      batch.put_outbox.push_back(std::move(intent));
    }
    std::vector<AppendOutcome> outcomes = Check(log.Append("bench", events), "setup append");
    for (size_t k = 0; k < count; ++k) {
      if (outcomes[k].kind != AppendOutcome::Kind::kAccepted) Die("setup: event not accepted");
      batch.put_plans[k].planned_seq = outcomes[k].seq;
      batch.put_cases[k].last_seq = outcomes[k].seq;
    }
    batch.cursor = log.LastSequence();
    Check(sched.Commit(batch), "setup commit");
  }
}

// The raw ceiling of the file connector's writes: the same syscalls, sizes and thread
// count, no engine. Returns files per second.
double RawFileCeiling(const fs::path& dir, const std::vector<uint64_t>& sizes, int threads) {
  fs::create_directories(dir);
  const uint64_t biggest = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
  const std::string payload(biggest, 'x');
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto t0 = SteadyClock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < sizes.size();) {
        const std::string name = "f" + std::to_string(i);
        const std::string temp = (dir / ("." + name + ".tmp")).string();
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
          failed = true;
          return;
        }
        size_t off = 0;
        while (off < sizes[i]) {
          const ssize_t w = ::write(fd, payload.data() + off, sizes[i] - off);
          if (w <= 0) {
            failed = true;
            break;
          }
          off += static_cast<size_t>(w);
        }
        if (::fsync(fd) != 0) failed = true;
        ::close(fd);
        if (::rename(temp.c_str(), (dir / name).c_str()) != 0) failed = true;
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
          ::fsync(dfd);
          ::close(dfd);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const double s = Seconds(t0);
  if (failed) Die("raw file ceiling: a write failed");
  return sizes.size() / s;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) Die("cannot write " + path);
}

// Picks the sample closest to the mean size (ties: the first).
std::string Typical(const std::map<std::string, std::string>& samples) {
  if (samples.empty()) return "";
  double mean = 0;
  for (const auto& [k, v] : samples) mean += v.size();
  mean /= samples.size();
  const std::string* best = nullptr;
  for (const auto& [k, v] : samples) {
    if (best == nullptr || std::abs(v.size() - mean) < std::abs(best->size() - mean)) best = &v;
  }
  return *best;
}

}  // namespace herald::bench
