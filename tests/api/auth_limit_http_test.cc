// The failed-authentication limit over a real server (port 0, loopback) and a FakeClock:
// Bearer keys on /v1/*, the dashboard's sign-in form and one-time links; 429 with
// Retry-After; what does and does not count; /metrics. The limiter's own rules are in
// auth_failure_limiter_test.cc.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/api/http_server.h"
#include "engine/core/sha256.h"

namespace herald {
namespace {

constexpr Micros kSec = 1'000'000;
constexpr const char* kAdmin = "limit-admin-secret";
constexpr const char* kIngest = "limit-ingest-secret";
constexpr const char* kForm = "application/x-www-form-urlencoded";

// A server with only what authentication needs: GET /v1/reports/campaigns answers 200
// from `campaign_names` alone, so a right key has something to reach.
class LimitServer {
 public:
  explicit LimitServer(uint32_t failures_per_minute) {
    config_.source = "<test>";
    config_.api_keys = {{"case-system", Sha256Hex(kIngest), {Scope::kIngest}},
                        {"ops", Sha256Hex(kAdmin), {Scope::kAdmin}}};
    config_.http.threads = 4;
    config_.http.auth_failures_per_minute = failures_per_minute;
    ServerDeps deps;
    deps.config = &config_;
    deps.clock = &clock_;
    deps.store_stats = [] { return StoreStats{}; };
    deps.campaign_names = [] {
      return std::vector<std::pair<std::string, std::string>>{{"snap", "SNAP"}};
    };
    server_ = std::make_unique<HttpServer>(deps);
    Result<int> port = server_->Start("127.0.0.1", 0);
    REQUIRE_MESSAGE(port.ok(), port.status().ToString());
    port_ = *port;
  }
  ~LimitServer() { server_->Stop(); }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  // GET /v1/reports/campaigns (admin) with `key` ("" for none).
  httplib::Result Reports(const std::string& key) const {
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return Client().Get("/v1/reports/campaigns", h);
  }
  httplib::Result SignIn(const std::string& key) const {
    return Client().Post("/reports/login", "key=" + key, kForm);
  }
  std::string MintLinkPath() const {
    httplib::Headers h = {{"Authorization", std::string("Bearer ") + kAdmin}};
    auto r = Client().Post("/v1/admin/dashboard-links", h, "", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
    const std::string url = nlohmann::json::parse(r->body)["url"].get<std::string>();
    return url.substr(config_.public_url.size());
  }
  // herald_requests_rejected_total{reason="<reason>"}, 0 when absent.
  int Rejected(const std::string& reason) const {
    auto r = Client().Get("/metrics");
    REQUIRE(r);
    const std::string line = "herald_requests_rejected_total{reason=\"" + reason + "\"} ";
    const size_t at = r->body.find(line);
    return at == std::string::npos ? 0 : std::stoi(r->body.substr(at + line.size()));
  }

  int port() const { return port_; }
  FakeClock& clock() { return clock_; }

 private:
  Config config_;
  FakeClock clock_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

int Status(const httplib::Result& r) {
  REQUIRE(r);
  return r->status;
}

// One GET /v1/reports/campaigns with `key`, sent from the local address `from` (any
// 127.0.0.0/8 address reaches the server on Linux): the status code, or -1 when this host
// cannot bind `from`. httplib's client cannot pick its source address.
int StatusFrom(const char* from, int port, const std::string& key) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd);
    return -1;
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0);
  const std::string request =
      "GET /v1/reports/campaigns HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Authorization: Bearer " +
      key + "\r\nConnection: close\r\n\r\n";
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, n);
  close(fd);
  REQUIRE(reply.rfind("HTTP/1.1 ", 0) == 0);
  return std::stoi(reply.substr(9, 3));
}

TEST_CASE(
    "auth limit: after N failures the address gets 429 with Retry-After, even with the "
    "right key, until the window passes") {
  LimitServer s(5);
  for (int i = 0; i < 4; ++i) CHECK(Status(s.Reports("guess-" + std::to_string(i))) == 401);
  // Failures on other routes count toward the same limit: the 5th, on ingest.
  httplib::Headers wrong = {{"Authorization", "Bearer guess-4"}};
  CHECK(Status(s.Client().Post("/v1/events", wrong, "{}", "application/json")) == 401);

  auto blocked = s.Reports(kAdmin);  // the 6th request: refused before the key is compared
  CHECK(Status(blocked) == 429);
  CHECK(blocked->get_header_value("Retry-After") == "60");
  const nlohmann::json body = nlohmann::json::parse(blocked->body, nullptr, false);
  CHECK(body["error"]["code"] == "too_many_requests");
  CHECK(body["error"]["retry_after_seconds"] == 60);
  CHECK(body["error"]["message"].get<std::string>().find("retry after 60 seconds") !=
        std::string::npos);
  CHECK(Status(s.Reports("guess-5")) == 429);
  CHECK(Status(s.Reports("")) == 429);
  CHECK(Status(s.Client().Post("/v1/events", wrong, "{}", "application/json")) == 429);
  // Public routes are not authenticated, so not limited.
  CHECK(Status(s.Client().Get("/healthz")) == 200);

  s.clock().Advance(30 * kSec);
  auto later = s.Reports(kAdmin);
  CHECK(Status(later) == 429);
  CHECK(later->get_header_value("Retry-After") == "30");  // refusals do not extend it
  s.clock().Advance(30 * kSec);
  CHECK(Status(s.Reports(kAdmin)) == 200);
  CHECK(s.Rejected("rate_limited") == 5);
  CHECK(s.Rejected("unauthorized") == 5);
}

TEST_CASE("auth limit: a key without the scope (403) and a missing key do not count") {
  LimitServer s(3);
  for (int i = 0; i < 10; ++i) {
    CHECK(Status(s.Reports(kIngest)) == 403);
    CHECK(Status(s.Reports("")) == 401);
  }
  CHECK(Status(s.Reports(kAdmin)) == 200);
  // Successes do not clear failures either: a holder of one key gets no extra guesses.
  CHECK(Status(s.Reports("guess-1")) == 401);
  CHECK(Status(s.Reports(kIngest)) == 403);
  CHECK(Status(s.Reports("guess-2")) == 401);
  CHECK(Status(s.Reports(kAdmin)) == 200);
  CHECK(Status(s.Reports("guess-3")) == 401);
  CHECK(Status(s.Reports(kAdmin)) == 429);
}

TEST_CASE("auth limit: 0 disables it") {
  LimitServer s(0);
  for (int i = 0; i < 50; ++i) CHECK(Status(s.Reports("guess")) == 401);
  CHECK(Status(s.Reports(kAdmin)) == 200);
  CHECK(s.Rejected("rate_limited") == 0);
}

TEST_CASE("auth limit: another client address is unaffected") {
  LimitServer s(2);
  if (StatusFrom("127.0.0.2", s.port(), "guess") == -1) {
    MESSAGE(
        "cannot bind 127.0.0.2 here; per-address separation is covered by "
        "auth_failure_limiter_test.cc");
    return;
  }
  CHECK(StatusFrom("127.0.0.2", s.port(), "guess") == 401);  // the 2nd: blocks 127.0.0.2
  CHECK(StatusFrom("127.0.0.2", s.port(), kAdmin) == 429);
  CHECK(StatusFrom("127.0.0.3", s.port(), kAdmin) == 200);
  CHECK(Status(s.Reports(kAdmin)) == 200);  // 127.0.0.1
}

TEST_CASE(
    "auth limit: dashboard sign-in and one-time links count, and are refused while "
    "blocked") {
  LimitServer s(3);
  const std::string link = s.MintLinkPath();
  auto session = s.SignIn(kAdmin);
  REQUIRE(Status(session) == 303);
  const std::string cookie = session->get_header_value("Set-Cookie");
  const httplib::Headers with_cookie = {{"Cookie", cookie.substr(0, cookie.find(';'))}};

  CHECK(Status(s.SignIn(kIngest)) == 401);  // a right key without the scope: not a failure
  CHECK(Status(s.SignIn("")) == 401);       // an empty form: not a failure
  CHECK(Status(s.SignIn("wrong-1")) == 401);
  CHECK(Status(s.SignIn("wrong-2")) == 401);
  CHECK(Status(s.Client().Get("/reports/login?token=" + std::string(32, 'a'))) == 401);

  auto refused = s.SignIn(kAdmin);
  CHECK(Status(refused) == 429);
  CHECK(refused->get_header_value("Retry-After") == "60");
  CHECK(refused->get_header_value("Set-Cookie").empty());
  CHECK(refused->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(refused->body.find("Try again in 60 seconds") != std::string::npos);
  // A valid link is refused too, before it is looked at, so it is not used up.
  CHECK(Status(s.Client().Get(link)) == 429);
  CHECK(Status(s.Reports(kAdmin)) == 429);
  // The blank form and a live session are no credential guesses: they still work.
  CHECK(Status(s.Client().Get("/reports/login")) == 200);
  CHECK(Status(s.Client().Get("/reports", with_cookie)) == 200);

  s.clock().Advance(60 * kSec);
  CHECK(Status(s.Client().Get(link)) == 303);
  CHECK(Status(s.SignIn(kAdmin)) == 303);
  CHECK(s.Rejected("rate_limited") == 3);
}

}  // namespace
}  // namespace herald
