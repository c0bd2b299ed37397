// RocksMessageStore: the MessageStore (engine/dispatch/message_store.h) on its own RocksDB
// database (data/messages).
//
// Column families: messages (id -> the state), bodies (id -> the rendering, written only
// by whole puts), ready (BE(next_attempt_at) id -> ""),
// provider (KS(connector) KS(provider_id) -> id), case_messages (KS(case_id) id -> ""),
// callbacks (BE(seq) -> callback), meta (format version, secret, outbox cursor, callback
// seq). Commit reads the stored states of the messages it puts (one MultiGet) and
// derives the ready, provider and case entries from old and new, so the invariants of
// MessageStore hold whatever the caller passes. The ready family is a queue like the
// schedule store's timers: time-ordered keys, bounded iterators, compaction of files
// that are mostly tombstones.
//
// After a failed write (disk full, read-only) every write answers Unavailable until the
// disk takes a synced write again; the next Commit then closes and reopens the database
// (rocks_recovery.h: RocksDB 7.8 cannot safely Resume), so dispatch resumes without a
// restart. A batch whose write failed may come back with the reopen (its WAL append went
// through, its sync did not): callers treat a failed Commit as "maybe written", which
// dispatch does (a claim that came back is sent again after its lease, recorded so).
//
// Thread safety: every method may be called concurrently; the destructor must not race
// with other calls. RocksDB types never appear here.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/dispatch/message_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace herald {

class StorageFaults;  // fault_env.h

struct MessageStoreOptions {
  std::string path;         // created (with parents) when missing
  bool sync_writes = true;  // only tests and benchmarks turn it off
  size_t block_cache_bytes = 16 << 20;
  // Non-empty: used as the secret instead of the random one stored with the data, so ids
  // repeat from run to run (`herald simulate`'s scratch store; never for serve).
  std::string fixed_secret;
  // Tests only: a switchable disk fault (fault_env.h) under every file the store writes.
  std::shared_ptr<StorageFaults> faults;
};

class RocksMessageStore final : public MessageStore {
 public:
  // Errors as RocksScheduleStore::Open: InvalidArgument (empty path, another database),
  // Unavailable (locked), IOError, Corruption (damaged or unknown format).
  static Result<std::unique_ptr<RocksMessageStore>> Open(const MessageStoreOptions& options);
  ~RocksMessageStore() override;
  RocksMessageStore(const RocksMessageStore&) = delete;
  RocksMessageStore& operator=(const RocksMessageStore&) = delete;

  const std::string& Secret() const override { return secret_; }
  Result<uint64_t> OutboxCursor() override;
  Result<std::optional<Message>> Get(std::string_view id) override;
  Result<std::vector<std::optional<Message>>> GetMany(const std::vector<std::string>& ids) override;
  Result<std::vector<std::optional<Message>>> GetStates(
      const std::vector<std::string>& ids) override;
  Result<std::vector<std::optional<MessageBody>>> GetBodies(
      const std::vector<std::string>& ids) override;
  Result<std::optional<Message>> FindByProvider(std::string_view connector,
                                                std::string_view provider_id) override;
  Result<std::vector<std::string>> MessagesForCase(std::string_view case_id) override;
  Result<std::vector<Message>> ReadyStates(Micros now, size_t limit) override;
  Result<std::optional<Micros>> NextReady() override;
  Result<size_t> ReadyCount() override;
  Result<std::vector<StatusCallback>> DueCallbacks(Micros now, size_t limit) override;
  Status Commit(const MessageBatch& batch) override;

  // Compacts every family (tests of retention; benchmarks).
  Status CompactAll();

  // Retention (`retention.pii`): for every settled message (IsSettled) created before
  // `cutoff`, deletes its rendering (subject, MIME, text, SMS) and clears its address, and
  // redacts addresses and phone numbers a gateway may have quoted in its reason and
  // history; then compacts the two families so the bytes leave the files. Messages still
  // queued or sending keep theirs (they have yet to be sent). Returns how many messages it
  // changed. Safe beside every other call; a full scan of message states, so meant for a
  // periodic job (engine/cli's retention worker), not a request path.
  Result<size_t> PurgePersonalData(Micros cutoff);

 private:
  enum Cf : size_t {
    kMessages,
    kReady,
    kProvider,
    kCaseMessages,
    kCallbacks,
    kMeta,
    kBodies,
    kDefault
  };

  explicit RocksMessageStore(MessageStoreOptions options) : options_(std::move(options)) {}
  Status OpenDb();
  Status LoadState();
  Status LoadCounters();  // commit_mu_ held (or no other thread yet)
  // Closes and reopens the database after a failed write, once the disk takes writes.
  Status Reopen();
  // Takes db_mu_ shared for a read, reopening first when a failed reopen left no
  // database. Unavailable when there is still none.
  Status LockForRead(std::shared_lock<std::shared_mutex>* lock);
  // These need db_mu_ held (shared), never take it themselves.
  Result<std::optional<std::string>> GetValue(Cf cf, std::string_view key, std::string_view what);
  Result<std::vector<std::string>> ReadyIds(Micros now, size_t limit);
  Result<std::vector<std::optional<Message>>> StatesOf(const std::vector<std::string>& ids);
  Result<std::vector<std::optional<MessageBody>>> BodiesOf(const std::vector<std::string>& ids);

  MessageStoreOptions options_;
  // db_ and cfs_ change only in Reopen, under db_mu_ held exclusively; every other use
  // holds it shared. Lock order: db_mu_, then commit_mu_. Null after a failed reopen.
  mutable std::shared_mutex db_mu_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::atomic<bool> write_failed_{false};  // a write failed: the next Commit reopens
  std::string secret_;
  std::mutex commit_mu_;
  uint64_t callback_seq_ = 0;  // guarded by commit_mu_
  size_t ready_count_ = 0;     // guarded by commit_mu_
  // A lower bound of the live keys in `ready` ("" at first): reads seek from it.
  std::string ready_floor_;         // guarded by commit_mu_
  uint64_t commit_generation_ = 0;  // guarded by commit_mu_
};

}  // namespace herald
