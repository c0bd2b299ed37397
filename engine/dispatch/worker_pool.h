// WorkerPool: a fixed set of threads that runs a batch of tasks and waits for all of them.
// Dispatch uses it to send on several gateway connections at once. With zero threads,
// RunAll runs the tasks on the caller's thread, in order (tests use that for determinism).
//
// Thread safety: RunAll and ParallelFor may be called from one thread at a time (not one
// of each at once).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace herald {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return threads_.size(); }
  // Runs every task and returns when all have finished. Tasks must not throw.
  void RunAll(std::vector<std::function<void()>> tasks);
  // Calls fn(i) for every i in [0, n) and returns when every call has returned. The
  // calling thread works too, beside the pool's threads; indexes are handed out one at a
  // time in increasing order, so uneven items (an email costs four SMS) balance. fn must
  // not throw. With zero threads, or n <= 1, runs fn(0), fn(1), ... on the caller.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace herald
