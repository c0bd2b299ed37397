// TimerFirer: repeats, `while` at send time, quiet hours across midnight and DST, time
// zones, frequency caps, restarts and crashes, on real RocksDB stores with a FakeClock.
#include "engine/rules/timer_firer.h"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "tests/rules/schedule_env.h"

namespace herald {
namespace {

using namespace testing;  // NOLINT: test helpers

// One campaign, one rule `r` on `case.note`, sending template t1 `after` the event.
std::string OneRule(const std::string& timing, const std::string& policies,
                    const std::string& timezone = "America/New_York",
                    const std::string& extra = "") {
  return "campaign: c\n"
         "locales: [en, es]\n"
         "timezone: " +
         timezone + "\n" + policies +
         "rules:\n"
         "  - id: r\n"
         "    on: case.note\n"
         "    send: t1\n" +
         timing + extra;
}

const std::string kQuiet = "quiet_hours: {start: \"21:00\", end: \"08:00\"}\n";

Recipient NoZone() {
  return MakeRecipient("p1", "p1@example.org", "+12025550100");
}

TEST_CASE("after + every + times: 3 sends 4 days apart, then done") {
  ScheduleEnv env({SnapCampaign()});
  env.Post("e1", "c1", "case.status_changed", "2026-03-02T15:04:00Z",
           {{"status", "documents_requested"}}, NoZone());
  env.RunUntil(T("2026-04-30T00:00:00Z"));
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 3);
  const PlanKey key{"snap", "documents-reminder", "c1"};
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(outbox[i].key == OutboxKey(key, i + 1));
    CHECK(outbox[i].occurrence == i + 1);
    CHECK(outbox[i].due == T("2026-03-05T15:04:00Z") + i * 4 * kDay);
    CHECK(outbox[i].fired_at == outbox[i].due);  // 10:04 / 11:04 in New York: not quiet
    CHECK(outbox[i].channels == std::vector<std::string>{"email"});
    CHECK(outbox[i].locale == "en");
    CHECK(outbox[i].template_id == "documents-reminder");
    CHECK(outbox[i].recipient_id == "p1");
  }
  auto plan = env.GetPlan("snap", "documents-reminder", "c1");
  CHECK(plan->status == PlanStatus::kDone);
  CHECK(plan->sent == 3);
  CHECK(env.PendingTimers() == 0);
  auto done = env.Records("c1", "done");
  REQUIRE(done.size() == 1);
  CHECK(done[0].reason == "sent 3 of 3");
  CHECK(env.Records("c1", "fired").size() == 3);
}

TEST_CASE("while is re-checked at send time") {
  ScheduleEnv env({OneRule("    after: 3d\n    while: deadline > now\n", "")});
  env.Post("e1", "c1", "case.note", "2026-03-02T12:00:00Z", {{"deadline", "2026-03-04T12:00:00Z"}},
           NoZone());
  REQUIRE(env.GetPlan("c", "r", "c1")->status == PlanStatus::kPending);
  env.RunUntil(T("2026-03-10T00:00:00Z"));
  CHECK(env.Outbox().empty());
  auto plan = env.GetPlan("c", "r", "c1");
  CHECK(plan->status == PlanStatus::kCancelled);
  CHECK(plan->reason == "while became false at send time");
  auto cancelled = env.Records("c1", "cancelled");
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0].at == T("2026-03-05T12:00:00Z"));
  CHECK(env.PendingTimers() == 0);
}

TEST_CASE("quiet hours: a send due at 23:30 waits until 08:00 the next morning") {
  ScheduleEnv env({OneRule("    after: 1h\n", kQuiet)});
  env.Post("e1", "c1", "case.note", "2026-01-15T03:30:00Z", {}, NoZone());  // due 23:30 EST
  auto plan = env.GetPlan("c", "r", "c1");
  CHECK(plan->due == T("2026-01-15T04:30:00Z"));
  CHECK(plan->fire_at == T("2026-01-15T13:00:00Z"));
  CHECK(plan->deferred_by == "quiet_hours");
  auto deferred = env.Records("c1", "deferred");
  REQUIRE(deferred.size() == 1);
  CHECK(deferred[0].reason == "quiet hours 21:00-08:00 in America/New_York");
  CHECK(deferred[0].fire_at == T("2026-01-15T13:00:00Z"));
  env.RunUntil(T("2026-01-15T12:59:59Z"));
  CHECK(env.Outbox().empty());
  env.RunUntil(T("2026-01-16T00:00:00Z"));
  REQUIRE(env.Outbox().size() == 1);
  CHECK(env.Outbox()[0].fired_at == T("2026-01-15T13:00:00Z"));
}

TEST_CASE("quiet hours across the DST nights of America/New_York") {
  SUBCASE("spring forward 2026-03-08: a 23-hour night ends at 08:00 EDT") {
    ScheduleEnv env({OneRule("    after: 1h\n", kQuiet)});
    env.Post("e1", "c1", "case.note", "2026-03-08T03:30:00Z", {}, NoZone());  // due 23:30 EST
    env.RunUntil(T("2026-03-09T00:00:00Z"));
    REQUIRE(env.Outbox().size() == 1);
    CHECK(env.Outbox()[0].fired_at == T("2026-03-08T12:00:00Z"));
  }
  SUBCASE("fall back 2026-11-01: 01:30 EDT and 02:30 EST both wait until 08:00 EST") {
    ScheduleEnv env({OneRule("    after: 1h\n", kQuiet)});
    env.Post("e1", "c1", "case.note", "2026-11-01T04:30:00Z", {}, NoZone());  // 01:30 EDT
    env.Post("e2", "c2", "case.note", "2026-11-01T06:30:00Z", {}, NoZone());  // 02:30 EST
    env.RunUntil(T("2026-11-02T00:00:00Z"));
    auto outbox = env.Outbox();
    REQUIRE(outbox.size() == 2);
    CHECK(outbox[0].fired_at == T("2026-11-01T13:00:00Z"));
    CHECK(outbox[1].fired_at == T("2026-11-01T13:00:00Z"));
  }
  SUBCASE("a repeat crossing the change keeps its wall-clock quiet hours") {
    // Due 05:12 EST on 03-06 (deferred to 08:00 EST = 13:00Z), then 4 days later at
    // 06:12 EDT (10:12Z, deferred to 08:00 EDT = 12:00Z).
    ScheduleEnv env(
        {OneRule("    after: 3d\n    every: 4d\n    times: 2\n    while: true\n", kQuiet)});
    env.Post("e1", "c1", "case.note", "2026-03-03T10:12:00Z", {}, NoZone());
    env.RunUntil(T("2026-03-20T00:00:00Z"));
    auto outbox = env.Outbox();
    REQUIRE(outbox.size() == 2);
    CHECK(outbox[0].due == T("2026-03-06T10:12:00Z"));
    CHECK(outbox[0].fired_at == T("2026-03-06T13:00:00Z"));
    CHECK(outbox[1].due == T("2026-03-10T10:12:00Z"));
    CHECK(outbox[1].fired_at == T("2026-03-10T12:00:00Z"));
  }
}

TEST_CASE("recipients in different time zones; the campaign's zone for the rest") {
  ScheduleEnv env({OneRule("    after: 1h\n", kQuiet)});
  // Due 2026-03-05T03:00Z: 21:00 in Chicago (quiet), 19:00 in Los Angeles (not), 22:00 in
  // New York (the campaign's zone, for a recipient without one; quiet).
  env.Post("e1", "chicago", "case.note", "2026-03-05T02:00:00Z", {},
           MakeRecipient("pc", "c@example.org", std::nullopt, "America/Chicago"));
  env.Post("e2", "la", "case.note", "2026-03-05T02:00:00Z", {},
           MakeRecipient("pl", "l@example.org", std::nullopt, "America/Los_Angeles"));
  env.Post("e3", "nozone", "case.note", "2026-03-05T02:00:00Z", {},
           MakeRecipient("pn", "n@example.org", std::nullopt));
  env.RunUntil(T("2026-03-06T00:00:00Z"));
  std::map<std::string, Micros> fired;
  for (const OutboxIntent& i : env.Outbox()) fired[i.plan.case_id] = i.fired_at;
  CHECK(fired["la"] == T("2026-03-05T03:00:00Z"));
  CHECK(fired["chicago"] == T("2026-03-05T14:00:00Z"));
  CHECK(fired["nozone"] == T("2026-03-05T13:00:00Z"));
}

TEST_CASE("frequency cap: excess sends are deferred, never dropped") {
  ScheduleEnv env({OneRule("", "frequency_cap: {max: 2, per: 24h}\n", "UTC")});
  env.Post("e1", "c1", "case.note", "2026-03-02T10:00:00Z", {}, NoZone());
  env.FireDue();
  env.Post("e2", "c1", "case.note", "2026-03-02T11:00:00Z", {});
  env.FireDue();
  env.Post("e3", "c1", "case.note", "2026-03-02T12:00:00Z", {});
  env.FireDue();
  CHECK(env.Outbox().size() == 2);
  auto plan = env.GetPlan("c", "r", "c1");
  CHECK(plan->status == PlanStatus::kPending);
  CHECK(plan->fire_at == T("2026-03-03T10:00:00Z"));
  CHECK(plan->deferred_by == "frequency_cap");
  auto deferred = env.Records("c1", "deferred");
  REQUIRE(deferred.size() == 1);
  CHECK(deferred[0].reason == "frequency cap 2 per 1d");
  env.RunUntil(T("2026-03-10T00:00:00Z"));
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 3);
  CHECK(outbox[2].fired_at == T("2026-03-03T10:00:00Z"));
  CHECK(outbox[2].occurrence == 3);
}

TEST_CASE("frequency cap re-applied at fire time: the second of two due sends waits") {
  const std::string yaml =
      "campaign: c\nlocales: [en]\nfrequency_cap: {max: 1, per: 1h}\nrules:\n"
      "  - {id: a, on: case.note, send: t1}\n"
      "  - {id: b, on: case.note, send: t2}\n";
  ScheduleEnv env({yaml});
  env.Post("e1", "c1", "case.note", "2026-03-02T10:00:00Z", {}, NoZone());
  // Both planned for now: neither had been sent when they were planned.
  CHECK(env.GetPlan("c", "a", "c1")->fire_at == T("2026-03-02T10:00:00Z"));
  CHECK(env.GetPlan("c", "b", "c1")->fire_at == T("2026-03-02T10:00:00Z"));
  CHECK(env.FireDue() == 2);
  REQUIRE(env.Outbox().size() == 1);
  CHECK(env.Outbox()[0].plan.rule == "a");
  auto b = env.GetPlan("c", "b", "c1");
  CHECK(b->fire_at == T("2026-03-02T11:00:00Z"));
  auto deferred = env.Records("c1", "deferred");
  REQUIRE(deferred.size() == 1);
  CHECK(deferred[0].at == T("2026-03-02T10:00:00Z"));
  CHECK(deferred[0].reason == "frequency cap 1 per 1h");
  env.RunUntil(T("2026-03-03T00:00:00Z"));
  REQUIRE(env.Outbox().size() == 2);
  CHECK(env.Outbox()[1].fired_at == T("2026-03-02T11:00:00Z"));
}

TEST_CASE("a recipient without a usable channel still fires into the outbox") {
  ScheduleEnv env({OneRule("", "")});
  env.Post("e1", "c1", "case.note", "2026-03-02T10:00:00Z", {},
           MakeRecipient("p", std::nullopt, "+12025550100", std::nullopt, std::nullopt,
                         std::vector<Channel>{Channel::kEmail}));
  env.FireDue();
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].channels.empty());
  auto fired = env.Records("c1", "fired");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].reason == "no usable channel");
}

TEST_CASE("a rule gone from the campaigns cancels its pending sends at fire time") {
  ScheduleEnv env({OneRule("    after: 1d\n", "")});
  env.Post("e1", "c1", "case.note", "2026-03-02T10:00:00Z", {}, NoZone());
  env.clock().Set(T("2026-03-04T00:00:00Z"));
  ZoneCache zones;
  TimerFirer firer(CampaignSet(), env.sched(), env.clock(), zones);
  CHECK(*firer.FireDue(100) == 1);
  CHECK(env.Outbox().empty());
  CHECK(env.GetPlan("c", "r", "c1")->reason == "the rule is no longer in the campaigns");
}

TEST_CASE("restart with pending timers: nothing lost, nothing doubled") {
  ScheduleEnv env({SnapCampaign()});
  env.Post("e1", "a", "case.status_changed", "2026-03-02T15:04:00Z",
           {{"status", "documents_requested"}}, NoZone());
  env.Post("e2", "b", "case.interview_scheduled", "2026-03-02T16:00:00Z",
           {{"interview_at", "2026-03-12T15:30:00Z"}}, NoZone());
  env.RunUntil(T("2026-03-06T00:00:00Z"));  // the first documents reminder went out
  REQUIRE(env.Outbox().size() == 1);
  CHECK(env.PendingTimers() == 2);
  env.Reopen();
  CHECK(env.PendingTimers() == 2);
  CHECK(env.Process() == 0);
  env.Reopen();
  env.RunUntil(T("2026-04-30T00:00:00Z"));
  auto outbox = env.Outbox();
  CHECK(outbox.size() == 4);  // 3 documents reminders, 1 interview reminder
  std::set<std::string> keys;
  for (const OutboxIntent& i : outbox) keys.insert(i.key);
  CHECK(keys.size() == outbox.size());
}

TEST_CASE("overdue timers after a restart fire once") {
  ScheduleEnv env({OneRule("    after: 1h\n", "")});
  env.Post("e1", "c1", "case.note", "2026-03-02T10:00:00Z", {}, NoZone());
  env.Close();  // down from 10:00 until two days later
  env.clock().Set(T("2026-03-04T10:00:00Z"));
  env.Open();
  CHECK(env.FireDue() == 1);
  CHECK(env.FireDue() == 0);
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].due == T("2026-03-02T11:00:00Z"));
  CHECK(outbox[0].fired_at == T("2026-03-04T10:00:00Z"));
}

TEST_CASE("crash between fire and outbox: firing the same occurrence again is one intent") {
  ScheduleEnv env({OneRule("    after: 1h\n", "")});
  env.Post("e1", "c1", "case.note", "2026-03-02T10:00:00Z", {}, NoZone());
  const Plan before = *env.GetPlan("c", "r", "c1");
  env.clock().Set(before.fire_at);
  CHECK(env.FireDue() == 1);
  REQUIRE(env.Outbox().size() == 1);
  env.Reopen();
  CHECK(env.FireDue() == 0);  // the timer went with the intent, in one batch
  // Had the timer survived the hand-off (the worst case: the intent written, the timer
  // not removed), firing it again re-writes the same occurrence: still one intent.
  ScheduleBatch restore;
  restore.put_plans.push_back(before);
  restore.add_timers.push_back(TimerEntry{before.fire_at, before.key});
  REQUIRE(env.sched().Commit(restore).ok());
  env.Reopen();
  CHECK(env.FireDue() == 1);
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].key == OutboxKey(before.key, 1));
  CHECK(env.GetPlan("c", "r", "c1")->status == PlanStatus::kDone);
}

}  // namespace
}  // namespace herald
