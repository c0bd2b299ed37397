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
//   2. send (not for `render`): Dispatcher::SendReady(send-step, 4096 as DispatchWorker)
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
// The setup and the file ceiling are in messages_bench_setup.cc, the timing wrappers in
// messages_bench_timing.h.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/messages_bench_setup.h"
#include "bench/messages_bench_timing.h"
#include "connectors/connector.h"
#include "connectors/registry.h"
#include "engine/config/config.h"
#include "engine/core/clock.h"
#include "engine/dispatch/dispatch_worker.h"
#include "engine/dispatch/dispatcher.h"
#include "engine/dispatch/template_composer.h"
#include "engine/rules/campaign_loader.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_store.h"
#include "engine/store/schedule_store_rocks.h"
#include "templates/template_set.h"

namespace fs = std::filesystem;
using namespace herald;
using namespace herald::bench;

namespace {

// The sms_test_server's default credentials (tests/sms_server/sms_server.h).
constexpr const char* kSmsAccountSid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kSmsAuthToken = "sms-test-auth-token";

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
  // DispatchWorker::kSendStep. The FakeClock does not move during a call, so
  // DispatcherOptions::send_call_us (1 s under serve) never cuts one short here.
  size_t send_step = DispatchWorker::kSendStep;
  std::string sample_eml;
  std::string sample_sms;
};

struct Shared {
  Config config;
  CampaignSet campaigns;
  TemplateSet templates;
};

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

  // 2. Send. A "call" is one SendReady (DispatchWorker's step): it claims, sends and
  // records outcomes continuously until it has handled send-step messages.
  messages.commit_ns = 0;
  messages.get_many_ns = 0;
  messages.bodies_ns = 0;
  messages.ready_ns = 0;
  messages.other_ns = 0;
  messages.commits = 0;
  cpu0 = ProcessCpuSeconds();
  t0 = SteadyClock::now();
  size_t calls = 0, handled = 0, clock_moves = 0;
  double gateway_s = 0;
  for (;;) {
    connector.BeginRound();
    const size_t k = Check(dispatcher.SendReady(flags.send_step), "send call");
    gateway_s += connector.EndRound();
    if (k > 0) {
      handled += k;
      ++calls;
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
  const double bodies_s = Sec(messages.bodies_ns);
  const int64_t commits = messages.commits.load();
  std::printf(
      "[%s #%d] send via %s (%d connections): %zu sent in %.2f s = %.0f msg/s; %zu SendReady "
      "calls; accepted %zu, retried %zu, failed %zu, suppressed %zu, cancelled %zu, clock moves "
      "%zu; store on the driving thread: ReadyStates %.2f s, %lld commits %.2f s (%.1f message "
      "writes per commit), GetStates %.2f s, GetBodies %.2f s; gateway span %.0f%% of the time; "
      "connector busy %.0f%% of %d lanes; process CPU %.1f us/msg (%.2f cores busy)\n",
      target.c_str(), rep, cc.type.c_str(), connector.max_concurrency(), st.accepted, send_s,
      st.accepted / send_s, calls, st.accepted, st.retried, st.failed, st.suppressed, st.cancelled,
      clock_moves, ready_s, static_cast<long long>(commits), commit_s,
      commits > 0 ? 2.0 * st.accepted / commits : 0.0, get_s, bodies_s, 100 * gateway_s / send_s,
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
      "RESULT target=%s rep=%d phase=send messages=%zu seconds=%.3f per_s=%.0f calls=%zu "
      "commits=%lld gateway_s=%.3f ready_s=%.3f commit_s=%.3f getstates_s=%.3f getbodies_s=%.3f "
      "retried=%zu failed=%zu suppressed=%zu temporary=%lld connections=%d cpu_us=%.1f\n",
      target.c_str(), rep, st.accepted, send_s, st.accepted / send_s, calls,
      static_cast<long long>(commits), gateway_s, ready_s, commit_s, get_s, bodies_s, st.retried,
      st.failed, st.suppressed, static_cast<long long>(connector.temporary.load()),
      connector.max_concurrency(), 1e6 * send_cpu / std::max<size_t>(1, st.accepted));
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
