// Route handlers for HttpServer. Each validates fully before touching the store, so a
// refused request changes nothing.
#include <charconv>

#include <spdlog/spdlog.h>

#include "engine/api/event_parser.h"
#include "engine/api/http_server_impl.h"
#include "engine/core/time_format.h"

namespace herald {
namespace {

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Maps a Content-Type header to a body format. Parameters other than charset=utf-8
// are ignored; any other charset is refused (the API speaks UTF-8 only).
std::optional<BodyFormat> FormatFromContentType(std::string_view header, std::string* why) {
  const std::string value = Lower(header);
  std::string_view rest = value;
  const size_t semi = rest.find(';');
  const std::string_view media = Trim(rest.substr(0, semi));
  if (semi != std::string_view::npos) {
    std::string_view params = rest.substr(semi + 1);
    while (!params.empty()) {
      const size_t next = params.find(';');
      std::string_view param = Trim(params.substr(0, next));
      if (param.substr(0, 8) == "charset=") {
        std::string_view cs = param.substr(8);
        if (!cs.empty() && cs.front() == '"' && cs.back() == '"' && cs.size() >= 2) {
          cs = cs.substr(1, cs.size() - 2);
        }
        if (cs != "utf-8" && cs != "utf8") {
          *why = "only UTF-8 bodies are accepted, got charset=" + std::string(cs);
          return std::nullopt;
        }
      }
      if (next == std::string_view::npos) break;
      params.remove_prefix(next + 1);
    }
  }
  if (media == "application/json") return BodyFormat::kJson;
  if (media == "application/x-ndjson" || media == "application/ndjson") return BodyFormat::kNdjson;
  *why = media.empty() ? "missing Content-Type: send application/json or application/x-ndjson"
                       : "unsupported Content-Type '" + std::string(media) +
                             "': send application/json or application/x-ndjson";
  return std::nullopt;
}

// Parses an optional non-negative decimal query parameter. False (and an error sent)
// when present but malformed or above `max`.
bool QueryNumber(const httplib::Request& req, httplib::Response& res, const char* name,
                 uint64_t min, uint64_t max, uint64_t* out) {
  if (!req.has_param(name)) return true;
  const std::string value = req.get_param_value(name);
  uint64_t parsed = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
  if (value.empty() || ec != std::errc() || ptr != end || parsed < min || parsed > max) {
    SendError(res, 400, "invalid_parameter",
              std::string("query parameter '") + name + "' must be an integer from " +
                  std::to_string(min) + " to " + std::to_string(max),
              {{"parameter", name}, {"value", value.substr(0, 64)}});
    return false;
  }
  *out = parsed;
  return true;
}

// Appends `s` (valid UTF-8: the parser checked it) as a JSON string literal.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
}

nlohmann::json StoredEventView(const StoredEvent& s) {
  nlohmann::json j = EventToJson(s.event);
  j["seq"] = s.seq;
  j["received_at"] = FormatRfc3339(s.received_at);
  j["key_id"] = s.key_id;
  // Retention removed its data and recipient fields: say so, rather than let the event
  // read as if it had been posted without them.
  if (s.redacted) j["redacted"] = true;
  return j;
}

// Reads `after` and `limit` (both optional); false when a 400 was sent.
bool PageParams(const httplib::Request& req, httplib::Response& res, uint64_t* after,
                uint64_t* limit) {
  *after = 0;
  *limit = kDefaultPageSize;
  return QueryNumber(req, res, "after", 0, UINT64_MAX, after) &&
         QueryNumber(req, res, "limit", 1, kMaxPageSize, limit);
}

// The events as a JSON array; `*next` becomes the last seq shown (or stays `after`).
nlohmann::json EventsPage(const std::vector<StoredEvent>& page, uint64_t after, uint64_t* next) {
  nlohmann::json events = nlohmann::json::array();
  *next = after;
  for (const StoredEvent& e : page) {
    events.push_back(StoredEventView(e));
    *next = e.seq;
  }
  return events;
}

}  // namespace

void HttpServer::Impl::PostEvents(const httplib::Request& req, httplib::Response& res) {
  const ApiKeyConfig* key = nullptr;
  if (!Authorize(req, res, Scope::kIngest, &key)) return;

  std::string why;
  const auto format = FormatFromContentType(req.get_header_value("Content-Type"), &why);
  if (!format) {
    metrics.CountRejected("unsupported_media_type", 0);
    SendError(res, 415, "unsupported_media_type", why);
    return;
  }

  const Limits& limits = deps.config->limits;
  ParseLimits parse_limits{limits.max_body_bytes, limits.max_batch_events, limits.max_json_depth,
                           limits.max_string_bytes};
  ParsedBatch batch = ParseEventBatch(req.body, *format, parse_limits);
  if (batch.failure) {
    const ParseFailure& f = *batch.failure;
    nlohmann::json extra = nlohmann::json::object();
    if (f.line > 0) {
      extra["line"] = f.line;
      extra["column"] = f.column;
    }
    if (!f.errors.empty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const EventError& e : f.errors) {
        nlohmann::json item = {{"field", e.field}, {"message", e.message}};
        if (e.event_index >= 0) item["index"] = e.event_index;
        if (!e.value.empty()) item["value"] = e.value;
        list.push_back(std::move(item));
      }
      extra["errors"] = std::move(list);
    }
    metrics.CountRejected(f.code, batch.events.size());
    SendError(res, f.http_status, f.code, f.message, std::move(extra));
    return;
  }

  Result<std::vector<AppendOutcome>> appended = deps.log->Append(key->id, batch.events);
  if (!appended.ok()) {
    metrics.CountRejected("unavailable", batch.events.size());
    SendStoreFailure(res, appended.status());
    return;
  }

  const std::vector<AppendOutcome>& outcomes = *appended;
  uint64_t accepted = 0, duplicates = 0, conflicts = 0;
  for (const AppendOutcome& o : outcomes) {
    accepted += o.kind == AppendOutcome::Kind::kAccepted;
    duplicates += o.kind == AppendOutcome::Kind::kDuplicate;
    conflicts += o.kind == AppendOutcome::Kind::kConflict;
  }
  // Written by hand rather than through nlohmann::json: for a 1,000-event batch the
  // per-result objects cost more than everything else in this handler.
  std::string results;
  results.reserve(outcomes.size() * 64);
  results += '[';
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const AppendOutcome& o = outcomes[i];
    if (i > 0) results += ',';
    results += "{\"index\":";
    results += std::to_string(i);
    results += ",\"id\":";
    AppendJsonString(results, batch.events[i].id);
    results += ",\"status\":\"";
    results += AppendOutcomeName(o.kind);
    results += '"';
    if (o.kind != AppendOutcome::Kind::kNotWritten) {
      results += ",\"seq\":";
      results += std::to_string(o.seq);
    }
    results += '}';
  }
  results += ']';

  std::string body;
  if (conflicts > 0) {
    metrics.CountRejected("conflict", outcomes.size());
    body = "{\"error\":{\"code\":\"conflict\",\"message\":\"" + std::to_string(conflicts) +
           " event(s) reuse an id that was posted before with different content; nothing in "
           "this request was written\"},\"results\":" +
           results + "}";
    res.status = 409;
  } else {
    metrics.CountAccepted(accepted);
    metrics.CountDuplicates(duplicates);
    body = "{\"accepted\":" + std::to_string(accepted) +
           ",\"duplicates\":" + std::to_string(duplicates) + ",\"results\":" + results + "}";
    res.status = 202;
  }
  res.set_content(std::move(body), "application/json");
}

void HttpServer::Impl::GetEvents(const httplib::Request& req, httplib::Response& res) {
  if (!Authorize(req, res, Scope::kAdmin)) return;
  uint64_t after, limit, next;
  if (!PageParams(req, res, &after, &limit)) return;
  Result<std::vector<StoredEvent>> page = deps.log->ReadAfter(after, limit);
  if (!page.ok()) return SendStoreFailure(res, page.status());
  nlohmann::json events = EventsPage(*page, after, &next);
  SendJson(res, 200,
           {{"events", std::move(events)},
            {"next_after", next},
            {"last_seq", deps.log->LastSequence()}});
}

void HttpServer::Impl::GetCase(const httplib::Request& req, httplib::Response& res) {
  if (!Authorize(req, res, Scope::kAdmin)) return;
  const std::string case_id = req.matches[1];
  uint64_t after, limit, next;
  if (!PageParams(req, res, &after, &limit)) return;
  Result<CaseRecord> record = deps.cases->GetCase(case_id);
  if (!record.ok()) {
    if (record.status().IsNotFound()) {
      return SendError(res, 404, "case_not_found", "no events were accepted for this case",
                       {{"case_id", case_id}});
    }
    return SendStoreFailure(res, record.status());
  }
  Result<std::vector<StoredEvent>> history = deps.cases->CaseHistory(case_id, after, limit);
  if (!history.ok()) return SendStoreFailure(res, history.status());
  nlohmann::json events = EventsPage(*history, after, &next);
  nlohmann::json body = {{"case_id", record->case_id},
                         {"state", record->state},
                         {"recipient", record->recipient ? RecipientToJson(*record->recipient)
                                                         : nlohmann::json(nullptr)},
                         {"event_count", record->event_count},
                         {"last_seq", record->last_seq},
                         {"created_at", FormatRfc3339(record->created_at)},
                         {"updated_at", FormatRfc3339(record->updated_at)},
                         {"events", std::move(events)},
                         {"next_after", next}};
  SendJson(res, 200, body);
}

void HttpServer::Impl::Healthz(const httplib::Request&, httplib::Response& res) {
  SendJson(res, 200, {{"status", "ok"}});
}

void HttpServer::Impl::Readyz(const httplib::Request&, httplib::Response& res) {
  const StoreStats stats = deps.store_stats();
  if (!stats.writable) {
    return SendJson(res, 503, {{"status", "unavailable"}, {"reason", "store is not writable"}});
  }
  SendJson(res, 200, {{"status", "ready"}, {"last_seq", stats.last_seq}});
}

void HttpServer::Impl::Metrics(const httplib::Request&, httplib::Response& res) {
  std::string text = metrics.Render(deps.store_stats());
  if (deps.more_metrics) text += deps.more_metrics();
  res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
}

void HttpServer::Impl::OpenApi(const httplib::Request&, httplib::Response& res) {
  res.set_content(std::string(OpenApiYaml()), "application/yaml");
}

}  // namespace herald
