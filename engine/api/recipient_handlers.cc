// Inbound SMS and recipient preferences:
//   POST /v1/inbound/sms: Twilio's inbound webhook; STOP/START/HELP keywords, TwiML reply;
//   GET/PUT /v1/recipients/{recipient_id}/preferences: what the case system sets.
// Neither the phone number nor the text of an inbound SMS is ever logged.
#include "engine/api/recipient_handlers.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "engine/api/http_server_impl.h"
#include "engine/api/twiml.h"
#include "engine/core/time_format.h"
#include "engine/core/validate.h"
#include "templates/pages/recipient_pages.h"
#include "templates/pages/sms_replies.h"

namespace herald {
namespace {

using nlohmann::json;

constexpr size_t kMaxReasonBytes = 500;
constexpr size_t kMaxRecipientIdBytes = 4096;

void SendTrackNotRunning(httplib::Response& res) {
  SendError(res, 503, "tracking_not_running", "engagement tracking is not running");
}

bool HasContentType(const httplib::Request& req, std::string_view type) {
  return req.get_header_value("Content-Type").rfind(type, 0) == 0;
}

void PostInboundSms(const ServerDeps& deps, const AuthorizeFn& authorize,
                    const httplib::Request& req, httplib::Response& res) {
  if (deps.track == nullptr || deps.tokens == nullptr) return SendTrackNotRunning(res);
  const bool form = HasContentType(req, "application/x-www-form-urlencoded");
  httplib::Params params;
  if (form) httplib::detail::parse_query_text(req.body, params);
  if (!deps.verify_inbound_sms || !deps.verify_inbound_sms(GatewayRequest(deps, req, params))) {
    if (!authorize(req, res, Scope::kIngest, nullptr)) return;
  }
  if (!form) {
    return SendError(res, 415, "unsupported_media_type",
                     "an inbound SMS is application/x-www-form-urlencoded (Twilio's format)");
  }
  auto field = [&](const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  };
  const std::string from = field("From");
  if (!IsE164Phone(from)) {
    return SendError(res, 400, "invalid_inbound_sms", "From must be an E.164 number",
                     {{"field", "From"}});
  }
  const SmsKeyword keyword = ParseSmsKeyword(field("Body"));
  res.status = 200;
  if (keyword == SmsKeyword::kNone) return res.set_content(TwimlReply(""), "text/xml");

  SmsKeywordInput in;
  in.phone = from;
  in.keyword = keyword;
  in.at = deps.clock->NowMicros();
  Result<SmsKeywordResult> r = deps.track->RecordSmsKeyword(in);
  if (!r.ok()) return SendStoreFailure(res, r.status());
  SmsReply reply = SmsReply::kHelp;
  if (keyword == SmsKeyword::kStop) reply = SmsReply::kStopped;
  if (keyword == SmsKeyword::kStart) reply = SmsReply::kStarted;
  res.status = 200;
  // The agency's configured text in the recipient's language, else the built-in reply.
  res.set_content(
      TwimlReply(SmsReplyFor(reply, r->locale, deps.config->sms_replies, deps.branding)),
      "text/xml");
}

json PreferencesJson(const RecipientPreferences& p) {
  json channels = json::array();
  for (Channel c : p.channels) channels.push_back(ChannelName(c));
  json opt_outs = json::array();
  for (const OptOut& o : p.opt_outs) {
    opt_outs.push_back({{"channel", ChannelName(o.channel)},
                        {"at", o.at == 0 ? json(nullptr) : json(FormatRfc3339(o.at))},
                        {"by", o.by},
                        {"reason", o.reason}});
  }
  return {{"recipient_id", p.recipient_id},
          {"channels", std::move(channels)},
          {"locale", p.locale.empty() ? json(nullptr) : json(p.locale)},
          {"opt_outs", std::move(opt_outs)},
          {"updated_at", p.updated_at == 0 ? json(nullptr) : json(FormatRfc3339(p.updated_at))},
          {"updated_by", p.updated_by.empty() ? json(nullptr) : json(p.updated_by)}};
}

// A precise validation error: the first problem found, naming its field.
struct FieldError {
  std::string field;
  std::string message;
};

std::optional<FieldError> ParseChannel(const json& v, const std::string& field, Channel* out) {
  if (!v.is_string()) return FieldError{field, "expected a string: \"email\" or \"sms\""};
  std::optional<Channel> c = ChannelFromName(v.get_ref<const std::string&>());
  if (!c) return FieldError{field, "unknown channel; expected \"email\" or \"sms\""};
  *out = *c;
  return std::nullopt;
}

// Parses a PUT body into `p` (channels, locale, opt-outs with their reasons). Opt-outs
// get `at`/`by` later. Strict: unknown fields, wrong types, duplicates are errors.
std::optional<FieldError> ParsePreferences(const json& body, RecipientPreferences* p,
                                           std::vector<std::string>* reasons) {
  if (!body.is_object()) return FieldError{"", "the body must be a JSON object"};
  for (const auto& [key, value] : body.items()) {
    if (key == "channels") {
      if (value.is_null()) continue;
      if (!value.is_array()) return FieldError{"channels", "expected an array of channels"};
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string field = "channels[" + std::to_string(i) + "]";
        Channel c;
        if (auto e = ParseChannel(value[i], field, &c)) return e;
        if (std::find(p->channels.begin(), p->channels.end(), c) != p->channels.end()) {
          return FieldError{field, "duplicate channel"};
        }
        p->channels.push_back(c);
      }
    } else if (key == "locale") {
      if (value.is_null()) continue;
      if (!value.is_string() || !IsValidLocale(value.get_ref<const std::string&>())) {
        return FieldError{"locale", "expected a BCP 47 language tag such as \"es-MX\""};
      }
      p->locale = value.get<std::string>();
    } else if (key == "opt_outs") {
      if (value.is_null()) continue;
      if (!value.is_array()) return FieldError{"opt_outs", "expected an array of opt-outs"};
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string prefix = "opt_outs[" + std::to_string(i) + "]";
        const json& item = value[i];
        if (!item.is_object()) {
          return FieldError{prefix, "expected an object {\"channel\", \"reason\"?}"};
        }
        OptOut o;
        std::string reason;
        bool has_channel = false;
        for (const auto& [k, v] : item.items()) {
          if (k == "channel") {
            if (auto e = ParseChannel(v, prefix + ".channel", &o.channel)) return e;
            has_channel = true;
          } else if (k == "reason") {
            if (v.is_null()) continue;
            if (!v.is_string()) return FieldError{prefix + ".reason", "expected a string"};
            reason = v.get<std::string>();
            if (reason.size() > kMaxReasonBytes || ContainsControl(reason)) {
              return FieldError{prefix + ".reason",
                                "at most 500 bytes of text without control characters"};
            }
          } else {
            return FieldError{prefix + "." + k, "unknown field"};
          }
        }
        if (!has_channel) return FieldError{prefix + ".channel", "required"};
        for (const OptOut& earlier : p->opt_outs) {
          if (earlier.channel == o.channel) {
            return FieldError{prefix + ".channel", "duplicate channel"};
          }
        }
        p->opt_outs.push_back(o);
        reasons->push_back(std::move(reason));
      }
    } else {
      return FieldError{key, "unknown field; expected channels, locale or opt_outs"};
    }
  }
  return std::nullopt;
}

bool CheckRecipientId(const std::string& id, httplib::Response& res) {
  if (id.empty() || id.size() > kMaxRecipientIdBytes || FindInvalidUtf8(id) ||
      ContainsControl(id)) {
    SendError(res, 400, "invalid_recipient_id",
              "recipient_id must be 1..4096 bytes of UTF-8 without control characters");
    return false;
  }
  return true;
}

void GetPreferences(const ServerDeps& deps, const AuthorizeFn& authorize,
                    const httplib::Request& req, httplib::Response& res) {
  if (!authorize(req, res, Scope::kIngest, nullptr)) return;
  if (deps.track == nullptr || deps.tokens == nullptr) return SendTrackNotRunning(res);
  const std::string id = req.matches[1];
  if (!CheckRecipientId(id, res)) return;
  Result<std::optional<RecipientPreferences>> p = deps.track->GetPreferences(id);
  if (!p.ok()) return SendStoreFailure(res, p.status());
  if (!*p) {
    return SendError(res, 404, "preferences_not_found", "no preferences for this recipient",
                     {{"recipient_id", id}});
  }
  SendJson(res, 200, PreferencesJson(**p));
}

void PutPreferences(const ServerDeps& deps, const AuthorizeFn& authorize,
                    const httplib::Request& req, httplib::Response& res) {
  const ApiKeyConfig* key = nullptr;
  if (!authorize(req, res, Scope::kIngest, &key)) return;
  if (deps.track == nullptr || deps.tokens == nullptr) return SendTrackNotRunning(res);
  const std::string id = req.matches[1];
  if (!CheckRecipientId(id, res)) return;
  if (!HasContentType(req, "application/json")) {
    return SendError(res, 415, "unsupported_media_type", "send application/json");
  }
  const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return SendError(res, 400, "invalid_json", "the body is not JSON (UTF-8)");
  }
  RecipientPreferences p;
  std::vector<std::string> reasons;
  if (std::optional<FieldError> e = ParsePreferences(body, &p, &reasons)) {
    json extra = json::object();
    if (!e->field.empty()) extra["field"] = e->field;
    return SendError(res, 400, "invalid_preferences", e->message, std::move(extra));
  }
  Result<std::optional<RecipientPreferences>> old = deps.track->GetPreferences(id);
  if (!old.ok()) return SendStoreFailure(res, old.status());
  const Micros now = deps.clock->NowMicros();
  p.recipient_id = id;
  p.updated_at = now;
  p.updated_by = key->id;
  for (size_t i = 0; i < p.opt_outs.size(); ++i) {
    OptOut& o = p.opt_outs[i];
    // An opt-out already in place keeps when and by whom it was made (the recipient's own
    // unsubscribe stays on record as theirs); a new one is this key's, now.
    const OptOut* kept = nullptr;
    if (*old) {
      for (const OptOut& e : (*old)->opt_outs) {
        if (e.channel == o.channel) kept = &e;
      }
    }
    o.at = kept != nullptr ? kept->at : now;
    o.by = kept != nullptr ? kept->by : key->id;
    o.reason = !reasons[i].empty() || kept == nullptr ? reasons[i] : kept->reason;
  }
  if (Status s = deps.track->PutPreferences(p); !s.ok()) {
    if (s.IsInvalidArgument()) {
      return SendError(res, 400, "invalid_preferences", s.ToString());
    }
    return SendStoreFailure(res, s);
  }
  SendJson(res, 200, PreferencesJson(p));
}

}  // namespace

std::vector<RecipientRoute> RecipientRoutes(const ServerDeps& deps, AuthorizeFn authorize) {
  const ServerDeps* d = &deps;
  auto bind = [d, authorize](void (*fn)(const ServerDeps&, const AuthorizeFn&,
                                        const httplib::Request&, httplib::Response&)) {
    return [d, authorize, fn](const httplib::Request& req, httplib::Response& res) {
      fn(*d, authorize, req, res);
    };
  };
  std::vector<RecipientRoute> routes = {
      {"POST", "/v1/inbound/sms", "/v1/inbound/sms", bind(&PostInboundSms)},
      {"GET", R"(/v1/recipients/([^/]+)/preferences)", "/v1/recipients/{recipient_id}/preferences",
       bind(&GetPreferences)},
      {"PUT", R"(/v1/recipients/([^/]+)/preferences)", "/v1/recipients/{recipient_id}/preferences",
       bind(&PutPreferences)},
  };
  for (RecipientRoute& r : OptOutRoutes(deps, authorize)) routes.push_back(std::move(r));
  return routes;
}

}  // namespace herald
