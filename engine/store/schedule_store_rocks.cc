#include "engine/store/schedule_store_rocks.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <limits>
#include <map>
#include <unordered_set>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include "engine/store/fault_env.h"
#include "engine/store/rocks_recovery.h"
#include "engine/store/rocks_status.h"
#include "engine/store/schedule_codec.h"

namespace herald {
namespace {

// Column family names, indexed like RocksScheduleStore::Cf.
const char* const kCfNames[] = {"plans", "timers",  "outbox", "outbox_queue", "cases",
                                "sends", "records", "meta",   "default"};

// Compact a timers SST file when some 1024-entry window of it holds at least 512
// tombstones: fired timers are deleted at the head of the queue, and such files are
// nearly all tombstones that every scan of their range would step over.
constexpr size_t kTombstoneWindow = 1024;
constexpr size_t kTombstoneTrigger = 512;

Status ReadError(const rocksdb::Status& s, std::string_view what) {
  return RocksReadError(s, "schedule store", what);
}

Status Reopening() {
  return Status::Unavailable("schedule store: the database is being reopened after a fault");
}

Status OpenError(const rocksdb::Status& s, const std::string& path) {
  return RocksOpenError(s, "schedule store", path);
}

}  // namespace

RocksScheduleStore::RocksScheduleStore(const ScheduleStoreOptions& options, const Clock& clock)
    : options_(options), clock_(clock) {}

Result<std::unique_ptr<RocksScheduleStore>> RocksScheduleStore::Open(
    const ScheduleStoreOptions& options, const Clock& clock) {
  if (options.path.empty()) {
    return Status::InvalidArgument("schedule store: no data directory given");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Status::IOError("schedule store: cannot create data directory " + options.path + ": " +
                           ec.message());
  }
  std::unique_ptr<RocksScheduleStore> store(new RocksScheduleStore(options, clock));
  if (Status s = store->OpenDb(); !s.ok()) return s;
  if (Status s = store->LoadCounters(); !s.ok()) return s;
  return store;
}

Status RocksScheduleStore::OpenDb() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // Eight column families share one WAL, which is freed only when each family with data in
  // it has flushed; the bound makes the rarely written ones flush instead of pinning it.
  db_options.max_total_wal_size = 64 << 20;
  db_options.keep_log_file_num = 10;
  // After a failed write the store reopens the database itself (rocks_recovery.h).
  db_options.listeners.push_back(NoAutoRecoveryListener());
  if (options_.faults) db_options.env = options_.faults->env();

  // create_missing_column_families would happily add our families to the event log's
  // database if the two directories were mixed up in the configuration.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options_.path, &existing).ok()) {
    for (const std::string& name : existing) {
      if (std::find(std::begin(kCfNames), std::end(kCfNames), name) == std::end(kCfNames)) {
        return Status::InvalidArgument("schedule store: " + options_.path +
                                       " holds another database (column family " + name + ")");
      }
    }
  }

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i <= kDefault; ++i) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    // Point lookups (Get, and Commit's existence checks, most of which miss for timers
    // and intents) are answered by a bloom filter without reading a block.
    if (i == kPlans || i == kTimers || i == kOutbox || i == kCases) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    }
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.write_buffer_size = (i == kMeta || i == kDefault) ? (1 << 20) : (8 << 20);
    if (i == kTimers) {
      cf.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(kTombstoneWindow, kTombstoneTrigger));
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

  return RocksCheckFormatVersion(db_, cfs_[kMeta], kScheduleFormatVersionKey,
                                 kScheduleFormatVersion, "schedule store", options_.path);
}

Status RocksScheduleStore::LoadCounters() {
  const std::pair<std::string_view, uint64_t*> counters[] = {
      {kLastQueueSeqMetaKey, &counters_.last_queue_seq},
      {kRecordCountMetaKey, &counters_.records},
      {kSendCountMetaKey, &counters_.sends},
      {kPendingTimersMetaKey, &counters_.pending_timers},
  };
  for (const auto& [key, out] : counters) {
    Result<std::optional<std::string>> value = GetValue(kMeta, key, key);
    if (!value.ok()) return value.status();
    if (!value->has_value()) continue;
    Result<uint64_t> n = DecodeCounter(**value, key);
    if (!n.ok()) return n.status();
    *out = *n;
  }
  // One scan over whatever tombstones lead the queue; later reads seek from the head.
  Result<std::optional<std::string>> head = FirstTimerKeyFrom("");
  if (!head.ok()) return head.status();
  head_ = std::move(head).value();
  return Status::Ok();
}

RocksScheduleStore::~RocksScheduleStore() {
  CloseRocksDb(&db_, &cfs_);
}

Status RocksScheduleStore::Reopen() {
  rocksdb::Env* env = options_.faults ? options_.faults->env() : rocksdb::Env::Default();
  if (Status p = ProbeWritable(env, options_.path, "schedule store"); !p.ok()) return p;
  std::unique_lock<std::shared_mutex> db_lock(db_mu_);
  CloseRocksDb(&db_, &cfs_);
  counters_ = Counters{};
  Status s = OpenDb();
  if (s.ok()) s = LoadCounters();
  if (!s.ok()) {
    CloseRocksDb(&db_, &cfs_);
    return Status::Unavailable("schedule store: reopening the database after a failed write: " +
                               s.ToString());
  }
  write_failed_ = false;
  return Status::Ok();
}

void RocksScheduleStore::SetBeforeWriteHookForTesting(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  before_write_hook_ = std::move(hook);
}

// A failed reopen left no database: the read retries it first, so reads come back
// without waiting for a commit.
Status RocksScheduleStore::LockForRead(std::shared_lock<std::shared_mutex>* lock) {
  *lock = std::shared_lock<std::shared_mutex>(db_mu_);
  if (db_ != nullptr) return Status::Ok();
  lock->unlock();
  {
    std::lock_guard<std::mutex> commit_lock(commit_mu_);
    if (write_failed_) {
      if (Status r = Reopen(); !r.ok()) return r;
    }
  }
  lock->lock();
  return db_ != nullptr ? Status::Ok() : Reopening();
}

Result<std::optional<std::string>> RocksScheduleStore::GetValue(Cf cf, std::string_view key,
                                                                std::string_view what) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[cf], ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return ReadError(s, what);
  return std::optional<std::string>(value.ToString());
}

Result<std::optional<std::string>> RocksScheduleStore::FirstTimerKeyFrom(std::string_view from) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kTimers]));
  it->Seek(ToSlice(from));
  if (it->Valid()) return std::optional<std::string>(it->key().ToString());
  if (!it->status().ok()) return ReadError(it->status(), "timers");
  return std::optional<std::string>();
}

std::optional<std::string> RocksScheduleStore::NewTimerIterator(
    const rocksdb::ReadOptions& ro, std::unique_ptr<rocksdb::Iterator>* it) {
  // Together under head_mu_: the iterator then sees every timer at or above the head it
  // is given (see head_ in the header).
  std::lock_guard<std::mutex> lock(head_mu_);
  if (!head_) return std::nullopt;
  it->reset(db_->NewIterator(ro, cfs_[kTimers]));
  return head_;
}

Result<uint64_t> RocksScheduleStore::Cursor() {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::optional<std::string>> value = GetValue(kMeta, kCursorMetaKey, "the cursor");
  if (!value.ok()) return value.status();
  if (!value->has_value()) return uint64_t{0};
  return DecodeCounter(**value, "cursor");
}

Result<std::optional<CaseView>> RocksScheduleStore::GetCase(std::string_view case_id) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::optional<std::string>> value = GetValue(kCases, case_id, "case view");
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<CaseView>();
  Result<CaseView> view = DecodeCaseView(case_id, **value);
  if (!view.ok()) return view.status();
  return std::optional<CaseView>(std::move(view).value());
}

Result<std::optional<Plan>> RocksScheduleStore::GetPlan(const PlanKey& key) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::optional<std::string>> value = GetValue(kPlans, PlanStoreKey(key), "plan");
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<Plan>();
  Result<Plan> plan = DecodePlan(**value);
  if (!plan.ok()) return plan.status();
  return std::optional<Plan>(std::move(plan).value());
}

Result<std::vector<std::optional<Plan>>> RocksScheduleStore::GetPlans(
    const std::vector<PlanKey>& keys) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::vector<std::optional<Plan>> out(keys.size());
  if (keys.empty()) return out;
  std::vector<std::string> encoded;
  encoded.reserve(keys.size());
  for (const PlanKey& key : keys) encoded.push_back(PlanStoreKey(key));
  std::vector<rocksdb::Slice> slices(encoded.begin(), encoded.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), cfs_[kPlans], slices.size(), slices.data(), values.data(),
                statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return RocksReadError(statuses[i], "schedule store", "plan");
    Result<Plan> plan = DecodePlan(View(values[i]));
    if (!plan.ok()) return plan.status();
    out[i] = std::move(plan).value();
  }
  return out;
}

Result<std::vector<Plan>> RocksScheduleStore::PlansForCase(std::string_view case_id) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  const std::string prefix = PlanCasePrefix(case_id);
  const std::string upper = PrefixSuccessor(prefix);  // a KS field never ends in 0xFF
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kPlans]));
  std::vector<Plan> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    Result<Plan> plan = DecodePlan(View(it->value()));
    if (!plan.ok()) return plan.status();
    if (std::optional<PlanKey> key = ParsePlanStoreKey(View(it->key())); key != plan->key) {
      return Status::Corruption("schedule store: plan " + plan->key.ToString() +
                                " is stored under another key");
    }
    out.push_back(std::move(plan).value());
  }
  if (!it->status().ok()) return ReadError(it->status(), "plans");
  return out;
}

Result<std::vector<TimerEntry>> RocksScheduleStore::DueTimers(Micros now, size_t limit) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::vector<TimerEntry> out;
  if (limit == 0) return out;
  // Every key with fire_at <= now sorts below TimerTimeBound(now + 1); at the largest
  // `now` everything is due.
  std::string upper;
  rocksdb::Slice upper_slice;
  rocksdb::ReadOptions ro;
  if (now < std::numeric_limits<Micros>::max()) {
    upper = TimerTimeBound(now + 1);
    upper_slice = rocksdb::Slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it;
  std::optional<std::string> head = NewTimerIterator(ro, &it);
  if (!head) return out;
  for (it->Seek(*head); it->Valid() && out.size() < limit; it->Next()) {
    std::optional<TimerEntry> timer = ParseTimerKey(View(it->key()));
    if (!timer) return Status::Corruption("schedule store: malformed key in timers");
    out.push_back(std::move(*timer));
  }
  if (!it->status().ok()) return ReadError(it->status(), "timers");
  return out;
}

Result<std::optional<TimerEntry>> RocksScheduleStore::NextTimer() {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it;
  std::optional<std::string> head = NewTimerIterator(rocksdb::ReadOptions(), &it);
  if (!head) return std::optional<TimerEntry>();
  it->Seek(*head);
  if (!it->Valid()) {
    if (!it->status().ok()) return ReadError(it->status(), "timers");
    return std::optional<TimerEntry>();
  }
  std::optional<TimerEntry> timer = ParseTimerKey(View(it->key()));
  if (!timer) return Status::Corruption("schedule store: malformed key in timers");
  return timer;
}

Result<size_t> RocksScheduleStore::PendingTimerCount() {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::optional<std::string>> value =
      GetValue(kMeta, kPendingTimersMetaKey, "the pending timer count");
  if (!value.ok()) return value.status();
  if (!value->has_value()) return size_t{0};
  Result<uint64_t> n = DecodeCounter(**value, "pending timer count");
  if (!n.ok()) return n.status();
  return static_cast<size_t>(*n);
}

Result<std::vector<Micros>> RocksScheduleStore::SendTimes(std::string_view recipient_id,
                                                          std::string_view campaign, Micros since) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  const std::string prefix = SendPrefix(recipient_id, campaign);
  const std::string lower = prefix + TimerTimeBound(since);  // BE(ordered since)
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kSends]));
  std::vector<Micros> out;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    std::optional<Micros> at = ParseSendTime(View(it->key()), prefix);
    if (!at) return Status::Corruption("schedule store: malformed key in sends");
    out.push_back(*at);
  }
  if (!it->status().ok()) return ReadError(it->status(), "sends");
  return out;
}

Result<std::optional<OutboxIntent>> RocksScheduleStore::GetIntent(std::string_view key) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::optional<std::string>> value = GetValue(kOutbox, key, "outbox intent");
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<OutboxIntent>();
  Result<OutboxIntent> intent = DecodeOutboxIntent(**value);
  if (!intent.ok()) return intent.status();
  return std::optional<OutboxIntent>(std::move(intent).value());
}

Result<std::vector<OutboxIntent>> RocksScheduleStore::OutboxAfter(uint64_t after, size_t limit) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::vector<OutboxIntent> out;
  if (limit == 0 || after == std::numeric_limits<uint64_t>::max()) return out;
  // The queue and the intents from one snapshot, so a page never names an intent it
  // cannot read.
  rocksdb::ManagedSnapshot snapshot(db_);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::string upper;
  rocksdb::Slice upper_slice;
  if (limit < std::numeric_limits<uint64_t>::max() - after) {
    upper = OutboxQueueKey(after + 1 + limit);
    upper_slice = rocksdb::Slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  std::vector<std::string> keys;
  std::vector<uint64_t> seqs;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kOutboxQueue]));
  for (it->Seek(OutboxQueueKey(after + 1)); it->Valid() && keys.size() < limit; it->Next()) {
    std::optional<uint64_t> seq = ParseOutboxQueueKey(View(it->key()));
    if (!seq) return Status::Corruption("schedule store: malformed key in outbox_queue");
    if (*seq != after + 1 + keys.size()) {
      return Status::Corruption("schedule store: the outbox queue has a gap before " +
                                std::to_string(*seq));
    }
    keys.push_back(it->value().ToString());
    seqs.push_back(*seq);
  }
  if (!it->status().ok()) return ReadError(it->status(), "outbox_queue");
  if (keys.empty()) return out;

  std::vector<rocksdb::Slice> key_slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), cfs_[kOutbox]);
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = db_->MultiGet(ro, families, key_slices, &values);
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      return Status::Corruption("schedule store: queue_seq " + std::to_string(seqs[i]) +
                                " names an intent that is not in the outbox");
    }
    if (!statuses[i].ok()) return ReadError(statuses[i], "outbox intent");
    Result<OutboxIntent> intent = DecodeOutboxIntent(values[i]);
    if (!intent.ok()) return intent.status();
    if (intent->queue_seq != seqs[i] || intent->key != keys[i]) {
      return Status::Corruption("schedule store: outbox intent " + keys[i] +
                                " does not match its queue entry " + std::to_string(seqs[i]));
    }
    out.push_back(std::move(intent).value());
  }
  return out;
}

Result<std::vector<PlanRecord>> RocksScheduleStore::RecordsForCase(std::string_view case_id) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  const std::string prefix = RecordCasePrefix(case_id);
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kRecords]));
  std::vector<PlanRecord> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    if (it->key().size() != prefix.size() + 8) {
      return Status::Corruption("schedule store: malformed key in records");
    }
    Result<PlanRecord> record = DecodePlanRecord(View(it->value()));
    if (!record.ok()) return record.status();
    out.push_back(std::move(record).value());
  }
  if (!it->status().ok()) return ReadError(it->status(), "records");
  return out;
}

Result<uint64_t> RocksScheduleStore::LowestNeededEventSeq(uint64_t outbox_after) {
  Result<uint64_t> pending = kNoEventNeeded;
  {
    std::shared_lock<std::shared_mutex> db_lock;
    if (Status s = LockForRead(&db_lock); !s.ok()) return s;
    pending = LowestPendingPlannedSeq();
  }  // released: OutboxAfter and GetPlans take it themselves
  if (!pending.ok()) return pending;
  Result<uint64_t> queued = LowestPlannedSeqOfOutbox(outbox_after);
  if (!queued.ok()) return queued;
  return std::min(*pending, *queued);
}

Result<uint64_t> RocksScheduleStore::LowestPendingPlannedSeq() {
  // Plans read back per MultiGet: bounds memory however many plans are pending.
  constexpr size_t kChunk = 1024;
  // The snapshot is taken with the head, under head_mu_ (as NewTimerIterator does for its
  // iterator), so the scan from the head sees every timer of the snapshot; and the plans
  // come from the same snapshot, so a plan re-planned meanwhile (its timer moved) is seen
  // once, as it was, never missed.
  std::unique_ptr<rocksdb::ManagedSnapshot> snapshot;
  std::optional<std::string> head;
  {
    std::lock_guard<std::mutex> lock(head_mu_);
    head = head_;
    if (head) snapshot = std::make_unique<rocksdb::ManagedSnapshot>(db_);
  }
  uint64_t lowest = kNoEventNeeded;
  if (!head) return lowest;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot->snapshot();
  std::vector<std::string> keys;
  keys.reserve(kChunk);
  auto read_plans = [&]() -> Status {
    if (keys.empty()) return Status::Ok();
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(ro, cfs_[kPlans], slices.size(), slices.data(), values.data(), statuses.data());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;  // a stale timer: the firer drops it
      if (!statuses[i].ok()) return ReadError(statuses[i], "plan");
      Result<Plan> plan = DecodePlan(View(values[i]));
      if (!plan.ok()) return plan.status();
      // A stale timer of a done or cancelled plan needs nothing; planned_seq 0 names no
      // event.
      if (plan->status != PlanStatus::kPending || plan->planned_seq == 0) continue;
      lowest = std::min(lowest, plan->planned_seq);
    }
    keys.clear();
    return Status::Ok();
  };
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kTimers]));
  for (it->Seek(*head); it->Valid(); it->Next()) {
    std::optional<TimerEntry> timer = ParseTimerKey(View(it->key()));
    if (!timer) return Status::Corruption("schedule store: malformed key in timers");
    keys.push_back(PlanStoreKey(timer->plan));
    if (keys.size() == kChunk) {
      if (Status s = read_plans(); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) return ReadError(it->status(), "timers");
  if (Status s = read_plans(); !s.ok()) return s;
  return lowest;
}

Status RocksScheduleStore::Commit(const ScheduleBatch& batch) {
  if (batch.empty()) return Status::Ok();
  if (Status s = ValidateScheduleBatch(batch); !s.ok()) return s;

  std::lock_guard<std::mutex> lock(commit_mu_);
  if (write_failed_) {
    // RocksDB takes no writes after a failed one; Resume is unsafe (rocks_recovery.h).
    if (Status r = Reopen(); !r.ok()) return r;
  }

  Counters next = counters_;
  rocksdb::WriteBatch wb;
  rocksdb::Status put_status;  // the first failed WriteBatch operation (a key over 4 GiB)
  auto put = [&](Cf cf, std::string_view key, std::string_view value) {
    rocksdb::Status s = wb.Put(cfs_[cf], ToSlice(key), ToSlice(value));
    if (put_status.ok()) put_status = s;
  };
  auto exist = [&](Cf cf, const std::vector<std::string>& keys,
                   std::vector<bool>* found) -> Status {
    found->assign(keys.size(), false);
    if (keys.empty()) return Status::Ok();
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), cfs_[cf]);
    std::vector<std::string> values;
    std::vector<rocksdb::Status> statuses =
        db_->MultiGet(rocksdb::ReadOptions(), families, slices, &values);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].ok()) {
        (*found)[i] = true;
      } else if (!statuses[i].IsNotFound()) {
        return ReadError(statuses[i], kCfNames[cf]);
      }
    }
    return Status::Ok();
  };

  // Timers: only real changes are written (no tombstone for a timer that is not there,
  // which would also throw the pending count off). Removes apply first, so an entry in
  // both lists stays.
  std::map<std::string, bool> timers;  // key -> present after the batch; sorted
  for (const TimerEntry& t : batch.remove_timers) timers[TimerKey(t)] = false;
  for (const TimerEntry& t : batch.add_timers) timers[TimerKey(t)] = true;
  std::vector<std::string> timer_keys;
  for (const auto& [key, present] : timers) timer_keys.push_back(key);
  std::vector<bool> timer_found;
  if (Status s = exist(kTimers, timer_keys, &timer_found); !s.ok()) return s;
  const std::optional<std::string> old_head = head_;  // only Commit writes it
  std::optional<std::string> lowest_added;
  bool head_removed = false;
  for (size_t i = 0; i < timer_keys.size(); ++i) {
    const std::string& key = timer_keys[i];
    const bool present = timers[key];
    if (present && !timer_found[i]) {
      put(kTimers, key, "");
      ++next.pending_timers;
      if (!lowest_added) lowest_added = key;  // the map is sorted
    } else if (!present && timer_found[i]) {
      wb.Delete(cfs_[kTimers], ToSlice(key));
      if (next.pending_timers == 0) {
        return Status::Corruption("schedule store: the pending timer count is out of step");
      }
      --next.pending_timers;
      if (old_head && key == *old_head) head_removed = true;
    }
  }

  try {
    // Outbox: the first intent for each key that is not stored yet gets the next seq.
    std::vector<const OutboxIntent*> firsts;
    std::unordered_set<std::string_view> seen;
    for (const OutboxIntent& i : batch.put_outbox) {
      if (seen.insert(i.key).second) firsts.push_back(&i);
    }
    std::vector<std::string> outbox_keys;
    for (const OutboxIntent* i : firsts) outbox_keys.push_back(i->key);
    std::vector<bool> outbox_found;
    if (Status s = exist(kOutbox, outbox_keys, &outbox_found); !s.ok()) return s;
    for (size_t i = 0; i < firsts.size(); ++i) {
      if (outbox_found[i]) continue;  // already handed off: idempotent
      OutboxIntent intent = *firsts[i];
      intent.queue_seq = ++next.last_queue_seq;
      put(kOutbox, intent.key, EncodeOutboxIntent(intent));
      put(kOutboxQueue, OutboxQueueKey(intent.queue_seq), intent.key);
    }

    for (const Plan& p : batch.put_plans) put(kPlans, PlanStoreKey(p.key), EncodePlan(p));
    for (const CaseView& c : batch.put_cases) put(kCases, c.case_id, EncodeCaseView(c));
    for (const PlanRecord& r : batch.records) {
      put(kRecords, RecordKey(r.plan.case_id, ++next.records), EncodePlanRecord(r));
    }
    for (const ScheduleBatch::PruneSends& p : batch.prune_sends) {
      // One range tombstone per fired send of a capped campaign: [prefix, prefix + BE(before)).
      const std::string prefix = SendPrefix(p.recipient_id, p.campaign);
      std::string end = prefix;
      AppendBigEndian64(&end, OrderedMicros(p.before));
      wb.DeleteRange(cfs_[kSends], ToSlice(prefix), ToSlice(end));
    }
    for (const ScheduleBatch::Send& s : batch.sends) {
      put(kSends, SendKey(s.recipient_id, s.campaign, s.at, ++next.sends), "");
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("schedule store: cannot encode the batch: ") +
                                   e.what());
  }
  if (batch.cursor) put(kMeta, kCursorMetaKey, EncodeCounter(*batch.cursor));
  const std::pair<std::string_view, uint64_t Counters::*> counters[] = {
      {kLastQueueSeqMetaKey, &Counters::last_queue_seq},
      {kRecordCountMetaKey, &Counters::records},
      {kSendCountMetaKey, &Counters::sends},
      {kPendingTimersMetaKey, &Counters::pending_timers},
  };
  for (const auto& [key, field] : counters) {
    if (next.*field != counters_.*field) put(kMeta, key, EncodeCounter(next.*field));
  }
  if (!put_status.ok()) {
    return Status::InvalidArgument("schedule store: the batch cannot be written: " +
                                   put_status.ToString());
  }
  if (wb.Count() == 0) return Status::Ok();  // only no-ops (existing intents, absent timers)

  if (before_write_hook_) before_write_hook_();

  // Lower the head before the write, so no reader can see a new timer below it.
  const bool lowers = lowest_added && (!old_head || *lowest_added < *old_head);
  if (lowers) {
    std::lock_guard<std::mutex> head_lock(head_mu_);
    head_ = lowest_added;
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status ws = db_->Write(wo, &wb);
  if (!ws.ok()) {
    if (lowers) {
      std::lock_guard<std::mutex> head_lock(head_mu_);
      head_ = old_head;
    }
    write_failed_ = true;
    return Status::Unavailable("schedule store: writing the batch failed: " + ws.ToString());
  }
  counters_ = next;
  if (head_removed && !lowers) {
    // The first live key after the removed head (which nothing lower was added before).
    // Should the seek fail, the old head stays: still a lower bound, only slower to seek.
    Result<std::optional<std::string>> head = FirstTimerKeyFrom(*old_head);
    if (head.ok()) {
      std::lock_guard<std::mutex> head_lock(head_mu_);
      head_ = std::move(head).value();
    }
  }
  return Status::Ok();
}

}  // namespace herald
