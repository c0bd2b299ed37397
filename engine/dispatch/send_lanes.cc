#include "engine/dispatch/send_lanes.h"

#include <algorithm>
#include <utility>

namespace herald {

SendLanes::SendLanes(const std::map<std::string, Connector*>& connectors,
                     size_t threads_per_connector) {
  for (const auto& [name, connector] : connectors) {
    auto group = std::make_unique<Group>();
    group->connector = connector;
    const size_t lanes = std::min<size_t>(
        static_cast<size_t>(std::max(1, connector->max_concurrency())), threads_per_connector);
    Group* g = group.get();
    for (size_t i = 0; i < lanes; ++i) g->threads.emplace_back([this, g] { Lane(g); });
    groups_.emplace(name, std::move(group));
  }
}

SendLanes::~SendLanes() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  for (auto& [name, group] : groups_) {
    group->ready.notify_all();
    for (std::thread& t : group->threads) t.join();
  }
}

void SendLanes::Submit(const std::string& connector, Job job) {
  Group& group = *groups_.at(connector);
  ++outstanding_;
  if (group.threads.empty()) {
    Done d{job.slot, group.connector->Send(job.message)};
    std::lock_guard<std::mutex> lock(mu_);
    done_.push_back(std::move(d));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    group.queue.push_back(std::move(job));
  }
  group.ready.notify_one();
}

void SendLanes::Complete(Done done) {
  ++outstanding_;
  std::lock_guard<std::mutex> lock(mu_);
  done_.push_back(std::move(done));
}

std::vector<SendLanes::Done> SendLanes::Wait() {
  std::vector<Done> out;
  if (outstanding_ == 0) return out;
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return !done_.empty(); });
  out.swap(done_);
  outstanding_ -= out.size();
  return out;
}

void SendLanes::WaitAll() {
  while (outstanding_ > 0) Wait();
}

void SendLanes::Lane(Group* group) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    group->ready.wait(lock, [&] { return stop_ || !group->queue.empty(); });
    if (group->queue.empty()) return;  // stop_, and nothing left to send
    Job job = std::move(group->queue.front());
    group->queue.pop_front();
    lock.unlock();
    Done d{job.slot, group->connector->Send(job.message)};
    lock.lock();
    done_.push_back(std::move(d));
    done_cv_.notify_one();
  }
}

}  // namespace herald
