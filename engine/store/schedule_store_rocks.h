// RocksScheduleStore: the ScheduleStore (engine/schedule/schedule_store.h) on its own
// RocksDB database.
//
// Column families (layouts in README.md and schedule_codec.h): plans, timers, outbox,
// outbox_queue, cases, sends, records, meta. The timers family is a queue in the sense of
// RocksDB's "Implement Queue Service Using RocksDB": keys in fire order, deletes at the
// head. A deleted key stays as a tombstone until compaction, and a scan from the start of
// the family would step over all of them, so the store remembers the first live timer
// key and seeks from there, and the family compacts files that are mostly tombstones.
//
// Commit builds one WriteBatch and writes it once (synced when sync_writes); commits are
// serialised by a mutex (the rule engine and the timer firer are the only writers, so
// there is no group commit). Counters (last queue_seq, record and send numbers, pending
// timers) live in `meta` and change in the same batch; memory follows only after the write
// succeeded, so a failed Commit leaves both the database and memory as they were.
//
// Thread safety: every method may be called concurrently from any thread; the destructor
// must not race with other calls. RocksDB types never appear here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/schedule/schedule_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
struct ReadOptions;
}  // namespace rocksdb

namespace herald {

class StorageFaults;  // fault_env.h

struct ScheduleStoreOptions {
  std::string path;  // data directory; created (with parents) when missing
  // Production: Commit returns only after its write is fsynced. Only tests and
  // benchmarks turn it off (a crash may then lose acknowledged commits).
  bool sync_writes = true;
  size_t block_cache_bytes = 16 << 20;  // shared by all column families
  // Tests only: a switchable disk fault (fault_env.h) under every file the store writes.
  std::shared_ptr<StorageFaults> faults;
};

class RocksScheduleStore final : public ScheduleStore {
 public:
  // Opens (creating when missing) the store in options.path. `clock` must outlive the
  // store. Errors: InvalidArgument for an empty path or a directory holding some other
  // RocksDB database (the event log's, say); Unavailable when another process or store
  // holds the directory's lock; IOError when it cannot be created or read; Corruption
  // when the data is damaged or from an unknown format.
  static Result<std::unique_ptr<RocksScheduleStore>> Open(const ScheduleStoreOptions& options,
                                                          const Clock& clock);

  ~RocksScheduleStore() override;
  RocksScheduleStore(const RocksScheduleStore&) = delete;
  RocksScheduleStore& operator=(const RocksScheduleStore&) = delete;

  Result<uint64_t> Cursor() override;
  Result<std::optional<CaseView>> GetCase(std::string_view case_id) override;
  Result<std::optional<Plan>> GetPlan(const PlanKey& key) override;
  // One MultiGet.
  Result<std::vector<std::optional<Plan>>> GetPlans(const std::vector<PlanKey>& keys) override;
  // Ordered by PlanKey (campaign, then rule), as std::string compares.
  Result<std::vector<Plan>> PlansForCase(std::string_view case_id) override;
  // Ties are in PlanKey order. Negative fire times are allowed and sort first.
  Result<std::vector<TimerEntry>> DueTimers(Micros now, size_t limit) override;
  Result<std::optional<TimerEntry>> NextTimer() override;
  Result<size_t> PendingTimerCount() override;
  // Two sends at the same instant are both returned.
  Result<std::vector<Micros>> SendTimes(std::string_view recipient_id, std::string_view campaign,
                                        Micros since) override;
  Result<std::optional<OutboxIntent>> GetIntent(std::string_view key) override;
  Result<std::vector<OutboxIntent>> OutboxAfter(uint64_t after, size_t limit) override;
  Result<std::vector<PlanRecord>> RecordsForCase(std::string_view case_id) override;
  // The pending plans from one snapshot: the timers family (every pending plan has a
  // timer; `plans` keeps every done and cancelled plan forever and is not scanned), from
  // the head, with the plans read back in MultiGet chunks. Then the outbox part as the
  // default does it. Holds db_mu_ shared per part, not across both.
  Result<uint64_t> LowestNeededEventSeq(uint64_t outbox_after) override;

  // Details of the contract:
  //  - InvalidArgument, and nothing written, for a batch ValidateScheduleBatch refuses
  //    (schedule_codec.h: an empty id a key is built from, an occurrence below 1, a plan
  //    status out of range).
  //  - put_plans and put_cases: a later entry for the same key wins.
  //  - remove_timers is applied before add_timers, so a pair in both stays. Removing a
  //    timer that does not exist and adding one that does are no-ops.
  //  - put_outbox: an intent whose key is already stored, or appeared earlier in the same
  //    batch, is dropped (the stored one is kept unchanged); the others get queue_seq =
  //    the last one assigned + 1, in batch order. The caller's queue_seq is ignored.
  //  - Unavailable when the write failed; memory (head of the timer queue, counters) is
  //    then unchanged. After a failed write the next Commit first closes and reopens the
  //    database once the disk takes writes again (rocks_recovery.h; until then it answers
  //    Unavailable). The failed batch may come back with the reopen (its WAL append went
  //    through, its sync did not): memory is reloaded from what the reopen finds.
  //  - IOError or Corruption when reading what the batch must check (existing intents and
  //    timers) failed.
  Status Commit(const ScheduleBatch& batch) override;

  // Test hook: runs inside Commit after the batch was built and checked and just before
  // it is written, on the committing thread (which holds the commit mutex: the hook may
  // read the store but must not Commit). Set it before committing concurrently.
  void SetBeforeWriteHookForTesting(std::function<void()> hook);

 private:
  // Column family handles, in the order Open creates them; RocksDB's mandatory "default"
  // family comes last and stays empty.
  enum Cf : size_t {
    kPlans,
    kTimers,
    kOutbox,
    kOutboxQueue,
    kCases,
    kSends,
    kRecords,
    kMeta,
    kDefault
  };
  struct Counters {
    uint64_t last_queue_seq = 0;
    uint64_t records = 0;
    uint64_t sends = 0;
    uint64_t pending_timers = 0;
  };

  RocksScheduleStore(const ScheduleStoreOptions& options, const Clock& clock);
  Status OpenDb();
  Status Reopen();  // commit_mu_ held
  // Takes db_mu_ shared for a read, reopening first when a failed reopen left no
  // database. Unavailable when there is still none.
  Status LockForRead(std::shared_lock<std::shared_mutex>* lock);
  Status LoadCounters();
  // The first live timer key at or after `from` ("" = the start), or nullopt.
  Result<std::optional<std::string>> FirstTimerKeyFrom(std::string_view from);
  // A timers iterator made with `ro`, and the key to seek it to, taken together under
  // head_mu_ (see head_); nullopt (and no iterator) when there are no timers.
  std::optional<std::string> NewTimerIterator(const rocksdb::ReadOptions& ro,
                                              std::unique_ptr<rocksdb::Iterator>* it);
  Result<std::optional<std::string>> GetValue(Cf cf, std::string_view key, std::string_view what);
  // Part (a) of LowestNeededEventSeq; db_mu_ held shared by the caller.
  Result<uint64_t> LowestPendingPlannedSeq();

  const ScheduleStoreOptions options_;
  const Clock& clock_;
  // db_ and cfs_ change only in Reopen, which holds commit_mu_ and then db_mu_
  // exclusively; readers hold db_mu_ shared, Commit holds commit_mu_. Null after a
  // failed reopen (reads answer Unavailable).
  mutable std::shared_mutex db_mu_;
  rocksdb::DB* db_ = nullptr;                      // owned; deleted after the handles
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;  // indexed by Cf

  // Serialises Commit; guards counters_, write_failed_ and before_write_hook_.
  std::mutex commit_mu_;
  Counters counters_;
  bool write_failed_ = false;
  std::function<void()> before_write_hook_;

  // A lower bound of the live timer keys: no live key sorts below head_, and nullopt means
  // there are none. Outside a Commit it is exactly the first live key. Commit lowers it
  // before writing a batch that adds a smaller key and raises it only after a write that
  // removed it, so a reader that copies head_ and creates its iterator under head_mu_ never
  // misses a timer its iterator can see. Written only by Commit (under commit_mu_ too).
  std::mutex head_mu_;
  std::optional<std::string> head_;
};

}  // namespace herald
