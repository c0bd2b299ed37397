#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/api/ingest_client.h"
#include "engine/cli/args.h"
#include "engine/cli/commands.h"

namespace herald::cli {
namespace {

constexpr const char* kHelp = R"(Usage: herald ingest --url URL --key KEY [--batch N] FILE.ndjson

Posts the case events in FILE.ndjson (one JSON event per line) to a running engine, in
batches of N lines (default 1000). Re-running is safe: events already posted come back
as duplicates. The key may also come from the HERALD_API_KEY environment variable.
Prints progress on a terminal and a summary; exits 1 when any event was rejected.
)";

struct Totals {
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
};

// Posts one batch, retrying while the server says it is unavailable or cannot be reached
// (safe: ids make re-posting idempotent). Returns false on a fatal client error.
bool PostBatch(IngestClient& client, const std::string& body, const std::vector<size_t>& file_lines,
               Totals& totals) {
  const size_t lines = file_lines.size();
  const size_t first_line = file_lines.front();
  // The server numbers lines and events within the body; map them back to the file.
  auto file_line = [&](size_t index) { return index < lines ? file_lines[index] : 0; };
  for (int attempt = 0;; ++attempt) {
    Result<HttpReply> reply = client.PostEvents(body, "application/x-ndjson");
    const bool transient =
        !reply.ok() || reply->status == 503 || reply->status == 429 || reply->status >= 500;
    if (transient && attempt < 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      continue;
    }
    if (!reply.ok()) {
      std::fprintf(stderr, "lines %zu-%zu: %s\n", first_line, file_lines.back(),
                   reply.status().message().c_str());
      totals.rejected += lines;
      return false;
    }
    const nlohmann::json& b = reply->body;
    if (reply->status == 202) {
      totals.accepted += b.value("accepted", 0u);
      totals.duplicates += b.value("duplicates", 0u);
      return true;
    }
    totals.rejected += lines;
    const nlohmann::json error =
        b.is_object() ? b.value("error", nlohmann::json::object()) : nlohmann::json::object();
    std::fprintf(stderr, "lines %zu-%zu rejected (HTTP %d): %s\n", first_line, file_lines.back(),
                 reply->status, error.value("message", std::string("no details")).c_str());
    if (error.contains("line")) {
      std::fprintf(stderr, "  at file line %zu, column %d\n",
                   file_line(error["line"].get<size_t>() - 1), error.value("column", 0));
    }
    for (const auto& e : error.value("errors", nlohmann::json::array())) {
      std::fprintf(stderr, "  event on line %zu: %s: %s\n", file_line(e.value("index", 0u)),
                   e.value("field", std::string()).c_str(),
                   e.value("message", std::string()).c_str());
    }
    if (reply->status == 409) {
      for (const auto& r : b.value("results", nlohmann::json::array())) {
        if (r.value("status", std::string()) == "conflict") {
          std::fprintf(stderr, "  line %zu: id reused with different content\n",
                       file_line(r.value("index", 0u)));
        }
      }
    }
    return reply->status != 401 && reply->status != 403;  // a bad key fails every batch
  }
}

}  // namespace

int RunIngest(int argc, char** argv, int first) {
  ParsedArgs args = ParseArgs(argc, argv, first, {"url", "key", "batch"}, {});
  if (args.Has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  std::optional<std::string> key = args.Get("key");
  if (!key) {
    if (const char* env = std::getenv("HERALD_API_KEY")) key = env;
  }
  if (!args.error.empty() || args.positional.size() != 1 || !args.Get("url") || !key) {
    std::fprintf(stderr, "herald ingest: %s\n\n%s",
                 !args.error.empty()           ? args.error.c_str()
                 : args.positional.size() != 1 ? "expected exactly one FILE"
                                               : "--url and --key are required",
                 kHelp);
    return 2;
  }
  size_t batch = 1000;
  if (auto b = args.Get("batch")) {
    batch = std::strtoul(b->c_str(), nullptr, 10);
    if (batch == 0 || batch > 100000) {
      std::fprintf(stderr, "herald ingest: --batch wants 1..100000\n");
      return 2;
    }
  }
  std::ifstream in(args.positional[0], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "herald ingest: cannot read %s\n", args.positional[0].c_str());
    return 1;
  }
  Result<std::unique_ptr<IngestClient>> client = IngestClient::Create(*args.Get("url"), *key);
  if (!client.ok()) {
    std::fprintf(stderr, "herald ingest: %s\n", client.status().message().c_str());
    return 2;
  }

  const bool tty = isatty(STDERR_FILENO);
  Totals totals;
  std::string body, line;
  size_t line_no = 0;
  std::vector<size_t> batch_lines;
  bool fatal = false;
  auto flush = [&] {
    if (batch_lines.empty()) return;
    if (!PostBatch(**client, body, batch_lines, totals)) fatal = true;
    if (tty) {
      std::fprintf(stderr, "\r%zu lines: %llu accepted, %llu duplicate, %llu rejected", line_no,
                   static_cast<unsigned long long>(totals.accepted),
                   static_cast<unsigned long long>(totals.duplicates),
                   static_cast<unsigned long long>(totals.rejected));
    }
    body.clear();
    batch_lines.clear();
  };
  while (!fatal && std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank
    body += line;
    body += '\n';
    batch_lines.push_back(line_no);
    if (batch_lines.size() == batch) flush();
  }
  if (!fatal) flush();
  if (tty) std::fputc('\n', stderr);
  std::printf("%llu accepted, %llu duplicate, %llu rejected\n",
              static_cast<unsigned long long>(totals.accepted),
              static_cast<unsigned long long>(totals.duplicates),
              static_cast<unsigned long long>(totals.rejected));
  return (totals.rejected > 0 || fatal) ? 1 : 0;
}

}  // namespace herald::cli
