// messages_bench's setup (not measured) and its file ceiling: the intents with their
// planning events, case views and plans, as the rule engine and the timer firer leave them;
// and the raw write rate of files like the file connector's. See messages_bench.cc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/schedule/schedule_store.h"
#include "engine/store/rocks_store.h"

namespace herald::bench {

// Setup (not measured), in batches of 1000: for each of `n` intents, the planning event in
// the event log (sync off: ingest is measured elsewhere), and in the schedule store the
// case view (state and recipient), the plan (done, planned by that event) and the outbox
// intent. Channels: email or SMS alternately, email only for target "smtp", SMS only for
// "sms". Locales and templates in turn (see messages_bench.cc).
void PutIntents(RocksStore& log, ScheduleStore& sched, const std::string& target, size_t n,
                Micros now);

// The raw ceiling of the file connector's writes: the same syscalls (open O_EXCL, write,
// fsync, rename, fsync of the folder), sizes and thread count, no engine. Files per second.
double RawFileCeiling(const std::filesystem::path& dir, const std::vector<uint64_t>& sizes,
                      int threads);

void WriteFile(const std::string& path, const std::string& text);
// The sample closest to the mean size (ties: the first).
std::string Typical(const std::map<std::string, std::string>& samples);

}  // namespace herald::bench
