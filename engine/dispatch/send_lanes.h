// SendLanes: the connections dispatch sends on. Each connector has its own queue of claimed
// messages and its own lane threads (one per connection it allows), which take the next
// message as soon as they are done with the last, so a connection never waits for the
// other lanes or for the store. Finished sends come back as Done entries for the driving
// thread to record.
//
// With zero threads per connector (tests), Submit sends on the calling thread before it
// returns, in submission order: the same outcomes in a deterministic order.
//
// Thread safety: Submit, Wait, Take and WaitAll are called from one driving thread; the
// lanes run Connector::Send, which connectors allow from max_concurrency() threads at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"

namespace herald {

class SendLanes {
 public:
  struct Job {
    size_t slot = 0;  // the caller's handle, returned in Done
    OutboundMessage message;
  };
  struct Done {
    size_t slot = 0;
    SendOutcome outcome;
  };

  // `connectors` by name (not owned; they outlive the lanes). Each gets
  // min(max_concurrency(), threads_per_connector) lane threads; 0 sends inline.
  SendLanes(const std::map<std::string, Connector*>& connectors, size_t threads_per_connector);
  ~SendLanes();  // finishes the queued sends, then joins
  SendLanes(const SendLanes&) = delete;
  SendLanes& operator=(const SendLanes&) = delete;

  // Queues `job` for the named connector's lanes (or sends it now, inline).
  void Submit(const std::string& connector, Job job);
  // Reports an outcome decided without sending (returned by Wait like a send's).
  void Complete(Done done);
  // Every send finished since the last call; blocks until there is one while any is
  // outstanding (returns empty at once when none is).
  std::vector<Done> Wait();
  // Blocks until every submitted send finished, and forgets their outcomes.
  void WaitAll();
  size_t outstanding() const { return outstanding_; }

 private:
  struct Group {
    Connector* connector = nullptr;
    std::deque<Job> queue;          // guarded by mu_
    std::condition_variable ready;  // a job was queued, or stop
    std::vector<std::thread> threads;
  };
  void Lane(Group* group);

  std::map<std::string, std::unique_ptr<Group>> groups_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::vector<Done> done_;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  size_t outstanding_ = 0;  // driving thread only: submitted, not yet returned by Wait
};

}  // namespace herald
