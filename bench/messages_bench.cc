// messages_bench: messages rendered and queued, then handed to the file connector, an SMTP
// server and a Twilio-compatible SMS server, on the real engine pieces (issue 4). A
// benchmark, not a test: it prints figures and only fails when the engine returns an error.
// See docs/benchmarks.md ("Messages (issue 4)"); bench/run_messages_bench.sh starts the
// sinks, measures their ceilings and runs this.
//
//   messages_bench [--targets render,file,smtp,sms] [--messages N] [--repeat R]
//                  [--smtp-url smtp://127.0.0.1:P] [--smtp-concurrency C]
//                  [--sms-url http://127.0.0.1:P] [--sms-concurrency C]
//                  [--samples DIR] [--dir D] [--sync 0|1]
//                  [--intake-step S] [--send-step S]
//                  [--sample-eml FILE] [--sample-sms FILE]
//
// For each target and repetition, in a fresh directory under D (default: a new mkdtemp
// directory, removed at the end), with the sample campaign, templates and herald.yaml
// (agency, email, delivery, public_url) from --samples (default ./samples):
//   0. setup (not measured), in batches of 1000: N planning events appended to a RocksStore
//      event log (sync off), and in a RocksScheduleStore each one's case view (state and
//      recipient), plan (done, planned_seq = the event) and outbox intent. Intent i renders
//      locale en/es/zh-Hans/vi/ar (i mod 5, as ResolveLocale picks them for the sample
//      campaign) and template documents-reminder / interview-reminder / status-update
//      ((i / 5) mod 3), on one channel: email or SMS alternately for `render` and `file`,
//      email only for `smtp`, SMS only for `sms`;
//   1. render and queue: Dispatcher::Intake(intake-step, 512 as DispatchWorker) until the
//      outbox is drained. TemplateComposer (given the event log, as serve does: it reads the
//      plan and its planning event for `event.*`) renders (Mustache, CommonMark, the email
//      layout, MIME, SMS counting) and RocksMessageStore commits each step in one synced
//      write;
//   2. send (not for `render`): Dispatcher::SendReady(send-step, 1024 as DispatchWorker)
//      until nothing is ready, with the target's one connector made by the registry
//      (file: 8 lanes; smtp: --smtp-concurrency; twilio: --sms-concurrency) and
//      send_threads = its concurrency, as serve sums them;
//   3. file only: the ceiling of the same files written raw (open O_EXCL, write, fsync,
//      rename, fsync of the folder: what the connector does) by as many threads, same
//      sizes, same filesystem.
// Both stores use --sync (default 1: every commit is fsynced, as in production). Wall time
// is steady_clock; engine time is a FakeClock, moved only to reach a retry (none are
// expected; retries and failures are counted and printed). Thin timing wrappers around the
// composer, the message store and the connector (one steady_clock read per call) split
// each phase into rendering, store and gateway time.
//
// Every figure is also printed as one "RESULT key=value ..." line for the driver script.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/core/time_format.h"
#include "engine/dispatch/dispatcher.h"
#include "engine/dispatch/template_composer.h"
#include "engine/rules/campaign_loader.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"
#include "templates/template_set.h"

namespace fs = std::filesystem;
using namespace herald;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The sms_test_server's default credentials (tests/sms_server/sms_server.h).
constexpr const char* kSmsAccountSid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kSmsAuthToken = "sms-test-auth-token";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "messages_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

// Adds the time since `start_` to `*sink_ns` when it goes out of scope.
class ScopedNs {
 public:
  explicit ScopedNs(std::atomic<int64_t>* sink_ns) : sink_ns_(sink_ns), start_(NowNs()) {}
  ~ScopedNs() { sink_ns_->fetch_add(NowNs() - start_); }

 private:
  std::atomic<int64_t>* sink_ns_;
  int64_t start_;
};

double Sec(const std::atomic<int64_t>& ns) {
  return ns.load() / 1e9;
}

// CPU time of this thread, and of the whole process (every thread, RocksDB's included).
int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The RocksMessageStore with the time spent in each kind of call added up.
class TimedStore final : public MessageStore {
 public:
  explicit TimedStore(MessageStore& inner) : inner_(inner) {}

  std::atomic<int64_t> commit_ns{0}, ready_ns{0}, get_many_ns{0}, other_ns{0};
  std::atomic<int64_t> commits{0};

  const std::string& Secret() const override { return inner_.Secret(); }
  Result<uint64_t> OutboxCursor() override {
    ScopedNs t(&other_ns);
    return inner_.OutboxCursor();
  }
  Result<std::optional<Message>> Get(std::string_view id) override {
    ScopedNs t(&other_ns);
    return inner_.Get(id);
  }
  Result<std::vector<std::optional<Message>>> GetMany(
      const std::vector<std::string>& ids) override {
    ScopedNs t(&get_many_ns);
    return inner_.GetMany(ids);
  }
  Result<std::optional<Message>> FindByProvider(std::string_view connector,
                                                std::string_view provider_id) override {
    ScopedNs t(&other_ns);
    return inner_.FindByProvider(connector, provider_id);
  }
  Result<std::vector<std::string>> MessagesForCase(std::string_view case_id) override {
    ScopedNs t(&other_ns);
    return inner_.MessagesForCase(case_id);
  }
  Result<std::vector<Message>> Ready(Micros now, size_t limit) override {
    ScopedNs t(&ready_ns);
    return inner_.Ready(now, limit);
  }
  Result<std::optional<Micros>> NextReady() override {
    ScopedNs t(&other_ns);
    return inner_.NextReady();
  }
  Result<size_t> ReadyCount() override {
    ScopedNs t(&other_ns);
    return inner_.ReadyCount();
  }
  Result<std::vector<StatusCallback>> DueCallbacks(Micros now, size_t limit) override {
    ScopedNs t(&other_ns);
    return inner_.DueCallbacks(now, limit);
  }
  Status Commit(const MessageBatch& batch) override {
    ScopedNs t(&commit_ns);
    commits.fetch_add(1);
    return inner_.Commit(batch);
  }

 private:
  MessageStore& inner_;
};

// The TemplateComposer, timed, counting what it makes and keeping one sample of each
// (channel, locale, template) for the driver's ceilings.
class TimedComposer final : public MessageComposer {
 public:
  explicit TimedComposer(MessageComposer& inner) : inner_(inner) {}

  std::atomic<int64_t> compose_ns{0}, compose_cpu_ns{0};
  size_t email = 0, sms = 0, settled = 0;
  uint64_t mime_bytes = 0, sms_bytes = 0;
  std::string first_settled_reason;
  std::map<std::string, std::string> email_samples, sms_samples;  // by locale/template

  Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) override {
    const int64_t start = NowNs(), cpu_start = ThreadCpuNs();
    Result<std::vector<Message>> out = inner_.Compose(intent, now);
    compose_cpu_ns.fetch_add(ThreadCpuNs() - cpu_start);
    compose_ns.fetch_add(NowNs() - start);
    if (!out.ok()) return out;
    for (const Message& m : *out) {
      if (m.status != MessageStatus::kQueued) {
        ++settled;
        if (first_settled_reason.empty()) {
          first_settled_reason = std::string(MessageStatusName(m.status)) + ": " + m.reason;
        }
        continue;
      }
      const std::string key = m.locale + "/" + m.template_id;
      if (m.channel == Channel::kEmail) {
        ++email;
        mime_bytes += m.mime.size();
        email_samples.emplace(key, m.mime);
      } else {
        ++sms;
        sms_bytes += m.sms_text.size();
        sms_samples.emplace(key, m.sms_text);
      }
    }
    return out;
  }

 private:
  MessageComposer& inner_;
};

// A registry-made connector, timed: the sum of Send times, and per round the span from
// the first Send's start to the last one's end (the wall time the round spends on the
// gateway). Outcomes are counted by kind; the first non-accepted one is kept.
class TimedConnector final : public Connector {
 public:
  explicit TimedConnector(std::unique_ptr<Connector> inner) : inner_(std::move(inner)) {}

  std::atomic<int64_t> send_ns{0};
  std::atomic<int64_t> accepted{0}, temporary{0}, permanent{0}, suppress{0};

  const std::string& name() const override { return inner_->name(); }
  std::string_view type() const override { return inner_->type(); }
  std::vector<Channel> channels() const override { return inner_->channels(); }
  int max_concurrency() const override { return inner_->max_concurrency(); }
  bool VerifyCallback(const CallbackRequest& r) const override { return inner_->VerifyCallback(r); }

  SendOutcome Send(const OutboundMessage& message) override {
    const int64_t start = NowNs();
    int64_t first = round_first_.load();
    while ((first == 0 || start < first) && !round_first_.compare_exchange_weak(first, start)) {
    }
    SendOutcome o = inner_->Send(message);
    const int64_t end = NowNs();
    int64_t last = round_last_.load();
    while (end > last && !round_last_.compare_exchange_weak(last, end)) {
    }
    send_ns.fetch_add(end - start);
    switch (o.kind) {
      case SendOutcome::Kind::kAccepted:
        accepted.fetch_add(1);
        break;
      case SendOutcome::Kind::kTemporary:
        temporary.fetch_add(1);
        break;
      case SendOutcome::Kind::kPermanent:
        permanent.fetch_add(1);
        break;
      case SendOutcome::Kind::kSuppress:
        suppress.fetch_add(1);
        break;
    }
    if (o.kind != SendOutcome::Kind::kAccepted) {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_failure_.empty()) {
        first_failure_ = std::string(SendOutcomeKindName(o.kind)) + " " + o.code + ": " + o.reason;
      }
    }
    return o;
  }

  // Starts a round; EndRound returns the gateway span of the round in seconds.
  void BeginRound() {
    round_first_ = 0;
    round_last_ = 0;
  }
  double EndRound() const {
    const int64_t first = round_first_.load(), last = round_last_.load();
    return first == 0 || last < first ? 0.0 : (last - first) / 1e9;
  }
  std::string first_failure() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_failure_;
  }

 private:
  std::unique_ptr<Connector> inner_;
  std::atomic<int64_t> round_first_{0}, round_last_{0};
  std::mutex mu_;
  std::string first_failure_;
};

struct Flags {
  std::vector<std::string> targets = {"render", "file", "smtp", "sms"};
  size_t messages = 20'000;
  int repeat = 1;
  std::string smtp_url;
  int smtp_concurrency = 16;
  std::string sms_url;
  int sms_concurrency = 16;
  std::string samples = "samples";
  std::string dir;
  bool sync = true;
  size_t intake_step = 512;  // DispatchWorker::kIntakeStep
  size_t send_step = 1024;   // DispatchWorker::kSendStep
  std::string sample_eml;
  std::string sample_sms;
};

const char* kLocales[] = {"en", "es", "zh-Hans", "vi", "ar"};
const char* kRecipientLocales[] = {"en-US", "es-MX", "zh-Hans", "vi", "ar"};
const char* kZones[] = {"America/Chicago", "America/Los_Angeles", "America/New_York",
                        "America/Detroit", "America/Denver"};
const char* kTemplates[] = {"documents-reminder", "interview-reminder", "status-update"};

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

struct Shared {
  Config config;
  CampaignSet campaigns;
  TemplateSet templates;
};

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

void RunTarget(const Flags& flags, const Shared& shared, const std::string& target, int rep,
               const fs::path& root) {
  const fs::path dir = root / (target + "-" + std::to_string(rep));
  FakeClock clock;  // 2026-01-01T00:00:00Z
  const Micros start = clock.NowMicros();

  StoreOptions lso;
  lso.path = (dir / "events").string();
  lso.sync_writes = false;  // setup only
  std::unique_ptr<RocksStore> log = Check(RocksStore::Open(lso, clock), "open event log");
  ScheduleStoreOptions sso;
  sso.path = (dir / "schedule").string();
  sso.sync_writes = flags.sync;
  std::unique_ptr<RocksScheduleStore> sched =
      Check(RocksScheduleStore::Open(sso, clock), "open schedule store");
  MessageStoreOptions mso;
  mso.path = (dir / "messages").string();
  mso.sync_writes = flags.sync;
  std::unique_ptr<RocksMessageStore> rocks_messages =
      Check(RocksMessageStore::Open(mso), "open message store");
  TimedStore messages(*rocks_messages);

  const size_t n = flags.messages;
  auto t0 = SteadyClock::now();
  PutIntents(*log, *sched, target, n, start);
  std::printf("[%s #%d] setup: %zu intents in %.1f s (not a measurement)\n", target.c_str(), rep, n,
              Seconds(t0));
  std::fflush(stdout);

  // The target's connector, from the registry.
  ConnectorConfig cc;
  std::vector<std::string> email_route, sms_route;
  if (target == "file" || target == "render") {
    cc.name = "outbox";
    cc.type = "file";
    cc.options = {{"path", (dir / "outbox").string()}};
    email_route = sms_route = {"outbox"};
  } else if (target == "smtp") {
    cc.name = "smtp";
    cc.type = "smtp";
    cc.options = {{"url", flags.smtp_url},
                  {"from", shared.config.email.from_address},
                  {"starttls", "none"},
                  {"concurrency", flags.smtp_concurrency}};
    email_route = {"smtp"};
  } else {
    cc.name = "sms";
    cc.type = "twilio";
    cc.options = {{"account_sid", kSmsAccountSid},
                  {"auth_token", kSmsAuthToken},
                  {"from", "+14155550199"},
                  {"base_url", flags.sms_url},
                  {"concurrency", flags.sms_concurrency}};
    sms_route = {"sms"};
  }
  ConnectorEnv env;
  env.clock = &clock;
  TimedConnector connector(Check(CreateConnector(cc, env), "create connector"));

  ComposerSettings settings{shared.config.agency, shared.config.email, shared.config.public_url};
  TemplateComposer template_composer(*sched, messages, settings, shared.campaigns, shared.templates,
                                     log.get());
  TimedComposer composer(template_composer);

  DispatcherOptions options;
  options.delivery = shared.config.delivery;
  options.connectors[cc.name] = {&connector, 0, 1};
  options.email_route = email_route;
  options.sms_route = sms_route;
  options.public_url = shared.config.public_url;
  options.status_callbacks = false;
  options.random_seed = 42;
  options.send_threads = static_cast<size_t>(std::max(1, connector.max_concurrency()));
  Dispatcher dispatcher(*sched, messages, composer, clock, options);

  // 1. Render and queue.
  double cpu0 = ProcessCpuSeconds();
  t0 = SteadyClock::now();
  size_t taken = 0, steps = 0;
  for (;;) {
    const size_t k = Check(dispatcher.Intake(flags.intake_step), "intake");
    if (k == 0) break;
    taken += k;
    ++steps;
  }
  const double render_s = Seconds(t0);
  const double render_cpu = ProcessCpuSeconds() - cpu0;
  const double compose_cpu = Sec(composer.compose_cpu_ns);
  const size_t queued = Check(messages.ReadyCount(), "ready count");
  const double compose_s = Sec(composer.compose_ns);
  const double store_s = Sec(messages.commit_ns) + Sec(messages.get_many_ns);
  std::printf(
      "[%s #%d] render+queue: %zu intents -> %zu queued (%zu email, avg MIME %.0f B; %zu sms, "
      "avg %.0f B; %zu settled at compose) in %.2f s = %.0f msg/s (goal >= 50000); "
      "%zu Intake steps; composing %.2f s (%.0f%%, %.1f us/msg), store GetMany+Commit %.2f s "
      "(%.0f%%, %.1f ms/commit), other %.2f s; CPU: composing %.1f us/msg, whole process "
      "%.1f us/msg (%.2f cores busy)\n",
      target.c_str(), rep, taken, queued, composer.email,
      composer.email ? double(composer.mime_bytes) / composer.email : 0.0, composer.sms,
      composer.sms ? double(composer.sms_bytes) / composer.sms : 0.0, composer.settled, render_s,
      taken / render_s, steps, compose_s, 100 * compose_s / render_s, 1e6 * compose_s / taken,
      store_s, 100 * store_s / render_s,
      1e3 * Sec(messages.commit_ns) / std::max<int64_t>(1, messages.commits.load()),
      render_s - compose_s - store_s, 1e6 * compose_cpu / taken, 1e6 * render_cpu / taken,
      render_cpu / render_s);
  if (composer.settled > 0) {
    std::printf("[%s #%d] WARNING: %zu messages settled at compose; first: %s\n", target.c_str(),
                rep, composer.settled, composer.first_settled_reason.c_str());
  }
  std::printf(
      "RESULT target=%s rep=%d phase=render messages=%zu seconds=%.3f per_s=%.0f compose_s=%.3f "
      "store_s=%.3f compose_cpu_us=%.1f cpu_us=%.1f settled=%zu email=%zu sms=%zu avg_mime=%.0f\n",
      target.c_str(), rep, taken, render_s, taken / render_s, compose_s, store_s,
      1e6 * compose_cpu / taken, 1e6 * render_cpu / taken, composer.settled, composer.email,
      composer.sms, composer.email ? double(composer.mime_bytes) / composer.email : 0.0);
  std::fflush(stdout);

  if (!flags.sample_eml.empty() && !composer.email_samples.empty()) {
    WriteFile(flags.sample_eml, Typical(composer.email_samples));
  }
  if (!flags.sample_sms.empty() && !composer.sms_samples.empty()) {
    WriteFile(flags.sample_sms, Typical(composer.sms_samples));
  }
  if (target == "render") return;

  // 2. Send.
  messages.commit_ns = 0;
  messages.get_many_ns = 0;
  messages.ready_ns = 0;
  messages.other_ns = 0;
  messages.commits = 0;
  cpu0 = ProcessCpuSeconds();
  t0 = SteadyClock::now();
  size_t rounds = 0, handled = 0, clock_moves = 0;
  double gateway_s = 0;
  for (;;) {
    connector.BeginRound();
    const size_t k = Check(dispatcher.SendReady(flags.send_step), "send round");
    gateway_s += connector.EndRound();
    if (k > 0) {
      handled += k;
      ++rounds;
      continue;
    }
    // Nothing ready now: done, unless a retry waits for its time.
    const std::optional<Micros> next = Check(messages.NextReady(), "next ready");
    if (!next) break;
    if (++clock_moves > 64) Die("messages still waiting after 64 retry waits");
    clock.Set(std::max(clock.NowMicros() + 1, *next));
  }
  const double send_s = Seconds(t0);
  const double send_cpu = ProcessCpuSeconds() - cpu0;
  const DispatchStats st = dispatcher.stats();
  const double ready_s = Sec(messages.ready_ns);
  const double commit_s = Sec(messages.commit_ns);
  const double get_s = Sec(messages.get_many_ns);
  std::printf(
      "[%s #%d] send via %s (%d connections): %zu sent in %.2f s = %.0f msg/s; %zu rounds; "
      "accepted %zu, retried %zu, failed %zu, suppressed %zu, clock moves %zu; per round "
      "%.1f ms: gateway span %.1f ms (%.0f%%), Ready %.1f ms, 2 commits %.1f ms, GetMany %.1f "
      "ms; connector busy %.0f%% of %d lanes; process CPU %.1f us/msg (%.2f cores busy)\n",
      target.c_str(), rep, cc.type.c_str(), connector.max_concurrency(), st.accepted, send_s,
      st.accepted / send_s, rounds, st.accepted, st.retried, st.failed, st.suppressed, clock_moves,
      1e3 * send_s / std::max<size_t>(1, rounds), 1e3 * gateway_s / std::max<size_t>(1, rounds),
      100 * gateway_s / send_s, 1e3 * ready_s / std::max<size_t>(1, rounds),
      1e3 * commit_s / std::max<size_t>(1, rounds), 1e3 * get_s / std::max<size_t>(1, rounds),
      100 * Sec(connector.send_ns) / (send_s * connector.max_concurrency()),
      connector.max_concurrency(), 1e6 * send_cpu / std::max<size_t>(1, st.accepted),
      send_cpu / send_s);
  const std::string failure = connector.first_failure();
  if (!failure.empty()) {
    std::printf(
        "[%s #%d] WARNING: not accepted: temporary %lld, permanent %lld, suppress %lld; "
        "first: %s\n",
        target.c_str(), rep, static_cast<long long>(connector.temporary.load()),
        static_cast<long long>(connector.permanent.load()),
        static_cast<long long>(connector.suppress.load()), failure.c_str());
  }
  std::printf(
      "RESULT target=%s rep=%d phase=send messages=%zu seconds=%.3f per_s=%.0f rounds=%zu "
      "gateway_s=%.3f ready_s=%.3f commit_s=%.3f getmany_s=%.3f retried=%zu failed=%zu "
      "suppressed=%zu temporary=%lld connections=%d cpu_us=%.1f\n",
      target.c_str(), rep, st.accepted, send_s, st.accepted / send_s, rounds, gateway_s, ready_s,
      commit_s, get_s, st.retried, st.failed, st.suppressed,
      static_cast<long long>(connector.temporary.load()), connector.max_concurrency(),
      1e6 * send_cpu / std::max<size_t>(1, st.accepted));
  std::fflush(stdout);

  // 3. The file ceiling, same sizes and threads.
  if (target == "file") {
    std::vector<uint64_t> sizes;
    for (const auto& e : fs::directory_iterator(dir / "outbox")) {
      if (e.is_regular_file()) sizes.push_back(e.file_size());
    }
    const double ceiling = RawFileCeiling(dir / "raw", sizes, connector.max_concurrency());
    std::printf(
        "[%s #%d] ceiling: %zu files of the same sizes written raw (O_EXCL, write, fsync, "
        "rename, fsync dir) by %d threads = %.0f files/s\n",
        target.c_str(), rep, sizes.size(), connector.max_concurrency(), ceiling);
    std::printf("RESULT target=file rep=%d phase=ceiling files=%zu per_s=%.0f\n", rep, sizes.size(),
                ceiling);
    std::fflush(stdout);
  }
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--targets") {
      flags.targets = SplitComma(next());
    } else if (a == "--messages") {
      flags.messages = std::stoull(next());
    } else if (a == "--repeat") {
      flags.repeat = std::stoi(next());
    } else if (a == "--smtp-url") {
      flags.smtp_url = next();
    } else if (a == "--smtp-concurrency") {
      flags.smtp_concurrency = std::stoi(next());
    } else if (a == "--sms-url") {
      flags.sms_url = next();
    } else if (a == "--sms-concurrency") {
      flags.sms_concurrency = std::stoi(next());
    } else if (a == "--samples") {
      flags.samples = next();
    } else if (a == "--dir") {
      flags.dir = next();
    } else if (a == "--sync") {
      flags.sync = next() != "0";
    } else if (a == "--intake-step") {
      flags.intake_step = std::stoull(next());
    } else if (a == "--send-step") {
      flags.send_step = std::stoull(next());
    } else if (a == "--sample-eml") {
      flags.sample_eml = next();
    } else if (a == "--sample-sms") {
      flags.sample_sms = next();
    } else {
      Die("usage: messages_bench [--targets render,file,smtp,sms] [--messages N] [--repeat R]\n"
          "  [--smtp-url URL] [--smtp-concurrency C] [--sms-url URL] [--sms-concurrency C]\n"
          "  [--samples DIR] [--dir D] [--sync 0|1] [--intake-step S] [--send-step S]\n"
          "  [--sample-eml FILE] [--sample-sms FILE]");
    }
  }
  for (const std::string& t : flags.targets) {
    if (t != "render" && t != "file" && t != "smtp" && t != "sms") Die("unknown target " + t);
    if (t == "smtp" && flags.smtp_url.empty()) Die("target smtp needs --smtp-url");
    if (t == "sms" && flags.sms_url.empty()) Die("target sms needs --sms-url");
  }

  Shared shared;
  const fs::path samples = flags.samples;
  ConfigLoad cl = LoadConfigFile((samples / "herald.yaml").string(),
                                 [](const std::string&) { return std::optional<std::string>(); });
  if (!cl.config) {
    for (const ConfigError& e : cl.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    Die("cannot load " + (samples / "herald.yaml").string());
  }
  shared.config = *cl.config;
  CampaignLoad load =
      LoadCampaigns((samples / "campaigns").string(), (samples / "templates").string());
  if (!load.ok()) {
    for (const ConfigError& e : load.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    Die("campaign load failed");
  }
  shared.campaigns = load.campaigns;
  shared.templates = Check(TemplateSet::Load((samples / "templates").string()), "templates");

  fs::path root;
  const bool temp = flags.dir.empty();
  if (temp) {
    std::string tmpl = (fs::temp_directory_path() / "messages_bench.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    root = tmpl;
  } else {
    root = flags.dir;
    fs::create_directories(root);
  }
  std::printf(
      "messages_bench: messages=%zu repeat=%d sync_writes=%d intake_step=%zu "
      "send_step=%zu dir=%s\n",
      flags.messages, flags.repeat, flags.sync ? 1 : 0, flags.intake_step, flags.send_step,
      root.string().c_str());
  std::fflush(stdout);

  for (int rep = 1; rep <= flags.repeat; ++rep) {
    for (const std::string& t : flags.targets) {
      RunTarget(flags, shared, t, rep, root);
      std::error_code ec;
      fs::remove_all(root / (t + "-" + std::to_string(rep)), ec);
    }
  }
  if (temp) {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  return 0;
}
