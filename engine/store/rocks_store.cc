// RocksStore: opening, reads, cursors and stats. Appends (the writer queue and group
// commit) are in rocks_store_append.cc.
#include "engine/store/rocks_store.h"

#include "engine/store/fault_env.h"
#include "engine/store/rocks_recovery.h"
#include "engine/store/rocks_status.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <thread>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>

#include "engine/store/keys.h"
#include "engine/store/records.h"

namespace herald {
namespace {

// The value encodings of records.h. Version 1 (CBOR values, seq inside the event) is not
// read: it was never deployed.
constexpr std::string_view kFormatVersion = "2";

// Column family names, indexed like RocksStore::Cf.
const char* const kCfNames[] = {
    "events",      "cases", "case_events", "recipients",
    "idempotency", "meta",  "default"};  // RocksDB's mandatory family; kept empty

Status ReadError(const rocksdb::Status& s, std::string_view what) {
  return RocksReadError(s, "store", what);
}

Status OpenError(const rocksdb::Status& s, const std::string& path) {
  return RocksOpenError(s, "store", path);
}

Status Reopening() {
  return Status::Unavailable("store: the database is being reopened after a storage fault");
}

}  // namespace

RocksStore::RocksStore(const StoreOptions& options, const Clock& clock)
    : options_(options), clock_(clock) {}

Result<std::unique_ptr<RocksStore>> RocksStore::Open(const StoreOptions& options,
                                                     const Clock& clock) {
  if (options.path.empty()) return Status::InvalidArgument("store: no data directory given");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Status::IOError("store: cannot create data directory " + options.path + ": " +
                           ec.message());
  }
  std::unique_ptr<RocksStore> store(new RocksStore(options, clock));
  Status s = store->OpenDb();
  if (!s.ok()) return s;
  return store;
}

Status RocksStore::OpenDb() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(
      static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  // Six column families share one WAL; a WAL file is freed only when every family with
  // data in it has flushed. Bounding the total makes the rarely written ones (meta,
  // recipients) flush instead of pinning old WAL files forever.
  db_options.max_total_wal_size = 4 * options_.write_buffer_bytes;
  db_options.bytes_per_sync = 1 << 20;  // smooth out SST writeback
  db_options.keep_log_file_num = 10;    // RocksDB's own info LOG files
  // After a failed write the store reopens the database itself (rocks_recovery.h).
  db_options.listeners.push_back(NoAutoRecoveryListener());
  if (options_.faults) db_options.env = options_.faults->env();

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  auto table = [&](bool bloom) {
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    // Point-lookup families: most idempotency lookups miss, which a bloom filter answers
    // without reading a block.
    if (bloom) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // This RocksDB build computes CRC32c in software; XXH3 is several times cheaper for
    // the blocks flushes and compactions write and reads verify. (The WAL's records
    // always use CRC32c.)
    t.checksum = rocksdb::kXXH3;
    return std::shared_ptr<rocksdb::TableFactory>(rocksdb::NewBlockBasedTableFactory(t));
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i <= kDefault; ++i) {
    rocksdb::ColumnFamilyOptions cf;
    const bool point_lookups = i == kCases || i == kRecipients || i == kIdempotency;
    cf.table_factory = table(point_lookups);
    if (i == kEvents) {
      cf.write_buffer_size = options_.write_buffer_bytes;  // the bulk of the bytes
    } else if (i == kMeta || i == kDefault) {
      cf.write_buffer_size = 4 << 20;
    } else {
      cf.write_buffer_size = std::max<size_t>(options_.write_buffer_bytes / 4, 4 << 20);
    }
    descriptors.emplace_back(kCfNames[i], cf);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &db_);
  if (!s.ok()) {
    db_ = nullptr;
    return OpenError(s, options_.path);
  }
  cfs_ = std::move(handles);

  // Refuse data written in a format this build does not know.
  if (Status v = RocksCheckFormatVersion(db_, cfs_[kMeta], kFormatVersionKey, kFormatVersion,
                                         "store", options_.path);
      !v.ok()) {
    return v;
  }

  // Recover the sequence: the log is dense, so the last key is the last seq.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kEvents]));
  it->SeekToLast();
  if (it->Valid()) {
    std::optional<uint64_t> seq = DecodeSeq(View(it->key()));
    if (!seq) return Status::Corruption("store: malformed key in the events column family");
    last_seq_.store(*seq);
  } else if (!it->status().ok()) {
    return ReadError(it->status(), "the last event");
  }
  uint64_t bg_errors = 0;
  db_->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &bg_errors);
  background_errors_seen_.store(bg_errors);
  return Status::Ok();
}

// A failed reopen left no database: the read retries it first (through the writer queue),
// so reads come back without waiting for a write.
Status RocksStore::LockForRead(std::shared_lock<std::shared_mutex>* lock) {
  *lock = std::shared_lock<std::shared_mutex>(db_mu_);
  if (db_ != nullptr) return Status::Ok();
  lock->unlock();
  if (Status r = RecoverWrites(); !r.ok()) return r;
  lock->lock();
  return db_ != nullptr ? Status::Ok() : Reopening();
}

RocksStore::~RocksStore() {
  Close();
  CloseRocksDb(&db_, &cfs_);
}

void RocksStore::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  closing_ = true;
  closed_.store(true);
  idle_cv_.wait(lock, [&] { return writers_.empty(); });
}

uint64_t RocksStore::LastSequence() const {
  return last_seq_.load();
}

Result<std::vector<StoredEvent>> RocksStore::ReadAfter(uint64_t after, size_t limit) {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  const uint64_t last = last_seq_.load();
  std::vector<StoredEvent> out;
  if (limit == 0 || after >= last) return out;
  const uint64_t end = (last - after > limit) ? after + limit : last;  // inclusive
  out.reserve(end - after);

  const std::string lower = EncodeSeq(after + 1);
  const std::string upper = EncodeSeq(end + 1);  // end <= last < UINT64_MAX
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kEvents]));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    std::optional<uint64_t> seq = DecodeSeq(View(it->key()));
    if (!seq) return Status::Corruption("store: malformed key in the events column family");
    if (*seq != after + 1 + out.size()) {
      return Status::Corruption("store: the log has a gap before seq " + std::to_string(*seq));
    }
    Result<StoredEvent> e = DecodeStoredEvent(*seq, View(it->value()));
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  if (!it->status().ok()) return ReadError(it->status(), "events");
  if (out.size() != end - after) {
    return Status::Corruption("store: the log ends at seq " + std::to_string(after + out.size()) +
                              " but the last written seq is " + std::to_string(last));
  }
  return out;
}

Result<CaseRecord> RocksStore::GetCase(std::string_view case_id) {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[kCases], ToSlice(case_id), &value);
  if (s.IsNotFound()) return Status::NotFound("store: no case " + std::string(case_id));
  if (!s.ok()) return ReadError(s, "case");
  return DecodeCaseRecord(case_id, View(value));
}

Result<std::vector<StoredEvent>> RocksStore::CaseHistory(std::string_view case_id, uint64_t after,
                                                         size_t limit) {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  const uint64_t last = last_seq_.load();  // same published view as ReadAfter
  std::vector<StoredEvent> out;
  if (limit == 0 || after >= last) return out;

  const std::string prefix = CaseEventPrefix(case_id);
  const std::string lower = CaseEventKey(case_id, after + 1);
  // Every key of this case is prefix + 8 bytes, so this bound is above all of them and
  // below every key of any other case.
  const std::string upper = CaseEventKey(case_id, last) + '\0';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::vector<std::string> keys;
  std::vector<uint64_t> seqs;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kCaseEvents]));
  for (it->Seek(lower); it->Valid() && keys.size() < limit; it->Next()) {
    std::optional<uint64_t> seq = CaseEventSeq(View(it->key()), prefix);
    if (!seq) return Status::Corruption("store: malformed case_events key");
    keys.push_back(EncodeSeq(*seq));
    seqs.push_back(*seq);
  }
  if (!it->status().ok()) return ReadError(it->status(), "case history");
  if (keys.empty()) return out;

  std::vector<rocksdb::Slice> key_slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), cfs_[kEvents]);
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses =
      db_->MultiGet(rocksdb::ReadOptions(), families, key_slices, &values);
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      return Status::Corruption("store: case_events names seq " +
                                std::to_string(*DecodeSeq(keys[i])) + " which is not in the log");
    }
    if (!statuses[i].ok()) return ReadError(statuses[i], "case history event");
    Result<StoredEvent> e = DecodeStoredEvent(seqs[i], values[i]);
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  return out;
}

Result<Recipient> RocksStore::GetRecipient(std::string_view recipient_id) {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cfs_[kRecipients], ToSlice(recipient_id), &value);
  if (s.IsNotFound()) return Status::NotFound("store: no recipient " + std::string(recipient_id));
  if (!s.ok()) return ReadError(s, "recipient");
  return DecodeRecipient(View(value));
}

Result<uint64_t> RocksStore::LoadCursor(std::string_view consumer) {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cfs_[kMeta], ToSlice(CursorKey(consumer)), &value);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok()) return ReadError(s, "cursor");
  std::optional<uint64_t> seq = DecodeSeq(View(value));
  if (!seq) return Status::Corruption("store: malformed cursor " + std::string(consumer));
  return *seq;
}

Status RocksStore::SaveCursor(std::string_view consumer, uint64_t seq) {
  if (consumer.empty()) return Status::InvalidArgument("store: a cursor needs a name");
  if (seq > last_seq_.load()) {
    return Status::InvalidArgument("store: cursor " + std::string(consumer) + " at seq " +
                                   std::to_string(seq) + " is past the end of the log (" +
                                   std::to_string(last_seq_.load()) + ")");
  }
  if (Status r = RecoverWrites(); !r.ok()) return r;
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s =
      db_->Put(wo, cfs_[kMeta], ToSlice(CursorKey(consumer)), ToSlice(EncodeSeq(seq)));
  if (!s.ok()) {
    write_failed_.store(true);  // the database takes no writes now: the next one reopens it
    return Status::Unavailable("store: saving cursor failed: " + s.ToString());
  }
  return Status::Ok();
}

StoreStats RocksStore::Stats() const {
  StoreStats stats;
  stats.last_seq = last_seq_.load();
  stats.writable = false;
  std::shared_lock<std::shared_mutex> lock(db_mu_);
  if (db_ == nullptr) return stats;  // a reopen failed; the next read or write retries it
  uint64_t sst = 0, memtables = 0, bg_errors = 0;
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &memtables);
  db_->GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &bg_errors);
  stats.live_data_bytes = sst + memtables;
  if (closed_.load()) return stats;
  if (!write_failed_.load() && bg_errors <= background_errors_seen_.load()) {
    stats.writable = true;
  } else {
    // A write (or a flush) failed. Writable again once the disk takes a synced write: the
    // next write reopens the database (RecoverWrites).
    rocksdb::Env* env = options_.faults ? options_.faults->env() : rocksdb::Env::Default();
    stats.writable = ProbeWritable(env, options_.path, "store").ok();
  }
  return stats;
}

Status RocksStore::CompactAll() {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (size_t i = 0; i < kDefault; ++i) {
    rocksdb::Status s = db_->CompactRange(options, cfs_[i], nullptr, nullptr);
    if (!s.ok()) {
      return Status::IOError(std::string("store: compacting ") + kCfNames[i] +
                             " failed: " + s.ToString());
    }
  }
  return Status::Ok();
}

}  // namespace herald
