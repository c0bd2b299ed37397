// Helpers shared by the RocksScheduleStore tests: opening a store, building batches,
// comparing timers, and a file-size limit that makes writes really fail.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/store/schedule_store_rocks.h"

namespace herald::testing {

using namespace std::literals;

inline std::unique_ptr<RocksScheduleStore> OpenStore(const std::string& path, const Clock& clock,
                                                     bool sync = true) {
  ScheduleStoreOptions options;
  options.path = path;
  options.sync_writes = sync;
  Result<std::unique_ptr<RocksScheduleStore>> store = RocksScheduleStore::Open(options, clock);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

inline void MustCommit(ScheduleStore& store, const ScheduleBatch& batch) {
  Status s = store.Commit(batch);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
}

template <typename T>
inline T Must(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

inline Plan MakePlan(std::string campaign, std::string rule, std::string case_id,
                     Micros fire_at = 100) {
  Plan p;
  p.key = {std::move(campaign), std::move(rule), std::move(case_id)};
  p.recipient_id = "r-" + p.key.case_id;
  p.template_id = "tpl";
  p.times = 3;
  p.sent = 1;
  p.due = fire_at - 10;
  p.fire_at = fire_at;
  p.deferred_by = "quiet_hours";
  p.reason = "because";
  p.planned_seq = 42;
  p.updated_at = 7;
  return p;
}

inline TimerEntry Timer(Micros at, std::string campaign, std::string rule = "r",
                        std::string case_id = "c") {
  return TimerEntry{at, PlanKey{std::move(campaign), std::move(rule), std::move(case_id)}};
}

inline OutboxIntent Intent(const PlanKey& plan, int occurrence, std::string template_id = "tpl") {
  OutboxIntent i;
  i.key = OutboxKey(plan, occurrence);
  i.plan = plan;
  i.occurrence = occurrence;
  i.recipient_id = "r1";
  i.template_id = std::move(template_id);
  i.channels = {"sms", "email"};
  i.locale = "es";
  i.due = 1000;
  i.fired_at = 1005;
  return i;
}

// One-field batches (designated initializers would trip -Wmissing-field-initializers).
inline ScheduleBatch Plans(std::vector<Plan> plans) {
  ScheduleBatch b;
  b.put_plans = std::move(plans);
  return b;
}
inline ScheduleBatch Timers(std::vector<TimerEntry> add, std::vector<TimerEntry> remove = {}) {
  ScheduleBatch b;
  b.add_timers = std::move(add);
  b.remove_timers = std::move(remove);
  return b;
}
inline ScheduleBatch Outbox(std::vector<OutboxIntent> intents) {
  ScheduleBatch b;
  b.put_outbox = std::move(intents);
  return b;
}
inline ScheduleBatch Cases(std::vector<CaseView> cases) {
  ScheduleBatch b;
  b.put_cases = std::move(cases);
  return b;
}
inline ScheduleBatch Sends(std::vector<ScheduleBatch::Send> sends) {
  ScheduleBatch b;
  b.sends = std::move(sends);
  return b;
}
inline ScheduleBatch Records(std::vector<PlanRecord> records) {
  ScheduleBatch b;
  b.records = std::move(records);
  return b;
}
inline ScheduleBatch CursorAt(uint64_t cursor) {
  ScheduleBatch b;
  b.cursor = cursor;
  return b;
}

inline std::vector<std::string> Keys(const std::vector<OutboxIntent>& intents) {
  std::vector<std::string> out;
  for (const OutboxIntent& i : intents) out.push_back(i.key);
  return out;
}
inline std::vector<uint64_t> QueueSeqs(const std::vector<OutboxIntent>& intents) {
  std::vector<uint64_t> out;
  for (const OutboxIntent& i : intents) out.push_back(i.queue_seq);
  return out;
}

inline bool SameTimer(const TimerEntry& a, const TimerEntry& b) {
  return a.fire_at == b.fire_at && a.plan == b.plan;
}
inline void CheckTimers(const std::vector<TimerEntry>& got, const std::vector<TimerEntry>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK_MESSAGE(SameTimer(got[i], want[i]), "at ", i, ": ", got[i].fire_at, " ",
                  got[i].plan.ToString(), " vs ", want[i].fire_at, " ", want[i].plan.ToString());
  }
}

// RLIMIT_FSIZE makes the kernel refuse to grow any file past the limit (EFBIG), so the WAL
// append of a large batch really fails (as in group_commit_test.cc).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limited = old_;
    limited.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  sighandler_t old_handler_ = SIG_DFL;
};

}  // namespace herald::testing
