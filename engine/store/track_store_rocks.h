// RocksTrackStore: the TrackStore (engine/track/track_store.h) on its own RocksDB database
// (data/track).
//
// Column families (BE = 8-byte big-endian, times as BE(t XOR 2^63); KS = the
// order-preserving strings of schedule_codec.h; values: version byte 1 + JSON unless
// noted; track_codec.h has the exact layouts):
//
//   messages         message id -> dimensions, link table, sent/delivered times,
//                    recipient id, address hash
//   message_times    BE(created_at) id -> "" (not yet scrubbed by Purge)
//   events           id BE(at) BE(seq) -> raw event (kind, link, machine, reason, user
//                    agent, IP)
//   event_times      BE(at) BE(seq) -> id (Purge walks it)
//   marks            id type [status] -> BE(at) BE(seq) of the event that set it, or ""
//   counters         KS(campaign) dim BE(hour) KS(value)[KS(value2)] -> sparse counter row
//                    (merge operator)
//   preferences      recipient id -> RecipientPreferences
//   address_optouts  channel ":" HMAC(address) -> OptOut
//   last_sms         HMAC(phone) -> BE(created_at) id
//   meta             format_version, event_seq -> "1"; BE(n)
//
// Counter dims: A (all), R (rule), L (locale), C (channel), each one row per cohort hour and
// value, plus K (clicks per link) and X (failures by status and reason) under A only. Every
// write is one WriteBatch under one mutex (opens and clicks of distinct messages share one,
// RecordEngagement's group commit): a write reads the marks it needs, so unique
// counts are exact, and counters move with the events and marks that justify them.
// Addresses are hashed with HMAC-SHA256 under the secret (the message store's), so the
// same number is the same key and the number itself is never stored.
//
// After a failed write (disk full, read-only) the store takes no writes until the disk
// takes a synced write again; the next write then closes and reopens the database
// (rocks_recovery.h), as the other stores do. Reads meanwhile answer from the open
// database; after a failed reopen they answer Unavailable until a write reopens it.
//
// Thread safety: every method may be called concurrently; the destructor must not race.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/track/track_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace herald {

class StorageFaults;  // fault_env.h

struct TrackStoreOptions {
  std::string path;         // created (with parents) when missing
  std::string secret;       // MessageStore::Secret(): keys the address hashes (>= 16 bytes)
  bool sync_writes = true;  // registrations, statuses, unsubscribes, keywords, preferences
  // Opens and clicks: losing the last few on a crash is acceptable and they are the bulk.
  bool sync_engagement_writes = false;
  ClassifierOptions classifier;
  size_t block_cache_bytes = 16 << 20;
  // Tests only: a switchable disk fault (fault_env.h) under every file the store writes.
  std::shared_ptr<StorageFaults> faults;
};

class RocksTrackStore final : public TrackStore {
 public:
  // InvalidArgument (empty path, short secret, another database), Unavailable (locked),
  // IOError, Corruption (damaged or unknown format).
  static Result<std::unique_ptr<RocksTrackStore>> Open(const TrackStoreOptions& options);
  ~RocksTrackStore() override;
  RocksTrackStore(const RocksTrackStore&) = delete;
  RocksTrackStore& operator=(const RocksTrackStore&) = delete;

  Status RegisterMessage(const TrackedMessage& m) override;
  Status RegisterMessages(const std::vector<TrackedMessage>& messages) override;
  Status RecordStatuses(const std::vector<StatusChange>& changes) override;
  Result<std::optional<TrackedMessage>> GetMessage(std::string_view id) override;
  Status RecordStatus(std::string_view message_id, MessageStatus status, Micros at,
                      std::string_view reason) override;
  Result<EngagementResult> RecordEngagement(const EngagementInput& in) override;
  Result<std::vector<EngagementRecord>> Events(std::string_view message_id) override;
  Result<SmsKeywordResult> RecordSmsKeyword(const SmsKeywordInput& in) override;
  Result<std::optional<RecipientPreferences>> GetPreferences(
      std::string_view recipient_id) override;
  Status PutPreferences(const RecipientPreferences& p) override;
  Result<Suppression> CheckSuppression(std::string_view recipient_id, Channel channel,
                                       std::string_view address) override;
  // track_store_rocks_optouts.cc
  Result<std::optional<OptOut>> GetAddressOptOut(Channel channel,
                                                 std::string_view address) override;
  Result<std::optional<OptOut>> LiftAddressOptOut(Channel channel,
                                                  std::string_view address) override;
  Result<CampaignReport> Report(const ReportQuery& q) override;
  Result<PurgeStats> Purge(Micros cutoff) override;

  // Flushes and compacts every family (tests of retention; benchmarks).
  Status CompactAll();
  // The counters family's L0 files, memtable entries and compaction debt (benchmarks).
  std::string CountersStats();
  // Adds a counter delta directly (benchmarks that need millions of events' worth of rows).
  Status MergeCountersForTesting(std::string_view campaign, Micros hour_start,
                                 const std::string& rule, const std::string& locale,
                                 Channel channel, const CounterDelta& delta);

 private:
  enum Cf : size_t {
    kMessages,
    kMessageTimes,
    kEvents,
    kEventTimes,
    kMarks,
    kCounters,
    kPreferences,
    kAddressOptOuts,
    kLastSms,
    kMeta,
    kDefault,
  };
  struct Batch;  // one write (track_store_batch.h)
  struct EventEntry {
    Micros at = 0;
    uint64_t seq = 0;
    EngagementRecord record;
  };

  explicit RocksTrackStore(TrackStoreOptions options) : options_(std::move(options)) {}
  Status OpenDb();
  Status LoadEventSeq();
  // Takes db_mu_ shared (safe with or without write_mu_). Unavailable when a failed
  // reopen left no database.
  Result<std::optional<std::string>> GetValue(Cf cf, std::string_view key, std::string_view what);
  Result<std::optional<TrackedMessage>> LoadMessage(std::string_view id, std::string* address_hash);
  std::string AddressHash(Channel channel, std::string_view address) const;
  Status Write(Batch& b, bool sync);
  // Adds the registration of `m` to `b` (write_mu_ held); `last_sms` holds the last-SMS
  // entries this batch already set, by address hash, so two messages to one number in one
  // batch keep the later.
  Status AddRegistration(Batch& b, const TrackedMessage& m,
                         std::map<std::string, Micros>* last_sms);
  // Adds one status change to `b` (write_mu_ held). `cache` holds the messages this batch
  // already changed (with their address hash), `marks` the status marks it already set.
  // *found is false for a message never registered (nothing added).
  struct CachedMessage {
    TrackedMessage m;
    std::string hash;
  };
  Status AddStatus(Batch& b, const StatusChange& c, std::map<std::string, CachedMessage>* cache,
                   std::set<std::string>* marks, bool* found);
  // Records an event of `m` and its counters into `b` (write_mu_ held).
  Result<EngagementResult> AddEngagement(Batch& b, const TrackedMessage& m,
                                         const std::string& address_hash,
                                         const EngagementInput& in);
  // The message's events with at >= from, in time order.
  Result<std::vector<EventEntry>> ScanEvents(std::string_view id, Micros from);
  // After clicks (the events `moved`) became machine ones: moves or drops the unique marks
  // they had set.
  Status FixMarks(Batch& b, const TrackedMessage& m, const std::set<uint64_t>& moved);
  Status AddOptOut(Batch& b, const std::string& recipient_id, const std::string& address_hash,
                   const OptOut& o);
  Status RemoveOptOut(Batch& b, const std::string& recipient_id, const std::string& address_hash,
                      Channel channel);
  // RecordEngagement's group commit: the caller at the front of writers_ leads, takes the
  // writers behind it that cannot conflict with each other (distinct messages; an
  // unsubscribe, which also writes opt-outs, always alone), records them all in one batch
  // under write_mu_ and wakes them. Opens and clicks arrive from many HTTP threads at once;
  // one write per group instead of per event sums their counter deltas into one merge
  // operand per row and hands the lock over once.
  struct EngagementWriter;
  void CommitEngagements(const std::vector<EngagementWriter*>& group);

  // Takes write_mu_ for a write; after a failed write first reopens the database
  // (Reopen). On error nothing may be written and `lock` is released.
  Status LockForWrite(std::unique_lock<std::mutex>* lock);
  // Under write_mu_: once the disk takes a synced write, closes and reopens the database
  // holding db_mu_ exclusively, and reloads event_seq_ (the reopen may bring back a batch
  // whose sync failed). A failed open leaves no database.
  Status Reopen();

  TrackStoreOptions options_;
  // db_ and cfs_ change only in Reopen, which holds write_mu_ and db_mu_ exclusively. So a
  // thread holding write_mu_ uses them freely; reads outside write_mu_ hold db_mu_ shared.
  mutable std::shared_mutex db_mu_;
  rocksdb::DB* db_ = nullptr;  // null after a failed reopen
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::atomic<bool> write_failed_{false};  // the next write reopens the database
  std::mutex write_mu_;                    // serialises every write
  std::mutex queue_mu_;  // guards writers_ (never held while waiting for write_mu_)
  std::deque<EngagementWriter*> writers_;
  uint64_t event_seq_ = 0;  // guarded by write_mu_
};

}  // namespace herald
