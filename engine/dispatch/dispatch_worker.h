// DispatchWorker: the background thread of `herald serve` that runs the Dispatcher.
//
// It loops: Dispatcher::Intake (new outbox intents), Dispatcher::SendReady (up to
// kSendStep messages, claimed and sent continuously; new intents wait for the next step),
// CallbackSender::SendDue (status callbacks, when it has a sender), and, when all are
// idle, waits until the next wake-up (a message retry, a rate token or a callback's next
// attempt), kPollMicros at most, or a Notify() (the rule worker fired timers). Storage
// errors are logged without personal data and retried after kRetryMicros.
//
// Tests drive the Dispatcher directly with a FakeClock; this is the only part of
// dispatch that waits for real time. Thread safety: Start/Stop from one thread; Notify
// from any.
#pragma once

#include <atomic>
#include <thread>

#include "engine/core/clock.h"
#include "engine/core/waker.h"
#include "engine/dispatch/callback_sender.h"
#include "engine/dispatch/dispatcher.h"

namespace herald {

class DispatchWorker {
 public:
  static constexpr Micros kPollMicros = 200'000;
  static constexpr Micros kRetryMicros = 1'000'000;
  static constexpr size_t kIntakeStep = 512;
  // A SendReady call keeps every connection busy until it returns and then waits for its
  // slowest send; bigger steps pay that less often (DispatcherOptions::send_call_us bounds
  // how long one takes).
  static constexpr size_t kSendStep = 4096;
  static constexpr size_t kCallbackStep = 64;

  // `callbacks` (optional, not owned) posts status callbacks in the same loop.
  DispatchWorker(Dispatcher& dispatcher, const Clock& clock, CallbackSender* callbacks = nullptr);
  ~DispatchWorker();
  DispatchWorker(const DispatchWorker&) = delete;
  DispatchWorker& operator=(const DispatchWorker&) = delete;

  void Start();
  void Stop();  // joins; the round in progress finishes first
  void Notify() { waker_.Notify(); }

 private:
  void Run();
  Micros Step();

  Dispatcher& dispatcher_;
  const Clock& clock_;
  CallbackSender* callbacks_;
  Waker waker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace herald
