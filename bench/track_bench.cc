// track_bench: the tracking benchmark of issue 5. A benchmark, not a test: it prints figures
// and fails only when the engine returns an error. See docs/benchmarks.md ("Tracking and
// reports (issue 5)") and bench/run_track_bench.sh, which drives it.
//
//   track_bench --serve [--messages N] [--links L] [--dir D] [--port P]
//     Seeds a RocksTrackStore in D/track with N registered messages (sent and, for email,
//     delivered; L links each, SMS one), writes D/open.txt and D/click.txt (one request
//     path per line, /o/{token} and /c/{token}, in a shuffled order), then serves herald's
//     HttpServer on 127.0.0.1:P (0: any) until SIGINT or SIGTERM, printing "port P".
//     The server is built as `herald serve` builds it (cmd_serve.cc, messaging.cc): the
//     embedded default configuration (samples/herald.yaml: http threads, keep-alive), a
//     RocksStore event log, the track store with production options, a TokenCodec under
//     the store's secret, a SystemClock.
//   track_bench --report-latency [--events E] [--messages M] [--runs R] [--dir D]
//     [--max-seconds S]: see track_bench_report.cc.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench/track_bench_seed.h"
#include "engine/api/http_server.h"
#include "engine/config/config.h"
#include "engine/store/rocks_store.h"
#include "engine/track/tracking_token.h"

namespace fs = std::filesystem;
using namespace herald;
using namespace herald::bench;

namespace {

struct ServeArgs {
  uint64_t messages = 100'000;
  int links = 3;
  std::string dir;
  int port = 0;
};

void WriteLines(const fs::path& path, std::vector<std::string>& lines, uint64_t seed) {
  // Shuffled: a message's three links are not clicked within the classifier's all-links
  // window (which would make most clicks machine ones and cost extra rewrites).
  std::mt19937_64 rng(seed);
  std::shuffle(lines.begin(), lines.end(), rng);
  std::ofstream out(path, std::ios::binary);
  for (const std::string& l : lines) out << l << '\n';
  if (!out) Die("cannot write " + path.string());
}

int RunServe(const ServeArgs& a) {
  // Signals are taken synchronously by this thread, as in cmd_serve.cc.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ConfigLoad load = LoadEmbeddedDefaultConfig(
      [](const std::string&) { return std::optional<std::string>("unused-bench-value"); });
  if (!load.config) Die("embedded config: " + load.errors.front().ToString());
  Config config = std::move(*load.config);
  config.data_dir = a.dir;

  // The secret the message store would hand out (MessageStore::Secret(): 32 bytes).
  std::string secret(32, '\0');
  std::random_device rd;
  for (char& c : secret) c = char(rd());
  const std::string track_path = (fs::path(a.dir) / "track").string();

  SystemClock clock;
  const Micros now = clock.NowMicros();
  const int64_t t0 = NowSteadyMicros();
  {
    // Setup, not measured: registrations unsynced, then the store is reopened as served.
    std::unique_ptr<RocksTrackStore> seed = OpenTrackStore(track_path, secret, false);
    for (uint64_t i = 0; i < a.messages; ++i) {
      // Sent within the last seven days; opens come at least an hour after the send.
      const Micros created = now - kHour - Micros(Mix(i) % uint64_t(7 * kDay));
      RegisterSent(*seed, SeedMessage(i, created, a.links));
    }
    if (Status s = seed->CompactAll(); !s.ok()) Die("compact: " + s.ToString());
  }
  Result<TokenCodec> codec = TokenCodec::Create(secret);
  if (!codec.ok()) Die("codec: " + codec.status().ToString());
  std::vector<std::string> opens, clicks;
  for (uint64_t i = 0; i < a.messages; ++i) {
    const TrackedMessage m = SeedMessage(i, 0, a.links);
    Result<std::string> o = codec->Encode({TokenKind::kOpen, m.id, 0});
    if (!o.ok()) Die("encode: " + o.status().ToString());
    if (m.channel == Channel::kEmail) opens.push_back("/o/" + *o);
    for (uint32_t k = 0; k < m.links.size(); ++k) {
      Result<std::string> c = codec->Encode({TokenKind::kClick, m.id, k});
      if (!c.ok()) Die("encode: " + c.status().ToString());
      clicks.push_back("/c/" + *c);
    }
  }
  WriteLines(fs::path(a.dir) / "open.txt", opens, 1);
  WriteLines(fs::path(a.dir) / "click.txt", clicks, 2);
  std::printf("seeded %llu messages (%zu open tokens, %zu click tokens) in %.1f s\n",
              (unsigned long long)a.messages, opens.size(), clicks.size(), SecondsSince(t0));

  StoreOptions so;
  so.path = (fs::path(a.dir) / "store").string();
  Result<std::unique_ptr<RocksStore>> log = RocksStore::Open(so, clock);
  if (!log.ok()) Die("open store: " + log.status().ToString());
  RocksStore* db = log->get();
  std::unique_ptr<RocksTrackStore> track =
      OpenTrackStore(track_path, secret, TrackStoreOptions().sync_writes);

  ServerDeps deps;
  deps.config = &config;
  deps.log = db;
  deps.cases = db;
  deps.store_stats = [db] { return db->Stats(); };
  deps.clock = &clock;
  deps.track = track.get();
  deps.tokens = &*codec;
  // BrandingFor (template_composer.cc) without linking dispatch: the pixel and redirect
  // never render a page; only a 404 would.
  deps.branding.name = config.agency.name;
  deps.branding.logo_url = config.agency.logo_url;
  deps.branding.primary_color = config.agency.primary_color;
  deps.branding.footer = config.agency.footer;
  deps.branding.address = config.agency.address;
  deps.branding.help_url = config.agency.help_url;
  HttpServer server(deps);
  Result<int> port = server.Start("127.0.0.1", a.port);
  if (!port.ok()) Die(port.status().ToString());
  std::printf("http threads %u, keep-alive max %u\nport %d\n", config.http.threads,
              config.http.keep_alive_max_requests, *port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server.Stop();
  std::printf("stopped on signal %d\n", signal_number);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (ArgFlag(argc, argv, "--report-latency")) return RunReportLatency(argc, argv);
  if (!ArgFlag(argc, argv, "--serve")) {
    std::fprintf(stderr,
                 "usage: track_bench --serve [--messages N] [--links L] [--dir D] [--port P]\n"
                 "       track_bench --report-latency [--events E] [--messages M] [--runs R]\n"
                 "                   [--dir D] [--max-seconds S]\n");
    return 2;
  }
  ServeArgs a;
  if (const char* v = ArgValue(argc, argv, "--messages"))
    a.messages = std::strtoull(v, nullptr, 10);
  if (const char* v = ArgValue(argc, argv, "--links")) a.links = std::atoi(v);
  if (const char* v = ArgValue(argc, argv, "--port")) a.port = std::atoi(v);
  if (const char* v = ArgValue(argc, argv, "--dir")) a.dir = v;
  if (a.dir.empty()) Die("--serve needs --dir (the script gives it a temp dir)");
  fs::create_directories(a.dir);
  return RunServe(a);
}
