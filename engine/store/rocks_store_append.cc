// RocksStore::Append: request preparation, the writer queue and group commit, after
// LevelDB's DBImpl::Write.
//
// A caller first prepares its request on its own thread (Prepare: encode, prefetch the
// committed records with MultiGet, build against them; see group_builder.h), then
// enqueues a Writer and waits. The writer at the front of the queue is the leader: it
// takes the queued writers (up to max_group_events), releases the mutex, adds their
// requests in queue order to one batch (GroupBuilder, which rebuilds any request whose
// reads went stale), writes it with one WAL write (synced when options_.sync_writes),
// then retakes the mutex to publish the new last seq and take the group off the queue,
// and after releasing it signals each follower its outcome and the next writer its
// leadership. Only the leader writes the store and touches next seq, last_gen_ and
// recent_writes_, so building without the mutex is safe and new callers can prepare and
// enqueue meanwhile.
#include <algorithm>
#include <deque>
#include <exception>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include "engine/store/fault_env.h"
#include "engine/store/group_builder.h"
#include "engine/store/keys.h"
#include "engine/store/records.h"
#include "engine/store/rocks_recovery.h"
#include "engine/store/rocks_store.h"

namespace herald {
namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}

Status ReadFailed(const rocksdb::Status& s) {
  return Status::IOError("store: reading committed state failed: " + s.ToString());
}

}  // namespace

struct RocksStore::Writer {
  PreparedRequest* request = nullptr;  // null: the writer only makes its leader recover
  size_t events = 0;
  Status status;                        // the request's (or the group write's) error
  std::vector<AppendOutcome> outcomes;  // valid when status is OK

  // A waiting writer is woken through its own mutex, not the queue's: the leader signals
  // its group after releasing mu_, so waking callers neither wait for mu_ nor hold up
  // new callers enqueueing. Signal holds `mu` while notifying because the writer may
  // return (destroying this) as soon as it sees its flag.
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done || lead; });
  }
  void Signal(bool* flag) {
    std::lock_guard<std::mutex> lock(mu);
    *flag = true;
    cv.notify_one();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // outcomes (or status) are final
  bool lead = false;  // at the front of the queue: lead the next group
};

// Reads of the committed state, one key at a time. For the leader these are exact (only
// the leader writes); for a caller they are as of some generation >= its snapshot. Keeps
// every value it read, as the views it returns must live as long as it does.
class RocksStore::Committed final : public StateView {
 public:
  explicit Committed(RocksStore& store) : store_(store) {}

  Result<std::optional<std::string_view>> Find(StoreColumn column, std::string_view key,
                                               uint64_t) override {
    std::string& value = values_.emplace_back();
    rocksdb::Status s = store_.db_->Get(
        rocksdb::ReadOptions(), store_.cfs_[static_cast<size_t>(column)], ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string_view>();
    if (!s.ok()) return ReadFailed(s);
    return std::optional<std::string_view>(value);
  }

 private:
  RocksStore& store_;
  std::deque<std::string> values_;  // a deque never moves its elements
};

// The group's WriteBatch. StoreColumn values index cfs_ directly (see WriteGroup).
class RocksStore::BatchSink final : public WriteSink {
 public:
  BatchSink(const std::vector<rocksdb::ColumnFamilyHandle*>& cfs, size_t reserve_bytes)
      : cfs_(cfs), batch_(reserve_bytes) {}

  void Put(StoreColumn column, std::string_view key, std::string_view value) override {
    if (!status_.ok()) return;
    status_ = batch_.Put(cfs_[static_cast<size_t>(column)], ToSlice(key), ToSlice(value));
  }

  rocksdb::WriteBatch& batch() { return batch_; }
  const rocksdb::Status& status() const { return status_; }

 private:
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs_;
  rocksdb::WriteBatch batch_;
  rocksdb::Status status_;
};

Result<std::vector<AppendOutcome>> RocksStore::Append(std::string_view key_id,
                                                      const std::vector<Event>& events) {
  if (events.empty()) return std::vector<AppendOutcome>{};
  if (closed_.load()) return Status::Unavailable("store: closing");
  // After a failed write, prepare against the reopened database (or answer Unavailable
  // while the disk still refuses writes).
  if (Status r = RecoverWrites(); !r.ok()) return r;
  PreparedRequest request;
  if (Status s = Prepare(key_id, events, &request); !s.ok()) return s;
  if (after_prepare_hook_) after_prepare_hook_();

  Writer w;
  w.request = &request;
  w.events = events.size();
  if (Status s = Enqueue(w); !s.ok()) return s;
  return std::move(w.outcomes);
}

Status RocksStore::RecoverWrites() {
  if (!write_failed_.load()) return Status::Ok();
  Writer w;  // no request: its group's leader reopens the database, nothing more
  return Enqueue(w);
}

Status RocksStore::Enqueue(Writer& w) {
  bool leader;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return Status::Unavailable("store: closing");
    writers_.push_back(&w);
    leader = writers_.size() == 1;
  }
  if (!leader) {
    w.Wait();
    if (w.done) return w.status;
  }

  // Leader: take a group from the front of the queue (this writer first), build and write
  // it without holding the mutex.
  std::vector<Writer*> group;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t group_events = 0;
    for (Writer* x : writers_) {
      if (!group.empty() && group_events + x->events > options_.max_group_events) break;
      group.push_back(x);
      group_events += x->events;
    }
  }
  uint64_t accepted = 0;
  Status s;
  const Micros start = clock_.MonotonicMicros();
  try {
    s = CommitGroup(group, &accepted);
  } catch (const std::exception& ex) {  // e.g. bad_alloc: fail the group, not the process
    s = Status::Internal(std::string("store: append failed: ") + ex.what());
  }
  leader_micros_.fetch_add(static_cast<uint64_t>(clock_.MonotonicMicros() - start),
                           std::memory_order_relaxed);
  Writer* next = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) last_seq_.store(last_seq_.load() + accepted);
    // The group is the front of the queue, in order; new callers only append behind it.
    for (size_t i = 0; i < group.size(); ++i) writers_.pop_front();
    if (!writers_.empty()) {
      next = writers_.front();
    } else {
      idle_cv_.notify_all();
    }
  }
  for (Writer* x : group) {
    if (!s.ok()) x->status = s;  // nothing of the group was written
    if (x != &w) x->Signal(&x->done);
  }
  // Until signalled, `next` waits and every later caller queues behind it: no other
  // thread can lead meanwhile.
  if (next != nullptr) next->Signal(&next->lead);
  return w.status;
}

Status RocksStore::Prepare(std::string_view key_id, const std::vector<Event>& events,
                           PreparedRequest* request) {
  try {
    PrepareEvents(key_id, events, &request->events);
  } catch (const std::exception& ex) {
    return Status::InvalidArgument(std::string("store: cannot store event: ") + ex.what());
  }
  std::shared_lock<std::shared_mutex> lock(db_mu_);  // Reopen waits for these reads
  if (db_ == nullptr) return Status::Unavailable("store: the database is being reopened");
  if (Status s = Prefetch(request); !s.ok()) return s;
  // Keys the prefetch missed (none, unless RecipientKeysToRead and the build disagree)
  // are read here, after snapshot_gen was noted, so they are as valid as the rest.
  Committed committed(*this);
  PrefetchedState state(*request, committed);
  return BuildRequest(state, request->events, &request->build);
}

Status RocksStore::Prefetch(PreparedRequest* request) {
  // Noted before any read: whatever the reads return is at least this generation's state,
  // and the leader re-reads every key a later generation wrote.
  request->snapshot_gen = published_gen_.load(std::memory_order_acquire);
  const rocksdb::ReadOptions ro;

  // Reads every key of `map` (each mapped to nullopt) from one family in one batched
  // MultiGet, storing what it finds. Map nodes never move, so `slots` stay valid.
  std::vector<rocksdb::Slice> keys;
  std::vector<std::optional<std::string>*> slots;
  auto multi_get = [&](Cf cf, auto& map) -> Status {
    keys.clear();
    slots.clear();
    for (auto& [key, slot] : map) {
      keys.push_back(ToSlice(key));
      slots.push_back(&slot);
    }
    if (keys.empty()) return Status::Ok();
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(ro, cfs_[cf], keys.size(), keys.data(), values.data(), statuses.data());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].ok()) {
        // A value RocksDB copied (from a memtable) is moved out rather than copied again.
        if (!values[i].IsPinned() && values[i].GetSelf() != nullptr &&
            values[i].data() == values[i].GetSelf()->data() &&
            values[i].size() == values[i].GetSelf()->size()) {
          slots[i]->emplace(std::move(*values[i].GetSelf()));
        } else {
          slots[i]->emplace(values[i].data(), values[i].size());
        }
      } else if (!statuses[i].IsNotFound()) {
        return ReadFailed(statuses[i]);
      }
    }
    return Status::Ok();
  };

  request->idempotency.reserve(request->events.size());
  request->cases.reserve(request->events.size());
  for (const PreparedEvent& p : request->events) {
    request->idempotency.emplace(p.idem_key(), std::nullopt);
    request->cases.emplace(p.event->case_id, std::nullopt);
  }
  if (Status s = multi_get(kIdempotency, request->idempotency); !s.ok()) return s;
  if (Status s = multi_get(kCases, request->cases); !s.ok()) return s;
  // Which recipients the build reads depends on the cases' recipient ids: read them last.
  for (std::string& key : RecipientKeysToRead(*request)) {
    request->recipients.emplace(std::move(key), std::nullopt);
  }
  return multi_get(kRecipients, request->recipients);
}

Status RocksStore::CommitGroup(const std::vector<Writer*>& group, uint64_t* accepted) {
  // Before anything is read or numbered: a reopen may bring back a group whose write
  // failed after its WAL append (Reopen).
  if (write_failed_.load()) {
    if (Status s = Reopen(); !s.ok()) return s;
  }
  const uint64_t gen = ++last_gen_;
  size_t events = 0;
  size_t requests = 0;
  for (const Writer* w : group) {
    events += w->events;
    requests += w->request != nullptr;
  }
  // Roughly what a typical event's five puts take, so the batch rarely regrows.
  BatchSink sink(cfs_, std::min<size_t>(events, 1 << 14) * 1024);
  Committed fresh(*this);
  GroupBuilder builder(fresh, recent_writes_, gen, last_seq_.load() + 1, clock_.NowMicros(), sink);
  for (Writer* w : group) {
    if (w->request == nullptr) continue;
    Result<std::vector<AppendOutcome>> r = builder.AddRequest(*w->request);
    if (r.ok()) {
      w->outcomes = std::move(r).value();
    } else {
      w->status = r.status();
    }
  }
  groups_.fetch_add(1, std::memory_order_relaxed);
  requests_.fetch_add(requests, std::memory_order_relaxed);
  events_.fetch_add(events, std::memory_order_relaxed);
  rebuilt_.fetch_add(builder.rebuilt(), std::memory_order_relaxed);
  // Only duplicates, conflicts or failed requests: nothing new to make durable (every
  // original was synced by the group that wrote it).
  if (builder.accepted() == 0) return Status::Ok();
  Status s = WriteGroup(sink);
  // Published after the write whether or not it succeeded: a failed write changed
  // nothing, so the keys this group marked are merely re-read needlessly.
  published_gen_.store(gen, std::memory_order_release);
  if (!s.ok()) return s;
  *accepted = builder.accepted();
  return Status::Ok();
}

Status RocksStore::WriteGroup(BatchSink& sink) {
  static_assert(static_cast<size_t>(StoreColumn::kEvents) == kEvents &&
                static_cast<size_t>(StoreColumn::kCases) == kCases &&
                static_cast<size_t>(StoreColumn::kCaseEvents) == kCaseEvents &&
                static_cast<size_t>(StoreColumn::kRecipients) == kRecipients &&
                static_cast<size_t>(StoreColumn::kIdempotency) == kIdempotency &&
                static_cast<size_t>(StoreColumn::kMeta) == kMeta);
  if (!sink.status().ok()) {
    return Status::Internal("store: building the write batch: " + sink.status().ToString());
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Write(wo, &sink.batch());
  if (!s.ok()) {
    write_failed_.store(true);
    return Status::Unavailable("store: write failed, storage is not accepting writes: " +
                               s.ToString());
  }
  write_failed_.store(false);
  uint64_t bg_errors = 0;
  db_->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &bg_errors);
  background_errors_seen_.store(bg_errors);
  return Status::Ok();
}

// The way back after a failed write (rocks_recovery.h: DB::Resume is unsafe in RocksDB
// 7.8). Leader only. Once a probe file can be written and synced, closes the database and
// opens it again, holding db_mu_ exclusively so no reader uses the old handles. The open
// replays the WAL, which may hold a group whose append went through but whose sync failed
// (its callers got Unavailable): the last seq is read again from the log, and every
// request prepared before the reopen is rebuilt against the reopened database (the
// generation floor). A failed open leaves no database: reads answer Unavailable and the
// next leader tries again.
Status RocksStore::Reopen() {
  rocksdb::Env* env = options_.faults ? options_.faults->env() : rocksdb::Env::Default();
  if (Status p = ProbeWritable(env, options_.path, "store"); !p.ok()) return p;
  std::unique_lock<std::shared_mutex> lock(db_mu_);
  CloseRocksDb(&db_, &cfs_);
  if (Status s = OpenDb(); !s.ok()) {
    CloseRocksDb(&db_, &cfs_);
    return Status::Unavailable("store: reopening the database after a failed write: " +
                               s.ToString());
  }
  const uint64_t gen = ++last_gen_;
  recent_writes_.InvalidateBefore(gen);
  published_gen_.store(gen, std::memory_order_release);
  write_failed_.store(false);
  return Status::Ok();
}

RocksStore::AppendCounters RocksStore::Counters() const {
  AppendCounters c;
  c.groups = groups_.load(std::memory_order_relaxed);
  c.requests = requests_.load(std::memory_order_relaxed);
  c.rebuilt = rebuilt_.load(std::memory_order_relaxed);
  c.events = events_.load(std::memory_order_relaxed);
  c.leader_micros = leader_micros_.load(std::memory_order_relaxed);
  return c;
}

void RocksStore::SetAfterPrepareHookForTesting(std::function<void()> hook) {
  after_prepare_hook_ = std::move(hook);
}

}  // namespace herald
