// RuleEngine: planning, re-planning and cancelling from events, on real RocksDB stores
// with a FakeClock.
#include "engine/rules/rule_engine.h"

#include <doctest/doctest.h>

#include "tests/rules/schedule_env.h"

#include "tests/forwarding_schedule_store.h"

namespace herald {
namespace {

using namespace testing;  // NOLINT: test helpers

const std::string kNoPolicies = "";  // no quiet hours, no cap

Recipient Maria() {
  return MakeRecipient("person-0417", "maria@example.org", "+13125550143", "America/Chicago",
                       "es-MX", std::vector<Channel>{Channel::kSms, Channel::kEmail});
}

TEST_CASE("a rule without after or at sends at once; when decides whether it starts") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.status_changed", "2026-03-04T18:45:00Z", {{"status", "pending"}},
           Maria());
  CHECK(env.GetPlan("snap", "status-update", "c1") == std::nullopt);
  CHECK(env.PendingTimers() == 0);

  env.Post("e2", "c1", "case.status_changed", "2026-03-04T19:00:00Z", {{"status", "approved"}});
  auto plan = env.GetPlan("snap", "status-update", "c1");
  REQUIRE(plan);
  CHECK(plan->status == PlanStatus::kPending);
  CHECK(plan->due == T("2026-03-04T19:00:00Z"));
  CHECK(plan->fire_at == T("2026-03-04T19:00:00Z"));
  CHECK(plan->recipient_id == "person-0417");
  CHECK(plan->template_id == "status-update");
  CHECK(plan->planned_seq == 2);
  CHECK(env.FireDue() == 1);
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].key == OutboxKey(PlanKey{"snap", "status-update", "c1"}, 1));
  CHECK(outbox[0].occurrence == 1);
  CHECK(outbox[0].fired_at == T("2026-03-04T19:00:00Z"));
  CHECK(outbox[0].channels == std::vector<std::string>{"sms"});  // preferred: theirs first
  CHECK(outbox[0].locale == "es");                               // es-MX -> es
  CHECK(env.GetPlan("snap", "status-update", "c1")->status == PlanStatus::kDone);
  CHECK(env.Records("c1", "done").size() == 1);
}

TEST_CASE("the case view folds data as a merge patch and merges the recipient") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.status_changed", "2026-03-02T10:00:00Z",
           {{"status", "documents_requested"}, {"documents", {"a", "b"}}, {"n", 1}}, Maria());
  env.Post("e2", "c1", "case.note", "2026-03-02T11:00:00Z", {{"documents", nullptr}, {"n", 2}},
           MakeRecipient("", std::nullopt, std::nullopt, "America/Denver"));
  auto view = env.sched().GetCase("c1");
  REQUIRE(view.ok());
  REQUIRE(*view);
  const CaseView& v = **view;
  CHECK(v.state == nlohmann::json{{"status", "documents_requested"}, {"n", 2}});
  REQUIRE(v.recipient);
  CHECK(v.recipient->id == "person-0417");
  CHECK(v.recipient->timezone == "America/Denver");
  CHECK(v.recipient->email == "maria@example.org");
  CHECK(v.last_seq == 2);
}

TEST_CASE("while cancels what is pending when a later event makes it false") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("evt-0002", "SNAP-0418", "case.status_changed", "2026-03-02T16:10:00Z",
           {{"status", "documents_requested"}},
           MakeRecipient("person-0418", "lan@example.org", std::nullopt, "America/Los_Angeles"));
  auto plan = env.GetPlan("snap", "documents-reminder", "SNAP-0418");
  REQUIRE(plan);
  CHECK(plan->due == T("2026-03-05T16:10:00Z"));
  CHECK(plan->times == 3);
  CHECK(env.PendingTimers() == 1);

  env.Post("evt-0007", "SNAP-0418", "case.documents_received", "2026-03-05T11:20:00Z",
           {{"status", "under_review"}});
  plan = env.GetPlan("snap", "documents-reminder", "SNAP-0418");
  REQUIRE(plan);
  CHECK(plan->status == PlanStatus::kCancelled);
  CHECK(plan->reason == "while became false after event evt-0007 (case.documents_received)");
  CHECK(env.PendingTimers() == 0);
  auto cancelled = env.Records("SNAP-0418", "cancelled");
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0].at == T("2026-03-05T11:20:00Z"));
  CHECK(cancelled[0].due == T("2026-03-05T16:10:00Z"));
  CHECK(cancelled[0].occurrence == 1);
  env.RunUntil(T("2026-04-01T00:00:00Z"));
  CHECK(env.Outbox().empty());
}

TEST_CASE("at: re-planned when the interview moves; sent once") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.interview_scheduled", "2026-03-04T14:00:00Z",
           {{"interview_at", "2026-03-10T15:30:00Z"}}, Maria());
  auto plan = env.GetPlan("snap", "interview-reminder", "c1");
  REQUIRE(plan);
  CHECK(plan->due == T("2026-03-08T15:30:00Z"));

  // The same interview again (a repeated event) changes nothing.
  env.Post("e2", "c1", "case.interview_scheduled", "2026-03-04T15:00:00Z",
           {{"interview_at", "2026-03-10T15:30:00Z"}});
  CHECK(env.Records("c1", "replanned").empty());

  env.Post("e3", "c1", "case.interview_rescheduled", "2026-03-06T10:00:00Z",
           {{"interview_at", "2026-03-15T16:00:00Z"}});
  plan = env.GetPlan("snap", "interview-reminder", "c1");
  REQUIRE(plan);
  CHECK(plan->due == T("2026-03-13T16:00:00Z"));
  CHECK(plan->fire_at == T("2026-03-13T16:00:00Z"));
  CHECK(env.PendingTimers() == 1);
  auto replanned = env.Records("c1", "replanned");
  REQUIRE(replanned.size() == 1);
  CHECK(replanned[0].reason ==
        "event e3 (case.interview_rescheduled); was due 2026-03-08T15:30:00Z");

  env.RunUntil(T("2026-04-01T00:00:00Z"));
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].fired_at == T("2026-03-13T16:00:00Z"));
  CHECK(outbox[0].channels == std::vector<std::string>{"sms", "email"});
}

TEST_CASE("at: a field change re-plans a pending plan whatever the event type") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.interview_scheduled", "2026-03-04T14:00:00Z",
           {{"interview_at", "2026-03-10T15:30:00Z"}}, Maria());
  // An event the rule does not listen for, not touching interview_at: nothing.
  env.Post("e2", "c1", "case.note", "2026-03-05T09:00:00Z", {{"note", "called"}});
  CHECK(env.Records("c1", "replanned").empty());
  // It moves the interview: re-planned.
  env.Post("e3", "c1", "case.updated", "2026-03-05T10:00:00Z",
           {{"interview_at", "2026-03-12T09:00:00Z"}});
  auto plan = env.GetPlan("snap", "interview-reminder", "c1");
  REQUIRE(plan);
  CHECK(plan->due == T("2026-03-10T09:00:00Z"));
  auto replanned = env.Records("c1", "replanned");
  REQUIRE(replanned.size() == 1);
  CHECK(replanned[0].reason ==
        "at: interview_at changed by event e3 (case.updated); was due 2026-03-08T15:30:00Z");
  // A field change does not start a rule that never started.
  env.Post("e4", "c2", "case.updated", "2026-03-05T11:00:00Z",
           {{"interview_at", "2026-03-12T09:00:00Z"}});
  CHECK(env.GetPlan("snap", "interview-reminder", "c2") == std::nullopt);
}

TEST_CASE("at: no time cancels the pending plan, or is recorded as skipped") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.interview_scheduled", "2026-03-04T14:00:00Z", {{"mode", "phone"}});
  CHECK(env.GetPlan("snap", "interview-reminder", "c1") == std::nullopt);
  auto skipped = env.Records("c1", "skipped");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].reason == "at: did not yield a time after event e1 (case.interview_scheduled)");

  env.Post("e2", "c1", "case.interview_scheduled", "2026-03-04T15:00:00Z",
           {{"interview_at", "2026-03-10T15:30:00Z"}});
  REQUIRE(env.GetPlan("snap", "interview-reminder", "c1")->status == PlanStatus::kPending);
  // Its `while: interview_at > now` is false too, and that is checked first, on every
  // event of the case.
  env.Post("e3", "c1", "case.interview_rescheduled", "2026-03-05T15:00:00Z",
           {{"interview_at", "to be decided"}});
  auto plan = env.GetPlan("snap", "interview-reminder", "c1");
  CHECK(plan->status == PlanStatus::kCancelled);
  CHECK(plan->reason == "while became false after event e3 (case.interview_rescheduled)");
  CHECK(env.PendingTimers() == 0);
}

TEST_CASE("at: without a while, no time cancels the pending plan") {
  ScheduleEnv env(
      {"campaign: c\nlocales: [en]\nrules:\n"
       "  - {id: r, on: case.interview_scheduled, at: interview_at - 2d, send: t1}\n"});
  env.Post("e1", "c1", "case.interview_scheduled", "2026-03-04T15:00:00Z",
           {{"interview_at", "2026-03-10T15:30:00Z"}});
  REQUIRE(env.GetPlan("c", "r", "c1")->status == PlanStatus::kPending);
  env.Post("e2", "c1", "case.interview_scheduled", "2026-03-05T15:00:00Z",
           {{"interview_at", nullptr}});
  auto plan = env.GetPlan("c", "r", "c1");
  CHECK(plan->status == PlanStatus::kCancelled);
  CHECK(plan->reason == "at: did not yield a time after event e2 (case.interview_scheduled)");
  CHECK(env.PendingTimers() == 0);
  env.RunUntil(T("2026-04-01T00:00:00Z"));
  CHECK(env.Outbox().empty());
}

TEST_CASE("a done plan starts a new series on a later matching event; a repeat does not") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.status_changed", "2026-03-04T18:45:00Z", {{"status", "approved"}},
           Maria());
  env.FireDue();
  // The same decision posted again under another id: already sent.
  env.Post("e1-again", "c1", "case.status_changed", "2026-03-04T18:45:00Z",
           {{"status", "approved"}});
  env.FireDue();
  CHECK(env.Outbox().size() == 1);
  // A new decision: a second message, a new occurrence number (a new outbox key).
  env.Post("e2", "c1", "case.status_changed", "2026-03-20T12:00:00Z", {{"status", "denied"}});
  env.FireDue();
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 2);
  CHECK(outbox[1].occurrence == 2);
  CHECK(outbox[1].key != outbox[0].key);
  auto plan = env.GetPlan("snap", "status-update", "c1");
  CHECK(plan->sent == 2);
  CHECK(plan->times == 2);
  CHECK(plan->status == PlanStatus::kDone);
}

TEST_CASE("re-planning a repeating reminder keeps its sends: times is a total") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.Post("e1", "c1", "case.status_changed", "2026-03-02T15:00:00Z",
           {{"status", "documents_requested"}}, Maria());
  env.RunUntil(T("2026-03-06T00:00:00Z"));
  REQUIRE(env.Outbox().size() == 1);  // 03-05
  // The agency asks again on 03-06: the series restarts from this event (first due
  // 03-09), and one of its three sends is already made, so the next is the second: 03-13.
  env.Post("e2", "c1", "case.status_changed", "2026-03-06T15:00:00Z",
           {{"status", "documents_requested"}, {"documents", {"x"}}});
  auto plan = env.GetPlan("snap", "documents-reminder", "c1");
  CHECK(plan->sent == 1);
  CHECK(plan->due == T("2026-03-13T15:00:00Z"));
  env.RunUntil(T("2026-04-01T00:00:00Z"));
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 3);
  CHECK(outbox[1].fired_at == T("2026-03-13T15:00:00Z"));
  CHECK(outbox[2].fired_at == T("2026-03-17T15:00:00Z"));
  CHECK(env.GetPlan("snap", "documents-reminder", "c1")->status == PlanStatus::kDone);
}

TEST_CASE("late events are planned from occurred_at; overdue sends fire at once") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)}, T("2026-03-10T12:00:00Z"));
  // Posted on 03-10 about 03-02: the first reminder was due on 03-05.
  env.Append("e1", "c1", "case.status_changed", "2026-03-02T15:00:00Z",
             {{"status", "documents_requested"}}, Maria());
  env.Process();
  auto plan = env.GetPlan("snap", "documents-reminder", "c1");
  CHECK(plan->due == T("2026-03-05T15:00:00Z"));
  CHECK(plan->fire_at == T("2026-03-10T12:00:00Z"));  // now, not in the past
  CHECK(env.FireDue() == 1);
  auto outbox = env.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].due == T("2026-03-05T15:00:00Z"));
  CHECK(outbox[0].fired_at == T("2026-03-10T12:00:00Z"));
  // The next one keeps the rhythm: 03-09 is past too, so it is 4 days after this send.
  plan = env.GetPlan("snap", "documents-reminder", "c1");
  CHECK(plan->due == T("2026-03-14T12:00:00Z"));
  CHECK(env.FireDue() == 0);  // no burst
}

TEST_CASE("a late event in quiet hours waits for their end") {
  ScheduleEnv env({SnapCampaign()}, T("2026-03-11T03:00:00Z"));  // 22:00 in Chicago
  env.Append("e1", "c1", "case.status_changed", "2026-03-10T15:00:00Z", {{"status", "approved"}},
             Maria());
  env.Process();
  auto plan = env.GetPlan("snap", "status-update", "c1");
  CHECK(plan->fire_at == T("2026-03-11T13:00:00Z"));  // 08:00 CDT
  CHECK(plan->deferred_by == "quiet_hours");
  CHECK(env.FireDue() == 0);
  env.RunUntil(T("2026-03-12T00:00:00Z"));
  REQUIRE(env.Outbox().size() == 1);
  CHECK(env.Outbox()[0].fired_at == T("2026-03-11T13:00:00Z"));
}

TEST_CASE("several events of a case in one chunk see each other; the batch nets out timers") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.clock().Set(T("2026-03-05T12:00:00Z"));
  env.Append("e1", "c1", "case.status_changed", "2026-03-02T15:00:00Z",
             {{"status", "documents_requested"}}, Maria());
  env.Append("e2", "c1", "case.documents_received", "2026-03-03T15:00:00Z",
             {{"status", "under_review"}});
  env.Append("e3", "c2", "case.status_changed", "2026-03-03T15:00:00Z",
             {{"status", "documents_requested"}});
  CHECK(env.Process() == 3);
  CHECK(env.GetPlan("snap", "documents-reminder", "c1")->status == PlanStatus::kCancelled);
  CHECK(env.GetPlan("snap", "documents-reminder", "c2")->status == PlanStatus::kPending);
  CHECK(env.PendingTimers() == 1);
  auto cursor = env.sched().Cursor();
  CHECK(*cursor == 3);
}

TEST_CASE("more events than a chunk: every one processed once, in order") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  const size_t n = RuleEngine::kChunkEvents * 2 + 17;
  for (size_t i = 0; i < n; ++i) {
    const std::string c = "c" + std::to_string(i % 50);
    const std::string status = i % 2 == 0 ? "documents_requested" : "under_review";
    env.Append("e" + std::to_string(i), c, "case.status_changed", "2026-03-02T15:00:00Z",
               {{"status", status}, {"i", i}});
  }
  auto first = env.engine().ProcessAvailable(RuleEngine::kChunkEvents + 5);
  REQUIRE(first.ok());
  CHECK(*first == RuleEngine::kChunkEvents + 5);
  CHECK(*env.sched().Cursor() == RuleEngine::kChunkEvents + 5);
  CHECK(env.Process() == n - RuleEngine::kChunkEvents - 5);
  CHECK(env.Process() == 0);
  for (int c = 0; c < 50; ++c) {
    auto view = env.sched().GetCase("c" + std::to_string(c));
    REQUIRE(*view);
    // The last event of case c is the largest i with i % 50 == c.
    const size_t last = (n - 1) - ((n - 1 - c) % 50);
    CHECK((**view).state["i"] == last);
  }
}

// A ScheduleStore that fails the commits it is told to, around the real one.
class FlakyStore final : public ForwardingScheduleStore {
 public:
  explicit FlakyStore(ScheduleStore& real) : ForwardingScheduleStore(real) {}
  int fail_next = 0;
  Status Commit(const ScheduleBatch& batch) override {
    if (fail_next > 0) {
      --fail_next;
      return Status::Unavailable("injected");
    }
    return inner_.Commit(batch);
  }
};

TEST_CASE("cursor atomicity: a failed commit applies nothing; a reopen replays nothing") {
  ScheduleEnv env({SnapCampaign(kNoPolicies)});
  env.clock().Set(T("2026-03-04T19:00:00Z"));
  env.Append("e1", "c1", "case.status_changed", "2026-03-04T18:45:00Z", {{"status", "approved"}},
             Maria());
  env.Append("e2", "c2", "case.status_changed", "2026-03-04T18:50:00Z", {{"status", "denied"}});
  {
    FlakyStore flaky(env.sched());
    ZoneCache zones;
    RuleEngine engine(env.campaigns(), env.log(), flaky, env.clock(), zones);
    flaky.fail_next = 1;
    auto failed = engine.ProcessAvailable(100);
    CHECK(failed.status().IsUnavailable());
    CHECK(*env.sched().Cursor() == 0);
    CHECK(env.GetPlan("snap", "status-update", "c1") == std::nullopt);
    CHECK(*engine.ProcessAvailable(100) == 2);
  }
  CHECK(*env.sched().Cursor() == 2);
  env.Reopen();
  CHECK(env.Process() == 0);
  CHECK(env.FireDue() == 2);
  env.Reopen();
  CHECK(env.Process() == 0);
  CHECK(env.FireDue() == 0);
  CHECK(env.Outbox().size() == 2);
  CHECK(env.Records("c1", "planned").size() == 1);
}

}  // namespace
}  // namespace herald
