// RocksStore: the embedded EventLog / CaseStore / CursorStore on RocksDB.
//
// One RocksDB database in StoreOptions::path with six column families (see README.md):
// events, cases, case_events, recipients, idempotency, meta. Appends go through a
// LevelDB-style writer queue: concurrent Append callers enqueue, the caller at the front
// becomes the leader, builds every queued request into one WriteBatch and writes it with
// a single (synced) WAL write, then wakes the others with their outcomes. Each caller
// prepares its request on its own thread before enqueueing (encoding, prefetching and
// folding against the committed state; group_builder.h), so the leader's serial work is
// mostly validating those reads and copying bytes into the batch.
//
// Thread safety: every method may be called from any thread concurrently, except that
// the destructor must not race with other calls (call Close() first, then let in-flight
// callers return). RocksDB types never appear here; only engine/store includes RocksDB.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/store/event_log.h"
#include "engine/store/recent_writes.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace herald {

struct PreparedRequest;  // group_builder.h
class StorageFaults;     // fault_env.h

struct StoreOptions {
  std::string path;  // data directory; created (with parents) when missing
  // Production: fsync the WAL once per write group before Append returns. Only tests and
  // benchmarks turn it off (a crash may then lose acknowledged events).
  bool sync_writes = true;
  size_t block_cache_bytes = 64 << 20;   // shared by all column families
  size_t write_buffer_bytes = 64 << 20;  // memtable size of the events column family
  // Upper bound on events per write group, so one leader does not hold many callers
  // behind a huge batch. A single request larger than this still goes in one group.
  size_t max_group_events = 4096;
  // Tests only: a switchable disk fault (fault_env.h) under every file the store writes.
  std::shared_ptr<StorageFaults> faults;
};

class RocksStore final : public EventLog, public CaseStore, public CursorStore {
 public:
  // Opens (creating when missing) the store in options.path. `clock` must outlive the
  // store. Errors: Unavailable when another process (or another RocksStore in this
  // process) holds the directory's lock; IOError when the directory cannot be created or
  // read (permissions); Corruption when the data is damaged or from an unknown format.
  static Result<std::unique_ptr<RocksStore>> Open(const StoreOptions& options, const Clock& clock);

  ~RocksStore() override;
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // EventLog. Append's received_at is clock.NowMicros() when the group is built.
  Result<std::vector<AppendOutcome>> Append(std::string_view key_id,
                                            const std::vector<Event>& events) override;
  // Returns only events up to LastSequence(), so a consumer never sees an event from a
  // write whose Append has not been published yet.
  Result<std::vector<StoredEvent>> ReadAfter(uint64_t after, size_t limit) override;
  uint64_t LastSequence() const override;

  // CaseStore.
  Result<CaseRecord> GetCase(std::string_view case_id) override;
  Result<std::vector<StoredEvent>> CaseHistory(std::string_view case_id, uint64_t after,
                                               size_t limit) override;
  Result<Recipient> GetRecipient(std::string_view recipient_id) override;

  // CursorStore. SaveCursor is written with the same sync setting as appends.
  // SaveCursor returns InvalidArgument for an empty name or seq > LastSequence().
  Result<uint64_t> LoadCursor(std::string_view consumer) override;
  Status SaveCursor(std::string_view consumer, uint64_t seq) override;

  // Health and size; cheap enough for every /readyz and /metrics scrape. After a failed
  // write, `writable` says whether the disk takes a synced write again (a probe file):
  // the next write then reopens the database (below), so /readyz lets traffic back in.
  StoreStats Stats() const;

  // After a failed write: reopens the database through the writer queue once the disk
  // takes writes again (rocks_recovery.h), so appends and cursors work again without a
  // restart. OK when nothing failed. Appends and SaveCursor call it themselves; a
  // worker with nothing to write may call it to recover sooner.
  Status RecoverWrites();

  // How appends went through the group commit, for tests and diagnostics.
  struct AppendCounters {
    uint64_t groups = 0;    // group commits led (including ones with nothing to write)
    uint64_t requests = 0;  // requests taken by a leader
    uint64_t rebuilt = 0;   // requests the leader rebuilt because what they read changed
    uint64_t events = 0;    // events in those requests
    // Clock::MonotonicMicros the leaders spent building and writing their groups: the
    // serial section of ingest, which bounds its throughput.
    uint64_t leader_micros = 0;
  };
  AppendCounters Counters() const;

  // Test hook: runs on the calling thread of every Append after the request was prepared
  // against the committed state and before it joins the writer queue, so a test can
  // commit a conflicting change in between. Set it before appending concurrently.
  void SetAfterPrepareHookForTesting(std::function<void()> hook);

  // Compacts every column family fully (blocks until done). For retention work and
  // tests; not needed in normal operation.
  Status CompactAll();

  // Retention (`retention.pii`; rocks_store_purge.cc). Redacts the events received
  // (received_at, the store's clock at acceptance) before `cutoff`: each is rewritten
  // without `data` and with only its recipient's id, flagged redacted (reads return
  // StoredEvent::redacted), then every family is flushed and the redacted range of
  // `events` compacted so the old bytes leave the WAL and table files. Ids, type, case
  // id, times, seq and key id stay; `cases`, `recipients`, `case_events` and
  // `idempotency` are not touched, so case state, counts, idempotency (the entries keep
  // the original fingerprint: a repost is still a duplicate, or a conflict) and seqs
  // are unchanged.
  //
  // Redaction only moves forward through the log, from a persisted cursor (meta
  // `retention/redacted_through`): it stops at the first event received at or after
  // `cutoff` (receive times follow the wall clock, which may step back, so stopping there
  // is conservative), after `consumed_through` (how far consumers outside this store, the
  // rule engine's cursor in the schedule store, have read) and after the lowest cursor
  // saved here with SaveCursor, so no consumer reads an event redacted before it was
  // processed (so the cursor of a consumer that no longer runs holds retention back).
  // Everything up to RedactedThrough() is redacted; nothing after it is.
  //
  // Writes go in chunks of 1000 events, each one WriteBatch with the cursor, each
  // holding db_mu_ shared (never across chunks), so appends proceed meanwhile; they touch
  // only `events` values at or below LastSequence() and `meta` keys of their own, which
  // the group-commit leader never reads. A failed write returns Unavailable and makes the
  // next write reopen the database, like SaveCursor. Concurrent calls are serialized.
  struct EventPurge {
    size_t redacted = 0;            // events rewritten by this call
    uint64_t redacted_through = 0;  // the cursor after it
  };
  Result<EventPurge> PurgePersonalData(Micros cutoff, uint64_t consumed_through);
  // The seq through which the log is redacted (0: nothing yet).
  Result<uint64_t> RedactedThrough();

  // Stops accepting appends (later calls return Unavailable) and waits until the queued
  // ones finished. Reads keep working until destruction. Idempotent.
  void Close();

 private:
  struct Writer;
  class Committed;
  // Column family handles, indexed like StoreColumn; RocksDB's mandatory "default" column
  // family is opened last and left empty.
  enum Cf : size_t { kEvents, kCases, kCaseEvents, kRecipients, kIdempotency, kMeta, kDefault };

  RocksStore(const StoreOptions& options, const Clock& clock);
  Status OpenDb();
  // Takes `w` through the writer queue (leading a group when at its front); returns its
  // status. A writer without a request only makes its leader recover.
  Status Enqueue(Writer& w);
  // Leader only: closes and reopens the database after a failed write (Reopen's comment
  // in rocks_store_append.cc).
  Status Reopen();
  // Takes db_mu_ shared for a read, reopening first when a failed reopen left no
  // database. Unavailable when there is still none.
  Status LockForRead(std::shared_lock<std::shared_mutex>* lock);
  class BatchSink;
  // Caller's thread: encodes the request, reads the committed records it needs and builds
  // it against them (group_builder.h).
  Status Prepare(std::string_view key_id, const std::vector<Event>& events,
                 PreparedRequest* request);
  Status Prefetch(PreparedRequest* request);
  // Leader only, without mu_: builds and writes one group; on success sets `accepted`.
  Status CommitGroup(const std::vector<Writer*>& group, uint64_t* accepted);
  Status WriteGroup(BatchSink& batch);
  // Retention helpers (rocks_store_purge.cc); callers hold db_mu_ shared.
  Result<uint64_t> ReadMetaSeq(std::string_view key);
  Result<uint64_t> LowestConsumerCursor();
  // Redacts up to `limit` events after `from` and up to `bound` received before `cutoff`,
  // in one write with the cursor. Sets *through to the cursor written, *stop when it met
  // an event received at or after the cutoff.
  Status RedactChunk(Micros cutoff, uint64_t from, uint64_t bound, size_t* redacted,
                     uint64_t* through, bool* stop);
  // Flushes every family and compacts `events` over (from, through].
  Status CompactRedacted(uint64_t from, uint64_t through);

  const StoreOptions options_;
  const Clock& clock_;
  // db_ and cfs_ change only in Reopen, which the leader runs holding db_mu_ exclusively;
  // every other thread reads through them holding db_mu_ shared (the leader needs no lock:
  // no one else reopens). Null after a reopen that failed: reads answer Unavailable.
  mutable std::shared_mutex db_mu_;
  rocksdb::DB* db_ = nullptr;                      // owned; deleted after the handles
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;  // indexed by Cf

  std::mutex mu_;                    // guards writers_ and closing_
  std::deque<Writer*> writers_;      // the queue; front is the leader
  std::condition_variable idle_cv_;  // signalled when writers_ empties (for Close)
  bool closing_ = false;
  std::atomic<bool> closed_{false};  // closing_, readable without mu_ (Stats)

  // Written only by the leader (after a successful write); read by anyone.
  std::atomic<uint64_t> last_seq_{0};
  // The generation of the last group whose write finished (successfully or not): every
  // group gets the next generation, and a caller that reads committed state after loading
  // published_gen_ = g sees at least everything groups up to g wrote.
  std::atomic<uint64_t> published_gen_{0};
  // Leader only (leadership passes under mu_): the last generation handed out, and the
  // keys recent groups wrote, to validate what callers prefetched.
  uint64_t last_gen_ = 0;
  RecentWrites recent_writes_;
  std::atomic<uint64_t> groups_{0}, requests_{0}, rebuilt_{0}, events_{0}, leader_micros_{0};
  std::function<void()> after_prepare_hook_;
  // Set when a write failed; the next leader reopens the database first (Reopen).
  std::atomic<bool> write_failed_{false};
  std::mutex purge_mu_;  // one PurgePersonalData at a time (it owns the retention cursors)
  // RocksDB's cumulative background-error count at the last successful write: a higher
  // count means a flush or compaction failed since (Stats reports not writable).
  std::atomic<uint64_t> background_errors_seen_{0};
};

}  // namespace herald
