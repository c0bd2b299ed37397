#include "bench/track_bench_seed.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace herald::bench {

void Die(const std::string& what) {
  std::fprintf(stderr, "track_bench: %s\n", what.c_str());
  std::exit(1);
}

int64_t NowSteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(int64_t start_micros) {
  return double(NowSteadyMicros() - start_micros) / 1e6;
}

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string MessageId(uint64_t i) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", (unsigned long long)Mix(2 * i),
                (unsigned long long)Mix(2 * i + 1));
  return buf;
}

TrackedMessage SeedMessage(uint64_t i, Micros created, int links) {
  TrackedMessage m;
  m.id = MessageId(i);
  m.campaign = kCampaign;
  m.rule = "reminder-" + std::to_string(i % kRules);
  m.locale = kLocales[(i / kRules) % 5];
  m.channel = i % 5 == 4 ? Channel::kSms : Channel::kEmail;
  m.recipient_id = "r-" + std::to_string(i);
  m.address = m.channel == Channel::kSms ? "+1415555" + std::to_string(1000 + i % 9000)
                                         : "person" + std::to_string(i) + "@example.org";
  m.case_event_at = created - 5 * 60'000'000LL;
  m.created_at = created;
  const int n = m.channel == Channel::kSms ? 1 : links;
  for (int k = 0; k < n; ++k) {
    // A template's links are the same few pages for everyone (portal, documents, help).
    m.links.push_back("https://benefits.example.gov/page" + std::to_string(k) +
                      "?lang=" + m.locale);
  }
  return m;
}

void RegisterSent(RocksTrackStore& store, const TrackedMessage& m) {
  if (Status s = store.RegisterMessage(m); !s.ok()) Die("register: " + s.ToString());
  const Micros sent = m.created_at + 60'000'000;
  if (Status s = store.RecordStatus(m.id, MessageStatus::kSent, sent, ""); !s.ok()) {
    Die("sent: " + s.ToString());
  }
  if (m.channel == Channel::kEmail) {
    if (Status s = store.RecordStatus(m.id, MessageStatus::kDelivered, sent + 2'000'000, "");
        !s.ok()) {
      Die("delivered: " + s.ToString());
    }
  }
}

std::unique_ptr<RocksTrackStore> OpenTrackStore(const std::string& path, const std::string& secret,
                                                bool sync_writes) {
  TrackStoreOptions o;  // production defaults (messaging.cc sets only path and secret)
  o.path = path;
  o.secret = secret;
  o.sync_writes = sync_writes;
  Result<std::unique_ptr<RocksTrackStore>> store = RocksTrackStore::Open(o);
  if (!store.ok()) Die("open track store: " + store.status().ToString());
  return std::move(store).value();
}

const char* UserAgent(uint64_t i) {
  static const char* const kAgents[] = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0 Safari/537.36",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Mobile/15E148",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0",
      "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
      "Safari/537.36",
      "Mozilla/5.0",  // Apple Mail Privacy Protection
      "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
      "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.2 Safari/605.1.15",
  };
  return kAgents[i % (sizeof kAgents / sizeof kAgents[0])];
}

bool ArgFlag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

const char* ArgValue(int argc, char** argv, const char* name) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return nullptr;
}

}  // namespace herald::bench
