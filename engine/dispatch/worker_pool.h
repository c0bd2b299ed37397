// WorkerPool: a fixed set of threads that runs a batch of tasks and waits for all of them.
// Dispatch uses it to send on several gateway connections at once. With zero threads,
// RunAll runs the tasks on the caller's thread, in order (tests use that for determinism).
//
// Thread safety: RunAll may be called from one thread at a time.
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
