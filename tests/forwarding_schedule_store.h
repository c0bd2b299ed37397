// A ScheduleStore that forwards every pure virtual to another store, for tests that wrap a
// real store to fail or watch some calls: derive, override what the test changes. The
// methods with a default in the interface (GetPlans, LowestNeededEventSeq) keep that
// default unless the derived class forwards them too.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/schedule/schedule_store.h"

namespace herald::testing {

class ForwardingScheduleStore : public ScheduleStore {
 public:
  explicit ForwardingScheduleStore(ScheduleStore& inner) : inner_(inner) {}

  Result<uint64_t> Cursor() override { return inner_.Cursor(); }
  Result<std::optional<CaseView>> GetCase(std::string_view id) override {
    return inner_.GetCase(id);
  }
  Result<std::optional<Plan>> GetPlan(const PlanKey& k) override { return inner_.GetPlan(k); }
  Result<std::vector<Plan>> PlansForCase(std::string_view id) override {
    return inner_.PlansForCase(id);
  }
  Result<std::vector<TimerEntry>> DueTimers(Micros now, size_t limit) override {
    return inner_.DueTimers(now, limit);
  }
  Result<std::optional<TimerEntry>> NextTimer() override { return inner_.NextTimer(); }
  Result<size_t> PendingTimerCount() override { return inner_.PendingTimerCount(); }
  Result<std::vector<Micros>> SendTimes(std::string_view r, std::string_view c,
                                        Micros since) override {
    return inner_.SendTimes(r, c, since);
  }
  Result<std::optional<OutboxIntent>> GetIntent(std::string_view key) override {
    return inner_.GetIntent(key);
  }
  Result<std::vector<OutboxIntent>> OutboxAfter(uint64_t after, size_t limit) override {
    return inner_.OutboxAfter(after, limit);
  }
  Result<std::vector<PlanRecord>> RecordsForCase(std::string_view id) override {
    return inner_.RecordsForCase(id);
  }
  Status Commit(const ScheduleBatch& batch) override { return inner_.Commit(batch); }

 protected:
  ScheduleStore& inner_;
};

}  // namespace herald::testing
