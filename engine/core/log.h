// Process logging: spdlog to stderr through a sink that redacts personal data.
//
// InitLogging is called once by main() before any thread starts; engine code then logs
// with spdlog::info(...) etc. Whatever a call site formats, the sink removes email
// addresses and phone numbers (redact.h) before the line is written.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/sinks/sink.h>

namespace herald {

// Wraps `inner` so that every message is redacted before it reaches it.
std::shared_ptr<spdlog::sinks::sink> MakeRedactingSink(std::shared_ptr<spdlog::sinks::sink> inner);

// Installs the default logger: stderr, redacted, at `level` (trace..off). Returns false
// for an unknown level name (the level is then info).
bool InitLogging(std::string_view level);

}  // namespace herald
