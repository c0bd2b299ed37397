// messages_bench's measuring wrappers: timing of the composer, the message store and the
// connector (one steady_clock read per call), CPU clocks, and the die-on-error helpers.
// A benchmark's code, not the engine's: see messages_bench.cc.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "engine/core/result.h"
#include "engine/dispatch/composer.h"
#include "engine/dispatch/message_store.h"

namespace herald::bench {

using SteadyClock = std::chrono::steady_clock;

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "messages_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}

inline void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

inline double Seconds(SteadyClock::time_point since) {
  return std::chrono::duration<double>(SteadyClock::now() - since).count();
}

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

// Adds the time since `start_` to `*sink_ns` when it goes out of scope.
class ScopedNs {
 public:
  explicit ScopedNs(std::atomic<int64_t>* sink_ns) : sink_ns_(sink_ns), start_(NowNs()) {}
  ~ScopedNs() { sink_ns_->fetch_add(NowNs() - start_); }

 private:
  std::atomic<int64_t>* sink_ns_;
  int64_t start_;
};

inline double Sec(const std::atomic<int64_t>& ns) {
  return ns.load() / 1e9;
}

// CPU time of this thread, and of the whole process (every thread, RocksDB's included).
inline int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
inline double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The RocksMessageStore with the time spent in each kind of call added up.
class TimedStore final : public MessageStore {
 public:
  explicit TimedStore(MessageStore& inner) : inner_(inner) {}

  // get_many_ns: GetMany and GetStates; bodies_ns: GetBodies.
  std::atomic<int64_t> commit_ns{0}, ready_ns{0}, get_many_ns{0}, bodies_ns{0}, other_ns{0};
  std::atomic<int64_t> commits{0};

  const std::string& Secret() const override { return inner_.Secret(); }
  Result<uint64_t> OutboxCursor() override {
    ScopedNs t(&other_ns);
    return inner_.OutboxCursor();
  }
  Result<std::optional<Message>> Get(std::string_view id) override {
    ScopedNs t(&other_ns);
    return inner_.Get(id);
  }
  Result<std::vector<std::optional<Message>>> GetMany(
      const std::vector<std::string>& ids) override {
    ScopedNs t(&get_many_ns);
    return inner_.GetMany(ids);
  }
  Result<std::vector<std::optional<Message>>> GetStates(
      const std::vector<std::string>& ids) override {
    ScopedNs t(&get_many_ns);
    return inner_.GetStates(ids);
  }
  Result<std::vector<std::optional<MessageBody>>> GetBodies(
      const std::vector<std::string>& ids) override {
    ScopedNs t(&bodies_ns);
    return inner_.GetBodies(ids);
  }
  Result<std::optional<Message>> FindByProvider(std::string_view connector,
                                                std::string_view provider_id) override {
    ScopedNs t(&other_ns);
    return inner_.FindByProvider(connector, provider_id);
  }
  Result<std::vector<std::string>> MessagesForCase(std::string_view case_id) override {
    ScopedNs t(&other_ns);
    return inner_.MessagesForCase(case_id);
  }
  Result<std::vector<Message>> ReadyStates(Micros now, size_t limit) override {
    ScopedNs t(&ready_ns);
    return inner_.ReadyStates(now, limit);
  }
  Result<std::optional<Micros>> NextReady() override {
    ScopedNs t(&other_ns);
    return inner_.NextReady();
  }
  Result<size_t> ReadyCount() override {
    ScopedNs t(&other_ns);
    return inner_.ReadyCount();
  }
  Result<std::vector<StatusCallback>> DueCallbacks(Micros now, size_t limit) override {
    ScopedNs t(&other_ns);
    return inner_.DueCallbacks(now, limit);
  }
  Status Commit(const MessageBatch& batch) override {
    ScopedNs t(&commit_ns);
    commits.fetch_add(1);
    return inner_.Commit(batch);
  }

 private:
  MessageStore& inner_;
};

// The TemplateComposer, timed, counting what it makes and keeping one sample of each
// (channel, locale, template) for the driver's ceilings.
class TimedComposer final : public MessageComposer {
 public:
  explicit TimedComposer(MessageComposer& inner) : inner_(inner) {}

  std::atomic<int64_t> compose_ns{0}, compose_cpu_ns{0};
  size_t email = 0, sms = 0, settled = 0;
  uint64_t mime_bytes = 0, sms_bytes = 0;
  std::string first_settled_reason;
  std::map<std::string, std::string> email_samples, sms_samples;  // by locale/template

  Result<std::vector<Message>> Compose(const OutboxIntent& intent, Micros now) override {
    const int64_t start = NowNs(), cpu_start = ThreadCpuNs();
    Result<std::vector<Message>> out = inner_.Compose(intent, now);
    compose_cpu_ns.fetch_add(ThreadCpuNs() - cpu_start);
    compose_ns.fetch_add(NowNs() - start);
    if (out.ok()) Count(*out);
    return out;
  }

  // Intake's path (TemplateComposer renders a step on a pool): timed as a whole, so the
  // composing CPU figure counts the calling thread only; the whole-process figure is the
  // honest one then.
  Result<std::vector<Message>> ComposeMany(const std::vector<OutboxIntent>& intents,
                                           Micros now) override {
    const int64_t start = NowNs(), cpu_start = ThreadCpuNs();
    Result<std::vector<Message>> out = inner_.ComposeMany(intents, now);
    compose_cpu_ns.fetch_add(ThreadCpuNs() - cpu_start);
    compose_ns.fetch_add(NowNs() - start);
    if (out.ok()) Count(*out);
    return out;
  }

 private:
  void Count(const std::vector<Message>& made) {
    for (const Message& m : made) {
      if (m.status != MessageStatus::kQueued) {
        ++settled;
        if (first_settled_reason.empty()) {
          first_settled_reason = std::string(MessageStatusName(m.status)) + ": " + m.reason;
        }
        continue;
      }
      const std::string key = m.locale + "/" + m.template_id;
      if (m.channel == Channel::kEmail) {
        ++email;
        mime_bytes += m.mime.size();
        email_samples.try_emplace(key, m.mime);
      } else {
        ++sms;
        sms_bytes += m.sms_text.size();
        sms_samples.try_emplace(key, m.sms_text);
      }
    }
  }

  MessageComposer& inner_;
};

// A registry-made connector, timed: the sum of Send times, and per round the span from
// the first Send's start to the last one's end (the wall time the round spends on the
// gateway). Outcomes are counted by kind; the first non-accepted one is kept.
class TimedConnector final : public Connector {
 public:
  explicit TimedConnector(std::unique_ptr<Connector> inner) : inner_(std::move(inner)) {}

  std::atomic<int64_t> send_ns{0};
  std::atomic<int64_t> accepted{0}, temporary{0}, permanent{0}, suppress{0};

  const std::string& name() const override { return inner_->name(); }
  std::string_view type() const override { return inner_->type(); }
  std::vector<Channel> channels() const override { return inner_->channels(); }
  int max_concurrency() const override { return inner_->max_concurrency(); }
  bool VerifyCallback(const CallbackRequest& r) const override { return inner_->VerifyCallback(r); }

  SendOutcome Send(const OutboundMessage& message) override {
    const int64_t start = NowNs();
    int64_t first = round_first_.load();
    while ((first == 0 || start < first) && !round_first_.compare_exchange_weak(first, start)) {
    }
    SendOutcome o = inner_->Send(message);
    const int64_t end = NowNs();
    int64_t last = round_last_.load();
    while (end > last && !round_last_.compare_exchange_weak(last, end)) {
    }
    send_ns.fetch_add(end - start);
    switch (o.kind) {
      case SendOutcome::Kind::kAccepted:
        accepted.fetch_add(1);
        break;
      case SendOutcome::Kind::kTemporary:
        temporary.fetch_add(1);
        break;
      case SendOutcome::Kind::kPermanent:
        permanent.fetch_add(1);
        break;
      case SendOutcome::Kind::kSuppress:
        suppress.fetch_add(1);
        break;
    }
    if (o.kind != SendOutcome::Kind::kAccepted) {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_failure_.empty()) {
        first_failure_ = std::string(SendOutcomeKindName(o.kind)) + " " + o.code + ": " + o.reason;
      }
    }
    return o;
  }

  // Starts a round; EndRound returns the gateway span of the round in seconds.
  void BeginRound() {
    round_first_ = 0;
    round_last_ = 0;
  }
  double EndRound() const {
    const int64_t first = round_first_.load(), last = round_last_.load();
    return first == 0 || last < first ? 0.0 : (last - first) / 1e9;
  }
  std::string first_failure() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_failure_;
  }

 private:
  std::unique_ptr<Connector> inner_;
  std::atomic<int64_t> round_first_{0}, round_last_{0};
  std::mutex mu_;
  std::string first_failure_;
};

}  // namespace herald::bench
