// Address opt-outs, for the agency (admin key):
//   POST /v1/opt-outs/lookup {"channel", "address"}: the opt-out of that address (when, by
//     whom, why), or 404;
//   POST /v1/opt-outs/lift {"channel", "address"}: lifts it when a person asks to get the
//     messages again; 200 whether there was one or not (idempotent).
// A one-click unsubscribe or a STOP opts out the recipient and the address; the recipient's
// side is their preferences (PUT /v1/recipients/{id}/preferences), this is the address's.
// The address travels in the body, never in a URL (URLs reach access logs), and is neither
// logged nor echoed in an answer.
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "engine/api/http_server_impl.h"
#include "engine/api/recipient_handlers.h"
#include "engine/core/time_format.h"
#include "engine/core/validate.h"

namespace herald {
namespace {

using nlohmann::json;

struct OptOutRequest {
  Channel channel = Channel::kEmail;
  std::string address;
};

// The first problem of a request body, naming its field.
struct BodyError {
  std::string field;
  std::string message;
};

std::optional<BodyError> ParseRequest(const json& body, OptOutRequest* out) {
  if (!body.is_object()) return BodyError{"", "the body must be a JSON object"};
  const json* channel = nullptr;
  const json* address = nullptr;
  for (const auto& [key, value] : body.items()) {
    if (key == "channel") {
      channel = &value;
    } else if (key == "address") {
      address = &value;
    } else {
      return BodyError{key, "unknown field; expected channel and address"};
    }
  }
  if (channel == nullptr) return BodyError{"channel", "required: \"email\" or \"sms\""};
  if (!channel->is_string()) return BodyError{"channel", "expected \"email\" or \"sms\""};
  std::optional<Channel> c = ChannelFromName(channel->get_ref<const std::string&>());
  if (!c) return BodyError{"channel", "unknown channel; expected \"email\" or \"sms\""};
  out->channel = *c;
  if (address == nullptr) return BodyError{"address", "required"};
  if (!address->is_string()) return BodyError{"address", "expected a string"};
  out->address = address->get<std::string>();
  // The messages of the routes never repeat the address.
  if (out->channel == Channel::kEmail && !IsValidEmail(out->address)) {
    return BodyError{"address", "expected an email address"};
  }
  if (out->channel == Channel::kSms && !IsE164Phone(out->address)) {
    return BodyError{"address", "expected an E.164 phone number such as +12025550123"};
  }
  return std::nullopt;
}

json OptOutJson(const OptOut& o) {
  return {{"at", o.at == 0 ? json(nullptr) : json(FormatRfc3339(o.at))},
          {"by", o.by},
          {"reason", o.reason}};
}

// Authorizes (admin), then reads and checks the body. False when it answered.
bool ReadRequest(const ServerDeps& deps, const AuthorizeFn& authorize, const httplib::Request& req,
                 httplib::Response& res, OptOutRequest* out, const ApiKeyConfig** key) {
  if (!authorize(req, res, Scope::kAdmin, key)) return false;
  if (deps.track == nullptr) {
    SendError(res, 503, "tracking_not_running", "engagement tracking is not running");
    return false;
  }
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
    SendError(res, 415, "unsupported_media_type", "send application/json");
    return false;
  }
  const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    SendError(res, 400, "invalid_json", "the body is not JSON (UTF-8)");
    return false;
  }
  if (std::optional<BodyError> e = ParseRequest(body, out)) {
    json extra = json::object();
    if (!e->field.empty()) extra["field"] = e->field;
    SendError(res, 400, "invalid_opt_out_request", e->message, std::move(extra));
    return false;
  }
  return true;
}

void PostLookup(const ServerDeps& deps, const AuthorizeFn& authorize, const httplib::Request& req,
                httplib::Response& res) {
  OptOutRequest in;
  if (!ReadRequest(deps, authorize, req, res, &in, nullptr)) return;
  Result<std::optional<OptOut>> o = deps.track->GetAddressOptOut(in.channel, in.address);
  if (!o.ok()) return SendStoreFailure(res, o.status());
  const std::string channel(ChannelName(in.channel));
  if (!o->has_value()) {
    return SendError(res, 404, "opt_out_not_found",
                     "this address is not opted out of " + channel + " messages",
                     {{"channel", channel}});
  }
  SendJson(res, 200, {{"channel", channel}, {"opt_out", OptOutJson(**o)}});
}

void PostLift(const ServerDeps& deps, const AuthorizeFn& authorize, const httplib::Request& req,
              httplib::Response& res) {
  OptOutRequest in;
  const ApiKeyConfig* key = nullptr;
  if (!ReadRequest(deps, authorize, req, res, &in, &key)) return;
  Result<std::optional<OptOut>> o = deps.track->LiftAddressOptOut(in.channel, in.address);
  if (!o.ok()) return SendStoreFailure(res, o.status());
  const std::string channel(ChannelName(in.channel));
  if (o->has_value()) {
    // Who lifted what kind of opt-out, for the record; never the address.
    spdlog::info("opt-outs: API key '{}' lifted an address opt-out of {} (made by {})", key->id,
                 channel, (*o)->by);
  }
  SendJson(res, 200,
           {{"channel", channel},
            {"lifted", o->has_value()},
            {"opt_out", o->has_value() ? OptOutJson(**o) : json(nullptr)}});
}

}  // namespace

std::vector<RecipientRoute> OptOutRoutes(const ServerDeps& deps, AuthorizeFn authorize) {
  const ServerDeps* d = &deps;
  auto bind = [d, authorize](void (*fn)(const ServerDeps&, const AuthorizeFn&,
                                        const httplib::Request&, httplib::Response&)) {
    return [d, authorize, fn](const httplib::Request& req, httplib::Response& res) {
      fn(*d, authorize, req, res);
    };
  };
  return {
      {"POST", "/v1/opt-outs/lookup", "/v1/opt-outs/lookup", bind(&PostLookup)},
      {"POST", "/v1/opt-outs/lift", "/v1/opt-outs/lift", bind(&PostLift)},
  };
}

}  // namespace herald
