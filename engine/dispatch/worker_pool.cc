#include "engine/dispatch/worker_pool.h"

#include <algorithm>
#include <atomic>

namespace herald {

WorkerPool::WorkerPool(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::RunAll(std::vector<std::function<void()>> tasks) {
  if (threads_.empty() || tasks.size() == 1) {
    for (auto& t : tasks) t();
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& t : tasks) queue_.push_back(std::move(t));
  work_cv_.notify_all();
  done_cv_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (threads_.empty() || n <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto drain = [&next, n, &fn] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  const size_t helpers = std::min(threads_.size(), n - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t k = 0; k < helpers; ++k) queue_.push_back(drain);
  }
  work_cv_.notify_all();
  drain();
  // Every index is taken. `next` and `fn` live on this stack: drop the helpers that have
  // not started (the queue holds only ours: one caller at a time) and wait for the rest.
  std::unique_lock<std::mutex> lock(mu_);
  queue_.clear();
  done_cv_.wait(lock, [this] { return running_ == 0; });
}

void WorkerPool::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_ && queue_.empty()) return;
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task();
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) done_cv_.notify_all();
  }
}

}  // namespace herald
