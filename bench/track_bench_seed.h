// Shared pieces of bench/track_bench: the messages it registers and the store it opens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/clock.h"
#include "engine/store/track_store_rocks.h"

namespace herald::bench {

inline constexpr Micros kHour = 3600LL * 1'000'000;
inline constexpr Micros kDay = 24 * kHour;
inline constexpr const char* kCampaign = "benefits";
inline constexpr int kRules = 5;
inline constexpr const char* kLocales[] = {"en", "es", "zh-Hans", "vi", "ar"};

[[noreturn]] void Die(const std::string& what);
double SecondsSince(int64_t start_micros);
int64_t NowSteadyMicros();

// splitmix64: message ids that look random (as real ones, hashes, do) but are reproducible.
uint64_t Mix(uint64_t x);
std::string MessageId(uint64_t i);

// Message i of a seed: created at `created`, sent a minute later. Even-numbered rules and
// locales rotate independently; one message in five is an SMS (one link), the rest email.
TrackedMessage SeedMessage(uint64_t i, Micros created, int links);

// Registers the message and records it sent (and delivered, for email), as the composer
// and the dispatcher do.
void RegisterSent(RocksTrackStore& store, const TrackedMessage& m);

// The store with the production options except `sync_writes` (registrations and statuses,
// which only the setup writes here; engagement writes are unsynced by default anyway).
std::unique_ptr<RocksTrackStore> OpenTrackStore(const std::string& path, const std::string& secret,
                                                bool sync_writes);

// A realistic mix of user agents: mail clients, Apple's prefetch proxy, Gmail's image
// proxy, a link scanner. Index by anything.
const char* UserAgent(uint64_t i);

// argv helpers: whether `name` is there; the argument after it, or nullptr.
bool ArgFlag(int argc, char** argv, const char* name);
const char* ArgValue(int argc, char** argv, const char* name);

int RunReportLatency(int argc, char** argv);

}  // namespace herald::bench
