// RocksScheduleStore through the ScheduleStore contract: plans, timers (the head cache
// under removals and concurrent commits), the idempotent outbox, case views, sends,
// records, the cursor, atomicity, failed writes and restart; and the key/value codec.
#include "engine/store/schedule_store_rocks.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/rocks_store.h"
#include "engine/store/schedule_codec.h"
#include "tests/store/schedule_store_test_util.h"
#include "tests/test_util.h"

namespace herald {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: the helpers of schedule_store_test_util.h
using namespace std::literals;

// --- codec ---

TEST_CASE("key strings round-trip any bytes and sort like std::string") {
  const std::vector<std::string> ids = {"",
                                        "A",
                                        "AB",
                                        "A\0"s,
                                        "A\0B"s,
                                        "A\x01"s,
                                        "\xff",
                                        "a\x1f"
                                        "b",
                                        "\0\0"s,
                                        "B"};
  for (const std::string& a : ids) {
    std::string enc;
    AppendKeyString(&enc, a);
    enc += "tail";
    std::string_view in = enc;
    std::string back;
    REQUIRE(ConsumeKeyString(&in, &back));
    CHECK(back == a);
    CHECK(in == "tail");
    for (const std::string& b : ids) {
      std::string ea, eb;
      AppendKeyString(&ea, a);
      AppendKeyString(&eb, b);
      CHECK((ea < eb) == (a < b));
      if (a != b) CHECK(eb.compare(0, ea.size(), ea) != 0);  // no encoding prefixes another
    }
  }
  std::string_view bad = "A\0\x02"sv;
  std::string out;
  CHECK_FALSE(ConsumeKeyString(&bad, &out));
  std::string_view unterminated = "AB";
  CHECK_FALSE(ConsumeKeyString(&unterminated, &out));
}

TEST_CASE("timer keys order by time (negative included), then plan key") {
  std::vector<TimerEntry> timers = {Timer(5, "b"),
                                    Timer(-5, "z"),
                                    Timer(5, "ab"),
                                    Timer(std::numeric_limits<Micros>::min(), "x"),
                                    Timer(std::numeric_limits<Micros>::max(), "x"),
                                    Timer(0, "a"),
                                    Timer(5, "a", "r\0"s),
                                    Timer(5, "a", "r")};
  std::vector<std::string> keys;
  for (const TimerEntry& t : timers) {
    keys.push_back(TimerKey(t));
    std::optional<TimerEntry> back = ParseTimerKey(keys.back());
    REQUIRE(back);
    CHECK(SameTimer(*back, t));
  }
  std::vector<size_t> order(timers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  for (size_t i = 1; i < order.size(); ++i) {
    const TimerEntry& a = timers[order[i - 1]];
    const TimerEntry& b = timers[order[i]];
    CHECK((a.fire_at < b.fire_at || (a.fire_at == b.fire_at && a.plan < b.plan)));
  }
  CHECK_FALSE(ParseTimerKey("short"));
  CHECK_FALSE(ParseTimerKey(TimerKey(timers[0]) + "x"));
}

TEST_CASE("values that cannot be decoded are Corruption, never a crash") {
  const std::vector<std::string> bad = {"",
                                        "\x02"
                                        "abc",
                                        "\x01", "\x01garbage", "\x01\xa0" /* CBOR {} */};
  for (const std::string& v : bad) {
    CHECK(DecodePlan(v).status().code() == Status::Code::kCorruption);
    CHECK(DecodeOutboxIntent(v).status().code() == Status::Code::kCorruption);
    CHECK(DecodePlanRecord(v).status().code() == Status::Code::kCorruption);
    CHECK(DecodeCaseView("c", v).status().code() == Status::Code::kCorruption);
  }
  // Right shape, wrong types.
  std::string wrong(1, '\x01');
  json::to_cbor(json{{"campaign", 1}, {"rule", "r"}, {"case_id", "c"}, {"status", "pending"}},
                wrong);
  CHECK(DecodePlan(wrong).status().code() == Status::Code::kCorruption);
  std::string unknown_status(1, '\x01');
  json::to_cbor(json{{"campaign", "a"}, {"rule", "r"}, {"case_id", "c"}, {"status", "maybe"}},
                unknown_status);
  CHECK(DecodePlan(unknown_status).status().code() == Status::Code::kCorruption);
  CHECK(DecodeCounter("1234567", "x").status().code() == Status::Code::kCorruption);
}

// --- store ---

TEST_CASE("plans: put, get, replace") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  Plan p = MakePlan("camp", "rule", "case-1");
  CHECK_FALSE(Must(store->GetPlan(p.key)).has_value());

  MustCommit(*store, Plans({p}));
  CHECK(Must(store->GetPlan(p.key)) == p);

  Plan replaced = p;
  replaced.status = PlanStatus::kCancelled;
  replaced.reason = "while turned false";
  replaced.sent = 2;
  MustCommit(*store, Plans({replaced}));
  CHECK(Must(store->GetPlan(p.key)) == replaced);
  CHECK(Must(store->PlansForCase("case-1")).size() == 1);
  CHECK_FALSE(Must(store->GetPlan(PlanKey{"camp", "rule", "case-2"})).has_value());
}

TEST_CASE("PlansForCase: PlanKey order, isolated between cases with awkward ids") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  const std::vector<std::string> cases = {"A",
                                          "AB",
                                          "A\0"s,
                                          "A\0B"s,
                                          "A\x1f"
                                          "B",
                                          "B",
                                          "\xff"};
  ScheduleBatch batch;
  for (const std::string& c : cases) {
    // Inserted out of order; "c10" < "c2" as strings, and "b" > "ab" although shorter.
    for (const std::string& campaign : {"c2"s, "b"s, "c10"s, "ab"s, "a\0"s}) {
      batch.put_plans.push_back(MakePlan(campaign, "r2", c));
      batch.put_plans.push_back(MakePlan(campaign, "r1", c));
    }
  }
  MustCommit(*store, batch);
  for (const std::string& c : cases) {
    std::vector<Plan> plans = Must(store->PlansForCase(c));
    REQUIRE(plans.size() == 10);
    for (const Plan& p : plans) CHECK(p.key.case_id == c);
    for (size_t i = 1; i < plans.size(); ++i) CHECK(plans[i - 1].key < plans[i].key);
    CHECK(plans.front().key.campaign == "a\0"s);
    CHECK(plans.back().key == PlanKey{"c2", "r2", c});
  }
  CHECK(Must(store->PlansForCase("")).empty());
  CHECK(Must(store->PlansForCase("C")).empty());
}

TEST_CASE("outbox: one intent per key across and within batches, dense queue_seq, paging") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  const PlanKey p1{"camp", "rule", "c1"}, p2{"camp", "rule", "c2"};

  OutboxIntent first = Intent(p1, 1);
  first.queue_seq = 99;  // ignored: Commit assigns it
  MustCommit(*store, Outbox({first}));
  OutboxIntent stored = *Must(store->GetIntent(first.key));
  CHECK(stored.queue_seq == 1);
  first.queue_seq = 1;
  CHECK(stored == first);

  // The same key again (with other content) in a later batch, and twice in one batch.
  MustCommit(*store, Outbox({Intent(p1, 1, "changed"), Intent(p2, 1), Intent(p2, 1, "dup"),
                             Intent(p1, 2)}));
  CHECK(Must(store->GetIntent(first.key))->template_id == "tpl");
  CHECK(Must(store->GetIntent(first.key))->queue_seq == 1);
  CHECK(Must(store->GetIntent(OutboxKey(p2, 1)))->template_id == "tpl");
  // A batch of nothing but repeats changes nothing.
  MustCommit(*store, Outbox({Intent(p2, 1, "again")}));
  MustCommit(*store, Outbox({Intent(p2, 2)}));

  std::vector<OutboxIntent> all = Must(store->OutboxAfter(0, 100));
  CHECK(QueueSeqs(all) == std::vector<uint64_t>{1, 2, 3, 4});
  CHECK(Keys(all) == std::vector<std::string>{OutboxKey(p1, 1), OutboxKey(p2, 1), OutboxKey(p1, 2),
                                              OutboxKey(p2, 2)});
  CHECK(all[1].channels == std::vector<std::string>{"sms", "email"});
  CHECK(all[1].locale == "es");

  CHECK(QueueSeqs(Must(store->OutboxAfter(0, 3))) == std::vector<uint64_t>{1, 2, 3});
  CHECK(QueueSeqs(Must(store->OutboxAfter(3, 3))) == std::vector<uint64_t>{4});
  CHECK(QueueSeqs(Must(store->OutboxAfter(1, 2))) == std::vector<uint64_t>{2, 3});
  CHECK(Must(store->OutboxAfter(4, 3)).empty());
  CHECK(Must(store->OutboxAfter(2, 0)).empty());
  CHECK(Must(store->OutboxAfter(std::numeric_limits<uint64_t>::max(), 5)).empty());
  CHECK(QueueSeqs(Must(store->OutboxAfter(2, std::numeric_limits<size_t>::max()))) ==
        std::vector<uint64_t>{3, 4});
  CHECK_FALSE(Must(store->GetIntent("no such key")).has_value());
}

TEST_CASE("case views round-trip, with and without a recipient") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  CaseView with;
  with.case_id = "case\0one"s;
  with.state = json{{"status", "approved"},
                    {"benefits", {{"amount", 12.5}, {"list", {1, 2, 3}}}},
                    {"none", nullptr},
                    {"text", "año"}};
  Recipient r;
  r.id = "rec-1";
  r.email = "a@example.org";
  r.phone = "+14155550100";
  r.locale = "es-MX";
  r.timezone = "America/New_York";
  r.channels = std::vector<Channel>{Channel::kSms, Channel::kEmail};
  with.recipient = r;
  with.last_seq = 17;
  CaseView without;
  without.case_id = "case";  // a prefix of the other id
  without.last_seq = 3;
  MustCommit(*store, Cases({with, without}));
  CHECK(*Must(store->GetCase(with.case_id)) == with);
  CHECK(*Must(store->GetCase("case")) == without);
  CHECK_FALSE(Must(store->GetCase("case\0"s)).has_value());

  CaseView updated = without;
  updated.state = json{{"x", 1}};
  updated.recipient = Recipient{};  // the case's own recipient, no fields yet
  updated.last_seq = 4;
  MustCommit(*store, Cases({updated}));
  CHECK(*Must(store->GetCase("case")) == updated);
}

TEST_CASE("SendTimes: the window, ascending, same-instant sends, isolation") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  using Send = ScheduleBatch::Send;
  MustCommit(*store,
             Sends({Send{"r1", "camp", 300}, Send{"r1", "camp", 100}, Send{"r1", "camp", 200},
                    Send{"r1", "camp", 200}, Send{"r1", "camp", -5}, Send{"r1", "campaign", 150},
                    Send{"r1x", "camp", 150}, Send{"r", "1camp", 150}}));
  MustCommit(*store, Sends({Send{"r1", "camp", 250}}));
  CHECK(Must(store->SendTimes("r1", "camp", std::numeric_limits<Micros>::min())) ==
        std::vector<Micros>{-5, 100, 200, 200, 250, 300});
  CHECK(Must(store->SendTimes("r1", "camp", 200)) == std::vector<Micros>{200, 200, 250, 300});
  CHECK(Must(store->SendTimes("r1", "camp", 201)) == std::vector<Micros>{250, 300});
  CHECK(Must(store->SendTimes("r1", "camp", 301)).empty());
  CHECK(Must(store->SendTimes("r1", "campaign", 0)) == std::vector<Micros>{150});
  CHECK(Must(store->SendTimes("r1x", "camp", 0)) == std::vector<Micros>{150});
  CHECK(Must(store->SendTimes("r", "1camp", 0)) == std::vector<Micros>{150});
  CHECK(Must(store->SendTimes("r", "camp", 0)).empty());

  // Pruning drops one recipient and campaign's sends before the bound, nobody else's.
  ScheduleBatch prune;
  prune.prune_sends.push_back({"r1", "camp", 200});
  MustCommit(*store, prune);
  CHECK(Must(store->SendTimes("r1", "camp", std::numeric_limits<Micros>::min())) ==
        std::vector<Micros>{200, 200, 250, 300});
  CHECK(Must(store->SendTimes("r1", "campaign", 0)) == std::vector<Micros>{150});
  CHECK(Must(store->SendTimes("r1x", "camp", 0)) == std::vector<Micros>{150});
}

TEST_CASE("records: oldest first per case, across batches, isolated by case") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  auto rec = [](std::string case_id, std::string what, Micros at) {
    PlanRecord r;
    r.plan = {"camp", "rule", std::move(case_id)};
    r.what = std::move(what);
    r.at = at;
    r.due = at + 1;
    r.fire_at = at + 2;
    r.occurrence = 1;
    r.reason = "why";
    return r;
  };
  MustCommit(*store,
             Records({rec("A", "planned", 30), rec("AB", "planned", 5), rec("A", "deferred", 10)}));
  MustCommit(*store, Records({rec("A", "fired", 20)}));
  std::vector<PlanRecord> a = Must(store->RecordsForCase("A"));
  REQUIRE(a.size() == 3);
  CHECK(a[0].what == "planned");
  CHECK(a[1].what == "deferred");
  CHECK(a[2].what == "fired");
  CHECK(a[0].at == 30);
  CHECK(a[0].due == 31);
  CHECK(a[0].fire_at == 32);
  CHECK(a[0].occurrence == 1);
  CHECK(a[0].reason == "why");
  CHECK(a[0].plan == PlanKey{"camp", "rule", "A"});
  CHECK(Must(store->RecordsForCase("AB")).size() == 1);
  CHECK(Must(store->RecordsForCase("B")).empty());
}

TEST_CASE("cursor: 0 at first, then what the last batch set") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  CHECK(Must(store->Cursor()) == 0);
  MustCommit(*store, CursorAt(5));
  CHECK(Must(store->Cursor()) == 5);
  MustCommit(*store, Plans({MakePlan("c", "r", "x")}));  // no cursor
  CHECK(Must(store->Cursor()) == 5);
  MustCommit(*store, CursorAt(9));
  CHECK(Must(store->Cursor()) == 9);
  CHECK(store->Commit(ScheduleBatch{}).ok());  // empty: nothing to do
}

// A batch touching every family, for the atomicity and restart tests.
ScheduleBatch EverythingBatch(const std::string& tag, Micros at) {
  const PlanKey key{"camp", "rule", "case-" + tag};
  ScheduleBatch b;
  b.put_plans = {MakePlan(key.campaign, key.rule, key.case_id, at)};
  b.add_timers = {TimerEntry{at, key}};
  b.put_outbox = {Intent(key, 1)};
  CaseView view;
  view.case_id = key.case_id;
  view.state = json{{"tag", tag}};
  view.last_seq = 1;
  b.put_cases = {view};
  PlanRecord record;
  record.plan = key;
  record.what = "planned";
  b.records = {record};
  b.sends = {{"rec-" + tag, "camp", at}};
  b.cursor = 100;
  return b;
}

void CheckNothingOf(ScheduleStore& store, const std::string& tag) {
  const PlanKey key{"camp", "rule", "case-" + tag};
  CHECK_FALSE(Must(store.GetPlan(key)).has_value());
  CHECK_FALSE(Must(store.GetIntent(OutboxKey(key, 1))).has_value());
  CHECK_FALSE(Must(store.GetCase(key.case_id)).has_value());
  CHECK(Must(store.RecordsForCase(key.case_id)).empty());
  CHECK(Must(store.SendTimes("rec-" + tag, "camp", 0)).empty());
}

TEST_CASE("atomicity: nothing is visible before the write; a rejected batch writes nothing") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  MustCommit(*store, EverythingBatch("base", 500));

  int hook_runs = 0;
  store->SetBeforeWriteHookForTesting([&] {
    ++hook_runs;
    CheckNothingOf(*store, "new");
    CHECK(SameTimer(*Must(store->NextTimer()), TimerEntry{500, {"camp", "rule", "case-base"}}));
    CHECK(Must(store->PendingTimerCount()) == 1);
    CHECK(Must(store->OutboxAfter(0, 10)).size() == 1);
  });
  ScheduleBatch next = EverythingBatch("new", 400);  // its timer becomes the head
  next.cursor = 200;
  MustCommit(*store, next);
  CHECK(hook_runs == 1);
  store->SetBeforeWriteHookForTesting(nullptr);
  CHECK(Must(store->GetPlan({"camp", "rule", "case-new"})).has_value());
  CHECK(SameTimer(*Must(store->NextTimer()), TimerEntry{400, {"camp", "rule", "case-new"}}));
  CHECK(Must(store->Cursor()) == 200);

  // Valid parts plus one invalid entry: InvalidArgument and nothing of it stored.
  std::vector<std::function<void(ScheduleBatch&)>> spoilers = {
      [](ScheduleBatch& b) {
        b.put_outbox.push_back(Intent({"camp", "rule", "c"}, 0));
      },
      [](ScheduleBatch& b) {
        OutboxIntent no_key = Intent({"a", "b", "c"}, 1);
        no_key.key.clear();
        b.put_outbox.push_back(no_key);
      },
      [](ScheduleBatch& b) { b.add_timers.push_back(Timer(1, "")); },
      [](ScheduleBatch& b) { b.remove_timers.push_back(Timer(1, "camp", "", "c")); },
      [](ScheduleBatch& b) { b.put_plans.push_back(MakePlan("camp", "rule", "")); },
      [](ScheduleBatch& b) {
        b.put_plans.push_back(MakePlan("camp", "rule", "x"));
        b.put_plans.back().status = static_cast<PlanStatus>(7);
      },
      [](ScheduleBatch& b) { b.put_cases.push_back(CaseView{}); },
      [](ScheduleBatch& b) { b.records.push_back(PlanRecord{}); },
      [](ScheduleBatch& b) {
        b.sends.push_back({"r", "", 1});
      },
  };
  for (size_t i = 0; i < spoilers.size(); ++i) {
    CAPTURE(i);
    ScheduleBatch bad = EverythingBatch("bad", 1);
    bad.cursor = 300;
    spoilers[i](bad);
    CHECK(store->Commit(bad).IsInvalidArgument());
    CheckNothingOf(*store, "bad");
    CHECK(SameTimer(*Must(store->NextTimer()), TimerEntry{400, {"camp", "rule", "case-new"}}));
    CHECK(Must(store->PendingTimerCount()) == 2);
    CHECK(Must(store->Cursor()) == 200);
  }
  // Counters were not consumed by the rejected batches.
  MustCommit(*store, EverythingBatch("after", 600));
  CHECK(QueueSeqs(Must(store->OutboxAfter(0, 10))) == std::vector<uint64_t>{1, 2, 3});
}

TEST_CASE("a failed write reports Unavailable and changes neither the data nor memory") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenStore(dir.str(), clock);
  MustCommit(*store, EverythingBatch("base", 500));

  ScheduleBatch big = EverythingBatch("big", 100);  // would become the head
  big.remove_timers = {TimerEntry{500, {"camp", "rule", "case-base"}}};
  big.put_cases[0].state = json{{"pad", std::string(1 << 20, 'x')}};
  Status failed;
  {
    FileSizeLimit limit(256 << 10);
    failed = store->Commit(big);
  }
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.IsUnavailable());
  MESSAGE("failed write: ", failed.ToString());
  CheckNothingOf(*store, "big");
  CHECK(SameTimer(*Must(store->NextTimer()), TimerEntry{500, {"camp", "rule", "case-base"}}));
  CHECK(Must(store->DueTimers(1000, 10)).size() == 1);
  CHECK(Must(store->PendingTimerCount()) == 1);
  CHECK(Must(store->OutboxAfter(0, 10)).size() == 1);

  // With the cause gone the store resumes or keeps refusing (RocksDB 7.8 cannot always
  // resume after a failed WAL append); either way a reopen continues the counters.
  Status retry = store->Commit(EverythingBatch("retry", 700));
  MESSAGE("retry: ", retry.ToString());
  if (!retry.ok()) CHECK(retry.IsUnavailable());
  const uint64_t expected_next = retry.ok() ? 3 : 2;
  store.reset();
  store = OpenStore(dir.str(), clock);
  CheckNothingOf(*store, "big");
  MustCommit(*store, EverythingBatch("later", 800));
  std::vector<OutboxIntent> all = Must(store->OutboxAfter(0, 10));
  REQUIRE(all.size() == expected_next);
  CHECK(all.back().queue_seq == expected_next);
  CHECK(all.back().key == OutboxKey({"camp", "rule", "case-later"}, 1));
  CHECK(Must(store->PendingTimerCount()) == expected_next);
}

TEST_CASE("restart: every family and counter persists") {
  TempDir dir;
  FakeClock clock;
  {
    auto store = OpenStore(dir.str(), clock);
    MustCommit(*store, EverythingBatch("one", 500));
    MustCommit(*store, EverythingBatch("two", 300));
    ScheduleBatch fired = Timers({}, {TimerEntry{300, {"camp", "rule", "case-two"}}});
    PlanRecord record;
    record.plan = {"camp", "rule", "case-two"};
    record.what = "fired";
    fired.records = {record};
    fired.sends = {{"rec-two", "camp", 310}};
    fired.cursor = 123;
    MustCommit(*store, fired);
  }
  auto store = OpenStore(dir.str(), clock);
  CHECK(Must(store->Cursor()) == 123);
  CHECK(*Must(store->GetPlan({"camp", "rule", "case-one"})) ==
        MakePlan("camp", "rule", "case-one", 500));
  CHECK(Must(store->PlansForCase("case-two")).size() == 1);
  CHECK(SameTimer(*Must(store->NextTimer()), TimerEntry{500, {"camp", "rule", "case-one"}}));
  CHECK(Must(store->PendingTimerCount()) == 1);
  CHECK(Must(store->GetCase("case-two"))->state == json{{"tag", "two"}});
  CHECK(Must(store->SendTimes("rec-two", "camp", 0)) == std::vector<Micros>{300, 310});
  std::vector<PlanRecord> records = Must(store->RecordsForCase("case-two"));
  REQUIRE(records.size() == 2);
  CHECK(records[1].what == "fired");
  CHECK(QueueSeqs(Must(store->OutboxAfter(0, 10))) == std::vector<uint64_t>{1, 2});

  // Counters continue where they were.
  MustCommit(*store, EverythingBatch("three", 400));
  CHECK(QueueSeqs(Must(store->OutboxAfter(0, 10))) == std::vector<uint64_t>{1, 2, 3});
  CHECK(SameTimer(*Must(store->NextTimer()), TimerEntry{400, {"camp", "rule", "case-three"}}));
  CHECK(Must(store->PendingTimerCount()) == 2);
  CHECK(Must(store->RecordsForCase("case-two")).size() == 2);
}

TEST_CASE("open: errors for an empty path, a held directory, another database") {
  TempDir dir;
  FakeClock clock;
  ScheduleStoreOptions options;
  CHECK(RocksScheduleStore::Open(options, clock).status().IsInvalidArgument());

  options.path = (dir.path() / "sched").string();
  auto first = OpenStore(options.path, clock);
  Result<std::unique_ptr<RocksScheduleStore>> second = RocksScheduleStore::Open(options, clock);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().IsUnavailable());
  first.reset();
  CHECK(RocksScheduleStore::Open(options, clock).ok());

  StoreOptions log_options;
  log_options.path = (dir.path() / "log").string();
  REQUIRE(RocksStore::Open(log_options, clock).ok());  // closed again at once
  options.path = log_options.path;
  Result<std::unique_ptr<RocksScheduleStore>> wrong = RocksScheduleStore::Open(options, clock);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().IsInvalidArgument());
  MESSAGE(wrong.status().ToString());
}

}  // namespace
}  // namespace herald
