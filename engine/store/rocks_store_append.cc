// RocksStore::Append: the writer queue and group commit, after LevelDB's DBImpl::Write.
//
// Callers enqueue a Writer and wait. The writer at the front of the queue is the leader:
// it takes the queued writers (up to max_group_events), releases the mutex, builds their
// requests in queue order into one batch (GroupBuilder), writes it with one WAL write
// (synced when options_.sync_writes), then retakes the mutex, publishes the new last
// seq, hands each follower its outcome, and wakes the next leader. Only the leader
// touches the committed case/idempotency/recipient records and next seq, so building
// without the mutex is safe and new callers can enqueue meanwhile.
#include <exception>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "engine/store/group_builder.h"
#include "engine/store/keys.h"
#include "engine/store/records.h"
#include "engine/store/rocks_store.h"

namespace herald {
namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

struct RocksStore::Writer {
  std::string_view key_id;
  const std::vector<Event>* events = nullptr;
  Status status;                        // the request's (or the group write's) error
  std::vector<AppendOutcome> outcomes;  // valid when status is OK
  bool done = false;                    // set by the leader, under mu_
  std::condition_variable cv;
};

// The committed state as GroupBuilder reads it. Only the leader writes these families,
// and the previous group's write finished before this leader started, so plain reads
// see everything committed.
class RocksStore::Committed final : public CommittedState {
 public:
  explicit Committed(RocksStore& store) : store_(store) {}

  Result<std::optional<IdempotencyEntry>> FindIdempotency(const std::string& key) override {
    std::string value;
    Status s = Get(kIdempotency, key, &value);
    if (s.IsNotFound()) return std::optional<IdempotencyEntry>();
    if (!s.ok()) return s;
    Result<IdempotencyEntry> e = DecodeIdempotencyEntry(value);
    if (!e.ok()) return e.status();
    return std::optional<IdempotencyEntry>(std::move(e).value());
  }

  Result<std::optional<CaseRecord>> FindCase(const std::string& case_id) override {
    std::string value;
    Status s = Get(kCases, case_id, &value);
    if (s.IsNotFound()) return std::optional<CaseRecord>();
    if (!s.ok()) return s;
    Result<CaseRecord> c = DecodeCaseRecord(value);
    if (!c.ok()) return c.status();
    return std::optional<CaseRecord>(std::move(c).value());
  }

  Result<std::optional<Recipient>> FindRecipient(const std::string& key) override {
    std::string value;
    Status s = Get(kRecipients, key, &value);
    if (s.IsNotFound()) return std::optional<Recipient>();
    if (!s.ok()) return s;
    Result<Recipient> r = DecodeRecipient(value);
    if (!r.ok()) return r.status();
    return std::optional<Recipient>(std::move(r).value());
  }

 private:
  Status Get(Cf cf, const std::string& key, std::string* value) {
    rocksdb::Status s = store_.db_->Get(rocksdb::ReadOptions(), store_.cfs_[cf], key, value);
    if (s.ok()) return Status::Ok();
    if (s.IsNotFound()) return Status::NotFound(key);
    return Status::IOError("store: reading committed state failed: " + s.ToString());
  }

  RocksStore& store_;
};

Result<std::vector<AppendOutcome>> RocksStore::Append(std::string_view key_id,
                                                      const std::vector<Event>& events) {
  if (events.empty()) return std::vector<AppendOutcome>{};
  Writer w;
  w.key_id = key_id;
  w.events = &events;

  std::unique_lock<std::mutex> lock(mu_);
  if (closing_) return Status::Unavailable("store: closing");
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (!w.done) {
    // Leader: take a group, build and write it without holding the mutex.
    std::vector<Writer*> group;
    size_t group_events = 0;
    for (Writer* x : writers_) {
      if (!group.empty() && group_events + x->events->size() > options_.max_group_events) break;
      group.push_back(x);
      group_events += x->events->size();
    }
    lock.unlock();
    uint64_t accepted = 0;
    Status s;
    try {
      s = CommitGroup(group, &accepted);
    } catch (const std::exception& ex) {  // e.g. bad_alloc: fail the group, not the process
      s = Status::Internal(std::string("store: append failed: ") + ex.what());
    }
    lock.lock();
    if (s.ok()) last_seq_.store(last_seq_.load() + accepted);
    for (Writer* x : group) {
      writers_.pop_front();        // the group is the front of the queue, in order
      if (!s.ok()) x->status = s;  // nothing of the group was written
      x->done = true;
      if (x != &w) x->cv.notify_one();
    }
    if (!writers_.empty()) {
      writers_.front()->cv.notify_one();
    } else {
      idle_cv_.notify_all();
    }
  }
  if (!w.status.ok()) return w.status;
  return std::move(w.outcomes);
}

Status RocksStore::CommitGroup(const std::vector<Writer*>& group, uint64_t* accepted) {
  Committed committed(*this);
  GroupBuilder builder(committed, last_seq_.load() + 1, clock_.NowMicros());
  for (Writer* w : group) {
    Result<std::vector<AppendOutcome>> r = builder.AddRequest(w->key_id, *w->events);
    if (r.ok()) {
      w->outcomes = std::move(r).value();
    } else {
      w->status = r.status();
    }
  }
  std::vector<PendingWrite> writes = builder.TakeWrites();
  // Only duplicates, conflicts or failed requests: nothing new to make durable (every
  // original was synced by the group that wrote it).
  if (writes.empty()) return Status::Ok();
  Status s = WriteGroup(writes);
  if (!s.ok()) return s;
  *accepted = builder.accepted();
  return Status::Ok();
}

Status RocksStore::WriteGroup(const std::vector<PendingWrite>& writes) {
  // PendingWrite::column indexes cfs_ directly.
  static_assert(static_cast<size_t>(StoreColumn::kEvents) == kEvents &&
                static_cast<size_t>(StoreColumn::kCases) == kCases &&
                static_cast<size_t>(StoreColumn::kCaseEvents) == kCaseEvents &&
                static_cast<size_t>(StoreColumn::kRecipients) == kRecipients &&
                static_cast<size_t>(StoreColumn::kIdempotency) == kIdempotency &&
                static_cast<size_t>(StoreColumn::kMeta) == kMeta);
  if (Status s = RecoverIfNeeded(); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  for (const PendingWrite& w : writes) {
    rocksdb::Status s =
        batch.Put(cfs_[static_cast<size_t>(w.column)], ToSlice(w.key), ToSlice(w.value));
    if (!s.ok()) return Status::Internal("store: building the write batch: " + s.ToString());
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Write(wo, &batch);
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

Status RocksStore::RecoverIfNeeded() {
  if (!write_failed_.load()) return Status::Ok();
  // After a failed write RocksDB stops taking writes until the error is cleared; Resume
  // retries the failed flush/WAL sync and succeeds once the cause (disk full) is gone.
  rocksdb::Status s = db_->Resume();
  if (!s.ok()) {
    return Status::Unavailable("store: storage is not accepting writes: " + s.ToString());
  }
  return Status::Ok();
}

}  // namespace herald
