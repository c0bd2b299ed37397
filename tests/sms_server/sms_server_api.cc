// The SmsTestServer's control API, its status callbacks, and the wire helpers both halves
// use (form encoding, base64, the JSON forms of its records).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "tests/sms_server/sms_server.h"
#include "tests/sms_server/sms_server_internal.h"

namespace herald::testing {

namespace internal {

namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

namespace {

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Form ParseForm(std::string_view body) {
  Form out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(Unescape(pair), "");
    } else {
      out.emplace_back(Unescape(pair.substr(0, eq)), Unescape(pair.substr(eq + 1)));
    }
  }
  return out;
}

std::string FormEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

}  // namespace internal

using internal::Base64;
using internal::Form;
using internal::FormEscape;

nlohmann::json SmsFailure::ToJson() const {
  return {
      {"status", http_status}, {"code", code}, {"message", message}, {"retry_after", retry_after}};
}

std::optional<SmsFailure> SmsFailure::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  SmsFailure f;
  try {
    f.http_status = j.value("status", 500);
    f.code = j.value("code", 0);
    f.message = j.value("message", std::string());
    if (auto it = j.find("retry_after"); it != j.end()) {
      f.retry_after = it->is_number() ? std::to_string(it->get<int64_t>()) : it->get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (f.http_status < 100 || f.http_status > 599) return std::nullopt;
  return f;
}

nlohmann::json SmsRecord::ToJson() const {
  return {{"sid", sid},
          {"account_sid", account_sid},
          {"to", to},
          {"from", from},
          {"messaging_service_sid", messaging_service_sid},
          {"body", body},
          {"status_callback", status_callback},
          {"received_at_ms", received_at_ms},
          {"remote_port", remote_port}};
}

nlohmann::json SmsStats::ToJson() const {
  return {{"requests", requests}, {"accepted", accepted},       {"failed", failed},
          {"dropped", dropped},   {"connections", connections}, {"callbacks", callbacks}};
}

std::string SmsServerTwilioSignature(const std::string& auth_token, const std::string& url,
                                     std::vector<std::pair<std::string, std::string>> params) {
  std::sort(params.begin(), params.end());
  params.erase(std::unique(params.begin(), params.end()), params.end());
  std::string data = url;
  for (const auto& [k, v] : params) data += k + v;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return Base64(mac, len);
}

void SmsTestServer::HandleControl(const httplib::Request& req, httplib::Response& res) {
  std::string what = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
  nlohmann::json in = nlohmann::json::object();
  if (req.method == "POST" && !req.body.empty()) {
    in = nlohmann::json::parse(req.body, nullptr, false);
    if (in.is_discarded() || !in.is_object()) {
      res.status = 400;
      res.set_content(R"({"error":"body must be a JSON object"})", "application/json");
      return;
    }
  }
  auto ok = [&](nlohmann::json j) {
    res.status = 200;
    res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  };
  auto bad = [&](const std::string& why) {
    res.status = 400;
    res.set_content(nlohmann::json{{"error", why}}.dump(), "application/json");
  };
  try {
    if (what == "stats") return ok(Stats().ToJson());
    if (what == "messages") {
      nlohmann::json a = nlohmann::json::array();
      std::string to = req.get_param_value("to");
      for (const SmsRecord& m : Messages()) {
        if (to.empty() || m.to == to) a.push_back(m.ToJson());
      }
      return ok(a);
    }
    if (req.method != "POST") return bad("use POST for " + what);
    if (what == "fail") {
      auto f = SmsFailure::FromJson(in);
      if (!f) return bad("fail: expects {count, status, code, message, retry_after}");
      FailNext(in.value("count", 1), *f);
      return ok({{"ok", true}});
    }
    if (what == "drop") {
      DropNext(in.value("count", 1));
      return ok({{"ok", true}});
    }
    if (what == "delay") {
      SetDelay(std::chrono::milliseconds(in.value("ms", 0)));
      return ok({{"ok", true}});
    }
    if (what == "rule") {
      auto f = SmsFailure::FromJson(in);
      std::string to = in.value("to", std::string());
      if (!f || to.empty()) return bad("rule: expects {to, status, code, message, retry_after}");
      SetNumberRule(to, *f);
      return ok({{"ok", true}});
    }
    if (what == "reset") {
      ClearMisbehaviour();
      if (in.value("messages", false)) ClearMessages();
      return ok({{"ok", true}});
    }
    if (what == "callback") {
      Result<int> r = SendStatusCallback(in.value("sid", std::string()),
                                         in.value("status", std::string("delivered")),
                                         in.value("error_code", 0), in.value("url", std::string()));
      if (!r.ok()) return bad(r.status().ToString());
      return ok({{"http_status", *r}});
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  res.status = 404;
  res.set_content(R"({"error":"unknown control"})", "application/json");
}

Result<int> SmsTestServer::SendStatusCallback(const std::string& sid, const std::string& status,
                                              int error_code, const std::string& url) {
  CallbackTarget target;
  {
    std::lock_guard lock(mu_);
    if (auto it = callback_targets_.find(sid); it != callback_targets_.end()) target = it->second;
  }
  if (!url.empty()) target.url = url;
  if (target.url.empty()) return Status::NotFound("no StatusCallback for " + sid);
  // Split "http://host:port/path?query" into the origin and the rest.
  size_t scheme_end = target.url.find("://");
  if (scheme_end == std::string::npos) return Status::InvalidArgument("bad callback url");
  size_t path_start = target.url.find('/', scheme_end + 3);
  std::string origin = target.url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : target.url.substr(path_start);

  Form form = {{"AccountSid", options_.account_sid},
               {"ApiVersion", "2010-04-01"},
               {"From", target.from},
               {"MessageSid", sid},
               {"MessageStatus", status},
               {"SmsSid", sid},
               {"SmsStatus", status},
               {"To", target.to}};
  if (!target.messaging_service_sid.empty()) {
    form.emplace_back("MessagingServiceSid", target.messaging_service_sid);
  }
  if (error_code != 0) form.emplace_back("ErrorCode", std::to_string(error_code));
  std::string body;
  for (const auto& [k, v] : form) {
    if (!body.empty()) body += '&';
    body += FormEscape(k) + "=" + FormEscape(v);
  }
  httplib::Client client(origin);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  httplib::Headers headers = {
      {"X-Twilio-Signature", SmsServerTwilioSignature(options_.auth_token, target.url, form)},
      {"User-Agent", "TwilioProxy/1.1"}};
  auto r = client.Post(path, headers, body, "application/x-www-form-urlencoded");
  if (!r) return Status::IOError("status callback failed: " + httplib::to_string(r.error()));
  {
    std::lock_guard lock(mu_);
    ++stats_.callbacks;
  }
  return r->status;
}
}  // namespace herald::testing
