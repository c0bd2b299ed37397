// TemplateComposer::ComposeMany (the batched, parallel path of Dispatcher::Intake) against
// Compose of each intent: the same messages, byte for byte and in the same order, whatever
// the number of threads; storage errors come back as the first failing intent's error.
// Also WorkerPool::ParallelFor. Real stores in a temp dir, the sample campaign and
// templates, a FakeClock; no sleeping.
#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "engine/core/clock.h"
#include "engine/dispatch/template_composer.h"
#include "engine/dispatch/worker_pool.h"
#include "engine/rules/campaign_loader.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"
#include "templates/template_set.h"
#include "tests/test_util.h"

#include "tests/forwarding_schedule_store.h"

namespace herald {
namespace {

using nlohmann::json;

const std::string kSamples = std::string(HERALD_SOURCE_DIR) + "/samples";
const char* const kTemplates[] = {"documents-reminder", "interview-reminder", "status-update"};
const char* const kLocales[] = {"en", "es", "zh-Hans", "vi", "ar", "fr"};

// A schedule store that fails GetCase for one case id; everything else goes through.
class FailingCaseStore final : public testing::ForwardingScheduleStore {
 public:
  FailingCaseStore(ScheduleStore& inner, std::string bad_case)
      : ForwardingScheduleStore(inner), bad_case_(std::move(bad_case)) {}
  Result<std::optional<CaseView>> GetCase(std::string_view case_id) override {
    if (case_id == bad_case_) return Status::Unavailable("case view unreadable");
    return inner_.GetCase(case_id);
  }
  Result<std::vector<std::optional<Plan>>> GetPlans(const std::vector<PlanKey>& keys) override {
    return inner_.GetPlans(keys);
  }

 private:
  std::string bad_case_;
};

// The sample events in a real log, each planning intents in every sample template, in
// varied locales and channel lists, with cases, plans and a few unusual intents.
struct ComposeEnv {
  testing::TempDir dir;
  FakeClock clock;
  std::unique_ptr<RocksStore> log;
  std::unique_ptr<RocksScheduleStore> schedule;
  std::unique_ptr<RocksMessageStore> messages;
  CampaignSet campaigns;
  TemplateSet templates;
  ComposerSettings settings;
  std::vector<OutboxIntent> intents;

  ComposeEnv() {
    StoreOptions lo;
    lo.path = dir.Sub("log");
    lo.sync_writes = false;
    log = std::move(RocksStore::Open(lo, clock)).value();
    ScheduleStoreOptions so;
    so.path = dir.Sub("schedule");
    so.sync_writes = false;
    schedule = std::move(RocksScheduleStore::Open(so, clock)).value();
    MessageStoreOptions mo;
    mo.path = dir.Sub("messages");
    mo.sync_writes = false;
    messages = std::move(RocksMessageStore::Open(mo)).value();

    CampaignLoad load = LoadCampaigns(kSamples + "/campaigns", kSamples + "/templates");
    REQUIRE(load.ok());
    campaigns = load.campaigns;
    Result<TemplateSet> set = TemplateSet::Load(kSamples + "/templates");
    REQUIRE(set.ok());
    templates = *set;
    settings.agency.name = "Department of Human Services";
    settings.agency.primary_color = "#1d4ed8";
    settings.agency.help_url = "https://benefits.example.org/help";
    settings.email.from_address = "notices@dhs.example.org";
    settings.public_url = "https://herald.example.org";

    std::ifstream in(kSamples + "/events.ndjson");
    REQUIRE(in);
    std::map<std::string, json> states;
    std::map<std::string, Recipient> recipients;
    std::string line;
    size_t n = 0;
    ScheduleBatch batch;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const json j = json::parse(line);
      Event e;
      e.id = j["id"];
      e.case_id = j["case_id"];
      e.type = j["type"];
      e.occurred_at = j["occurred_at"];
      e.data = j["data"];
      if (j.contains("recipient")) e.recipient = RecipientFromJson(j["recipient"]);
      Result<std::vector<AppendOutcome>> out = log->Append("test", {e});
      REQUIRE(out.ok());
      const uint64_t seq = out->front().seq;
      states.try_emplace(e.case_id, json::object()).first->second.merge_patch(e.data);
      if (e.recipient) MergeRecipient(recipients[e.case_id], *e.recipient);
      // Every third event plans nothing: the ranges read from the log have gaps.
      if (n++ % 3 == 2) continue;
      for (int t = 0; t < 3; ++t) {
        const std::string case_id = e.case_id + "/" + std::to_string(seq) + "/" + kTemplates[t];
        CaseView view;
        view.case_id = case_id;
        view.state = states[e.case_id];
        view.recipient = recipients[e.case_id];
        view.last_seq = seq;
        Plan plan;
        plan.key = PlanKey{"snap-recertification", kTemplates[t], case_id};
        plan.template_id = kTemplates[t];
        plan.status = PlanStatus::kDone;
        plan.planned_seq = (seq + t) % 7 == 0 ? 0 : seq;  // a few without an event
        OutboxIntent intent;
        intent.plan = plan.key;
        intent.occurrence = 1 + t;
        intent.key = OutboxKey(intent.plan, intent.occurrence);
        intent.recipient_id = view.recipient->id;
        intent.template_id = kTemplates[t];
        intent.locale = kLocales[(seq + t) % std::size(kLocales)];
        switch ((seq + t) % 5) {
          case 0:
            intent.channels = {"email", "sms"};
            break;
          case 1:
            intent.channels = {"sms"};
            break;
          case 2:
            intent.channels = {"email"};
            break;
          case 3:
            intent.channels = {"sms", "email"};
            break;
          default:
            intent.channels = {};
            break;
        }
        batch.put_cases.push_back(std::move(view));
        if ((seq + t) % 11 != 5) batch.put_plans.push_back(std::move(plan));  // some have none
        intents.push_back(std::move(intent));
      }
    }
    // Unusual intents: a template that does not exist, a case the schedule never saw.
    OutboxIntent gone = intents.front();
    gone.template_id = "no-such-template";
    gone.key += "/gone";
    intents.push_back(gone);
    OutboxIntent unknown = intents.back();
    unknown.plan.case_id = "never-seen";
    unknown.template_id = kTemplates[0];
    unknown.key += "/unknown";
    intents.push_back(unknown);
    REQUIRE(schedule->Commit(batch).ok());
    REQUIRE(intents.size() > 20);
  }

  std::unique_ptr<TemplateComposer> Composer(size_t threads, ScheduleStore* sched = nullptr) {
    return std::make_unique<TemplateComposer>(sched ? *sched : *schedule, *messages, settings,
                                              campaigns, templates, log.get(), threads);
  }
};

std::vector<Message> OneByOne(TemplateComposer& composer, const std::vector<OutboxIntent>& intents,
                              Micros now) {
  std::vector<Message> out;
  for (const OutboxIntent& intent : intents) {
    Result<std::vector<Message>> made = composer.Compose(intent, now);
    REQUIRE(made.ok());
    for (Message& m : *made) out.push_back(std::move(m));
  }
  return out;
}

TEST_CASE("ComposeMany makes exactly the messages of Compose, in order, on any number of threads") {
  ComposeEnv env;
  const Micros now = env.clock.NowMicros();
  const std::vector<Message> expected = OneByOne(*env.Composer(0), env.intents, now);
  size_t emails = 0, sms = 0, settled = 0;
  for (const Message& m : expected) {
    if (m.status != MessageStatus::kQueued) {
      ++settled;
    } else if (m.channel == Channel::kEmail) {
      ++emails;
      CHECK(m.mime.find("Content-Type: multipart/alternative") != std::string::npos);
    } else {
      ++sms;
    }
  }
  // The fixture covers rendered emails and SMS and settled messages of several kinds.
  CHECK(emails > 5);
  CHECK(sms > 5);
  CHECK(settled > 3);

  for (size_t threads : {size_t{0}, size_t{1}, size_t{3}}) {
    CAPTURE(threads);
    auto composer = env.Composer(threads);
    for (int round = 0; round < 2; ++round) {  // the second round reuses the pool
      Result<std::vector<Message>> many = composer->ComposeMany(env.intents, now);
      REQUIRE(many.ok());
      REQUIRE(many->size() == expected.size());
      for (size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK((*many)[i] == expected[i]);
      }
    }
    // A step of one intent, and an empty one.
    Result<std::vector<Message>> one = composer->ComposeMany({env.intents[0]}, now);
    REQUIRE(one.ok());
    CHECK(*one == OneByOne(*env.Composer(0), {env.intents[0]}, now));
    Result<std::vector<Message>> none = composer->ComposeMany({}, now);
    REQUIRE(none.ok());
    CHECK(none->empty());
  }
}

TEST_CASE("ComposeMany returns the storage error and no messages") {
  ComposeEnv env;
  FailingCaseStore failing(*env.schedule, env.intents[7].plan.case_id);
  for (size_t threads : {size_t{0}, size_t{2}}) {
    auto composer = env.Composer(threads, &failing);
    Result<std::vector<Message>> many = composer->ComposeMany(env.intents, env.clock.NowMicros());
    REQUIRE_FALSE(many.ok());
    CHECK(many.status().IsUnavailable());
    CHECK(many.status().message() == "case view unreadable");
  }
}

TEST_CASE("ComposeMany uses the content of the last SetContent") {
  ComposeEnv env;
  auto composer = env.Composer(2);
  composer->SetContent(env.campaigns, TemplateSet());  // every template gone
  Result<std::vector<Message>> many = composer->ComposeMany(env.intents, env.clock.NowMicros());
  REQUIRE(many.ok());
  for (const Message& m : *many) {
    CHECK(m.status != MessageStatus::kQueued);
  }
  composer->SetContent(env.campaigns, env.templates);
  Result<std::vector<Message>> again = composer->ComposeMany(env.intents, env.clock.NowMicros());
  REQUIRE(again.ok());
  CHECK(*again == OneByOne(*env.Composer(0), env.intents, env.clock.NowMicros()));
}

TEST_CASE("WorkerPool::ParallelFor calls every index once, on the caller too") {
  for (size_t threads : {size_t{0}, size_t{1}, size_t{3}}) {
    WorkerPool pool(threads);
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{100}, size_t{1000}}) {
      CAPTURE(threads);
      CAPTURE(n);
      std::vector<std::atomic<int>> calls(n);
      pool.ParallelFor(n, [&](size_t i) { calls[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) CHECK(calls[i].load() == 1);
    }
  }
}

}  // namespace
}  // namespace herald
