// Status callbacks out: the Dispatcher queues them, CallbackSender posts them through the
// real CallbackPoster (curl) to a local HTTP receiver that answers as each test scripts,
// and a FakeClock stands in for the waits between retries.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/callback/callback_poster.h"
#include "engine/core/sha256.h"
#include "engine/dispatch/callback_sender.h"
#include "engine/dispatch/dispatch_worker.h"
#include "tests/dispatch/dispatch_env.h"

namespace herald {
namespace {

using testing::DispatchEnv;
using testing::PlainComposer;
using testing::ScriptedConnector;

constexpr Micros kSecond = 1'000'000;
constexpr const char* kSecret = "callback-test-secret-0123456789";

// A case system's callback endpoint on loopback: records every POST and answers each with
// the next scripted reply (200 once the script is empty).
class Receiver {
 public:
  struct Request {
    std::string body;
    httplib::Headers headers;
    int remote_port = 0;

    std::string Header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? std::string() : it->second;
    }
    nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  };

  Receiver() {
    server_.set_keep_alive_max_count(1000);
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(Request{req.body, req.headers, req.remote_port});
      Reply reply;
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      }
      res.status = reply.status;
      if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
      res.set_content("{}", "application/json");
      arrived_.notify_all();
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  void Answer(int status, std::string retry_after = "") {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(Reply{status, std::move(retry_after)});
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Waits (for a condition, not a time) until `n` requests arrived; false after a minute.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return arrived_.wait_for(lock, std::chrono::minutes(1), [&] { return requests_.size() >= n; });
  }
  // Idempotency-Keys in arrival order.
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    for (const Request& r : requests()) keys.push_back(r.Header("Idempotency-Key"));
    return keys;
  }

 private:
  struct Reply {
    int status = 200;
    std::string retry_after;
  };
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<Reply> script_;
  std::vector<Request> requests_;
};

// A loopback port nobody listens on (a receiver that is down): bound, never listened on,
// closed.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Rig {
  DispatchEnv env;
  PlainComposer composer{*env.messages};
  ScriptedConnector sms{"sms", {Channel::kSms}};
  ScriptedConnector mail{"mail", {Channel::kEmail}};
  std::unique_ptr<Dispatcher> dispatcher;
  Receiver receiver;
  std::unique_ptr<CallbackPoster> poster;
  std::unique_ptr<CallbackSender> sender;

  explicit Rig(CallbackSenderOptions options = {}, std::string url = "") {
    DispatcherOptions d;
    d.connectors["sms"] = {&sms, 0, 1};
    d.connectors["mail"] = {&mail, 0, 1};
    d.status_callbacks = true;
    d.random_seed = 7;
    dispatcher = std::make_unique<Dispatcher>(*env.schedule, *env.messages, composer, env.clock, d);
    CallbackPosterOptions po;
    po.url = url.empty() ? receiver.url() : url;
    po.secret = kSecret;
    po.http.timeout_seconds = 30;
    auto made = CallbackPoster::Create(po, env.clock);
    REQUIRE(made.ok());
    poster = std::move(made).value();
    options.random_seed = 3;
    sender = std::make_unique<CallbackSender>(*env.messages, *poster, env.clock, options);
  }

  // Sends a message to case `case_id` on `channel`: its "sent" callback is then stored.
  std::string Send(const std::string& case_id, const std::string& channel = "sms") {
    env.AddIntent(case_id, {channel});
    REQUIRE(*dispatcher->Intake(10) == 1);
    REQUIRE(*dispatcher->SendReady(10) == 1);
    return env.Only(case_id).id;
  }
  void Deliver(const std::string& id) {
    Message m = **env.messages->Get(id);
    bool found = false;
    REQUIRE(dispatcher->ApplyReceipt({m.connector, id, m.provider_id, "delivered", "", ""}, &found)
                .ok());
    REQUIRE(found);
  }
  std::vector<StatusCallback> Stored() {
    return *env.messages->DueCallbacks(std::numeric_limits<Micros>::max(), 1000);
  }
  size_t Round(size_t max = 100) {
    Result<size_t> n = sender->SendDue(max);
    REQUIRE(n.ok());
    return *n;
  }
};

TEST_CASE("a status callback is posted as signed JSON with an idempotency key") {
  Rig rig;
  const std::string id = rig.Send("case-1");
  REQUIRE(rig.Stored().size() == 1);
  const uint64_t seq = rig.Stored()[0].seq;

  CHECK(rig.Round() == 1);
  auto requests = rig.receiver.requests();
  REQUIRE(requests.size() == 1);
  const Receiver::Request& r = requests[0];
  CHECK(r.Header("Content-Type") == "application/json");
  CHECK(r.Header("Idempotency-Key") == id + "-" + std::to_string(seq));
  const std::string ts = r.Header("X-Herald-Timestamp");
  CHECK(ts == std::to_string(rig.env.clock.NowMicros() / kSecond));
  // Checked with an HMAC computed independently of the signing code.
  CHECK(r.Header("X-Herald-Signature") == "sha256=" + HmacSha256Hex(kSecret, ts + "." + r.body));
  CHECK(r.Header("X-Herald-Signature") !=
        "sha256=" + HmacSha256Hex("other-secret", ts + "." + r.body));

  nlohmann::json body = r.Json();
  REQUIRE(body.is_object());
  CHECK(body["message_id"] == id);
  CHECK(body["case_id"] == "case-1");
  CHECK(body["campaign"] == "snap");
  CHECK(body["rule"] == "reminder");
  CHECK(body["channel"] == "sms");
  CHECK(body["status"] == "sent");
  CHECK(body["at"].is_string());
  CHECK(rig.Stored().empty());  // delivered: removed
  CHECK(rig.sender->stats().delivered == 1);
  CHECK(rig.Round() == 0);  // nothing is posted twice
  CHECK(*rig.sender->NextDueAt() == std::nullopt);
}

TEST_CASE("callback bodies carry no address and no message text") {
  Rig rig;
  const std::string sms = rig.Send("case-1", "sms");
  const std::string mail = rig.Send("case-2", "email");
  rig.Deliver(sms);
  rig.Deliver(mail);
  CHECK(rig.Round() == 4);
  const std::set<std::string> allowed = {"message_id", "case_id", "campaign", "rule",  "occurrence",
                                         "channel",    "status",  "at",       "detail"};
  for (const Receiver::Request& r : rig.receiver.requests()) {
    for (const char* personal : {"+14155550100", "4155550100", "person@example.org", "example.org",
                                 "Subject:", "body\\r\\n"}) {
      CHECK_MESSAGE(r.body.find(personal) == std::string::npos, r.body);
    }
    const nlohmann::json body = r.Json();
    REQUIRE(body.is_object());
    for (const auto& [key, value] : body.items()) CHECK_MESSAGE(allowed.count(key) == 1, key);
  }
}

TEST_CASE("temporary failures are retried with backoff; Retry-After is honoured") {
  Rig rig;
  const std::string id = rig.Send("case-1");
  rig.receiver.Answer(500);
  rig.receiver.Answer(429, "120");
  const Micros t0 = rig.env.clock.NowMicros();

  CHECK(rig.Round() == 1);  // 500
  auto stored = rig.Stored();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].attempts == 1);
  // retry_initial 30 s with equal jitter: between 15 and 30 seconds later.
  CHECK(stored[0].next_attempt_at >= t0 + 15 * kSecond);
  CHECK(stored[0].next_attempt_at <= t0 + 30 * kSecond);
  CHECK(rig.Round() == 0);  // not due yet
  CHECK(**rig.sender->NextDueAt() == stored[0].next_attempt_at);

  rig.env.clock.Set(stored[0].next_attempt_at);
  const Micros t1 = rig.env.clock.NowMicros();
  CHECK(rig.Round() == 1);  // 429, Retry-After: 120 (longer than the backoff: it wins)
  stored = rig.Stored();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].attempts == 2);
  CHECK(stored[0].next_attempt_at == t1 + 120 * kSecond);

  rig.env.clock.Set(t1 + 120 * kSecond - 1);
  CHECK(rig.Round() == 0);
  rig.env.clock.Set(t1 + 120 * kSecond);
  CHECK(rig.Round() == 1);  // 200
  CHECK(rig.Stored().empty());

  auto requests = rig.receiver.requests();
  REQUIRE(requests.size() == 3);
  for (const Receiver::Request& r : requests) {
    // The same callback each time, freshly signed.
    CHECK(r.body == requests[0].body);
    CHECK(r.Header("Idempotency-Key") == requests[0].Header("Idempotency-Key"));
    const std::string ts = r.Header("X-Herald-Timestamp");
    CHECK(r.Header("X-Herald-Signature") == "sha256=" + HmacSha256Hex(kSecret, ts + "." + r.body));
  }
  CHECK(requests[2].Header("X-Herald-Timestamp") == std::to_string(t1 / kSecond + 120));
  CallbackStats s = rig.sender->stats();
  CHECK(s.posts == 3);
  CHECK(s.retried == 2);
  CHECK(s.delivered == 1);
}

TEST_CASE("callbacks of one message arrive in order; others do not wait") {
  Rig rig;
  const std::string a = rig.Send("case-a");
  rig.Deliver(a);
  const std::string b = rig.Send("case-b");
  auto stored = rig.Stored();
  REQUIRE(stored.size() == 3);
  const std::string a1 = a + "-" + std::to_string(stored[0].seq);
  const std::string a2 = a + "-" + std::to_string(stored[1].seq);
  const std::string b1 = b + "-" + std::to_string(stored[2].seq);

  rig.receiver.Answer(503);
  // a's "sent" fails; a's "delivered" is due but waits behind it; b's goes out.
  CHECK(rig.Round() == 2);
  CHECK(rig.receiver.Keys() == std::vector<std::string>{a1, b1});
  stored = rig.Stored();
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].attempts == 1);
  CHECK(stored[1].attempts == 0);
  CHECK(stored[1].next_attempt_at <= rig.env.clock.NowMicros());
  // The next wake-up is the retry, not the waiting "delivered".
  CHECK(**rig.sender->NextDueAt() == stored[0].next_attempt_at);
  CHECK(rig.Round() == 0);

  rig.env.clock.Set(stored[0].next_attempt_at);
  CHECK(rig.Round() == 2);
  CHECK(rig.receiver.Keys() == std::vector<std::string>{a1, b1, a1, a2});
  auto requests = rig.receiver.requests();
  CHECK(requests[2].Json()["status"] == "sent");
  CHECK(requests[3].Json()["status"] == "delivered");
  CHECK(rig.Stored().empty());
}

TEST_CASE("a round posts at most max callbacks, oldest first") {
  Rig rig;
  const std::string a = rig.Send("case-a");
  const std::string b = rig.Send("case-b");
  CHECK(rig.Round(1) == 1);
  REQUIRE(rig.receiver.requests().size() == 1);
  CHECK(rig.receiver.requests()[0].Json()["message_id"] == a);
  CHECK(**rig.sender->NextDueAt() <= rig.env.clock.NowMicros());
  CHECK(rig.Round(1) == 1);
  CHECK(rig.receiver.requests()[1].Json()["message_id"] == b);
}

TEST_CASE("a callback refused with a 4xx is dropped and the next one follows") {
  Rig rig;
  const std::string a = rig.Send("case-a");
  rig.Deliver(a);
  rig.receiver.Answer(400);
  CHECK(rig.Round() == 2);
  auto requests = rig.receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].Json()["status"] == "sent");
  CHECK(requests[1].Json()["status"] == "delivered");
  CHECK(rig.Stored().empty());
  CHECK(rig.sender->stats().rejected == 1);
  CHECK(rig.sender->stats().delivered == 1);
}

TEST_CASE("408 is temporary like 429 and 5xx; 401, 404 and 410 are permanent") {
  auto classify = [](long status) {
    http::HttpResponse r;
    r.transport = http::HttpResponse::Transport::kOk;
    r.status = status;
    return ClassifyCallbackReply(r, 0).kind;
  };
  using Kind = CallbackPostResult::Kind;
  CHECK(classify(200) == Kind::kDelivered);
  CHECK(classify(204) == Kind::kDelivered);
  for (long s : {408L, 429L, 500L, 502L, 503L, 301L}) CHECK(classify(s) == Kind::kTemporary);
  for (long s : {400L, 401L, 403L, 404L, 410L, 422L}) CHECK(classify(s) == Kind::kPermanent);
  http::HttpResponse timeout;
  timeout.transport = http::HttpResponse::Transport::kTimeout;
  CallbackPostResult t = ClassifyCallbackReply(timeout, 0);
  CHECK(t.kind == Kind::kTemporary);
  CHECK(t.no_reply);
}

TEST_CASE("a callback is given up after max attempts; the next of its message follows") {
  CallbackSenderOptions o;
  o.retry.max_attempts = 3;
  Rig rig(o);
  const std::string a = rig.Send("case-a");
  rig.Deliver(a);
  for (int i = 0; i < 3; ++i) rig.receiver.Answer(503);

  CHECK(rig.Round() == 1);
  rig.env.clock.Set(rig.Stored()[0].next_attempt_at);
  CHECK(rig.Round() == 1);
  CHECK(rig.Stored()[0].attempts == 2);
  rig.env.clock.Set(rig.Stored()[0].next_attempt_at);
  CHECK(rig.Round() == 2);  // the third 503 gives up; "delivered" goes out
  CHECK(rig.Stored().empty());
  CallbackStats s = rig.sender->stats();
  CHECK(s.given_up == 1);
  CHECK(s.delivered == 1);
  auto requests = rig.receiver.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[3].Json()["status"] == "delivered");
}

TEST_CASE("a callback is given up when its next attempt would be past the age limit") {
  CallbackSenderOptions o;
  o.retry.max_age_us = 60 * kSecond;
  Rig rig(o);
  rig.Send("case-a");
  rig.env.clock.Advance(50 * kSecond);  // the receiver was away for a while
  rig.receiver.Answer(503, "120");      // come back after the age limit
  CHECK(rig.Round() == 1);
  CHECK(rig.Stored().empty());
  CHECK(rig.sender->stats().given_up == 1);
}

TEST_CASE("a receiver that does not answer holds every post until the retry") {
  Rig rig({}, "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook");
  rig.Send("case-a");
  rig.Send("case-b");
  const Micros t0 = rig.env.clock.NowMicros();
  CHECK(rig.Round() == 1);  // refused: the round ends
  auto stored = rig.Stored();
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].attempts == 1);
  CHECK(stored[1].attempts == 0);  // due, but held
  CHECK(stored[0].next_attempt_at > t0);
  CHECK(rig.Round() == 0);
  CHECK(**rig.sender->NextDueAt() == stored[0].next_attempt_at);
  rig.env.clock.Set(stored[0].next_attempt_at);
  CHECK(rig.Round() == 1);  // still refused: one post, then held again
  CHECK(rig.sender->stats().retried == 2);
}

TEST_CASE("posts reuse one keep-alive connection") {
  Rig rig;
  for (const char* c : {"case-a", "case-b", "case-c"}) rig.Send(c);
  CHECK(rig.Round() == 3);
  auto requests = rig.receiver.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].remote_port == requests[0].remote_port);
  CHECK(requests[2].remote_port == requests[0].remote_port);
}

TEST_CASE("the poster checks its options") {
  FakeClock clock;
  CallbackPosterOptions o;
  o.url = "ftp://example.org/hook";
  o.secret = kSecret;
  CHECK(CallbackPoster::Create(o, clock).status().IsInvalidArgument());
  o.url = "https://user:pw@example.org/hook";
  CHECK(CallbackPoster::Create(o, clock).status().IsInvalidArgument());
  o.url = "https://example.org/hook?system=cases";
  o.secret = "short";
  Status s = CallbackPoster::Create(o, clock).status();
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("short") == std::string::npos);  // never the secret
  o.secret = kSecret;
  CHECK(CallbackPoster::Create(o, clock).ok());
}

TEST_CASE("the dispatch worker posts callbacks in its loop") {
  Rig rig;
  rig.env.AddIntent("case-1", {"sms"});
  DispatchWorker worker(*rig.dispatcher, rig.env.clock, rig.sender.get());
  worker.Start();
  worker.Notify();
  REQUIRE(rig.receiver.WaitFor(1));
  worker.Stop();
  auto requests = rig.receiver.requests();
  CHECK(requests[0].Json()["status"] == "sent");
  CHECK(requests[0].Json()["case_id"] == "case-1");
}

}  // namespace
}  // namespace herald
