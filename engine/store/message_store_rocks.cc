#include "engine/store/message_store_rocks.h"

#include <openssl/rand.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <system_error>

#include "engine/store/fault_env.h"
#include "engine/store/message_codec.h"
#include "engine/store/rocks_recovery.h"
#include "engine/store/rocks_status.h"
#include "engine/store/schedule_codec.h"

namespace herald {
namespace {

const char* const kCfNames[] = {"messages",  "ready", "provider", "case_messages",
                                "callbacks", "meta",  "bodies",   "default"};

Status ReadError(const rocksdb::Status& s, std::string_view what) {
  return RocksReadError(s, "message store", what);
}

bool InReadyQueue(MessageStatus s) {
  return !IsSettled(s);
}

Status Reopening() {
  return Status::Unavailable("message store: the database is being reopened after a fault");
}

}  // namespace

Result<std::unique_ptr<RocksMessageStore>> RocksMessageStore::Open(
    const MessageStoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("message store: empty path");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Status::IOError("message store: cannot create data directory " + options.path + ": " +
                           ec.message());
  }
  std::unique_ptr<RocksMessageStore> store(new RocksMessageStore(options));
  if (Status s = store->OpenDb(); !s.ok()) return s;
  if (Status s = store->LoadState(); !s.ok()) return s;
  return store;
}

Status RocksMessageStore::OpenDb() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_total_wal_size = 64 << 20;
  db_options.keep_log_file_num = 10;
  // After a failed write the store reopens the database itself (rocks_recovery.h).
  db_options.listeners.push_back(NoAutoRecoveryListener());
  if (options_.faults) db_options.env = options_.faults->env();
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options_.path, &existing).ok()) {
    for (const std::string& name : existing) {
      if (std::find(std::begin(kCfNames), std::end(kCfNames), name) == std::end(kCfNames)) {
        return Status::InvalidArgument("message store: " + options_.path +
                                       " holds another database (column family " + name + ")");
      }
    }
  }
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i <= kDefault; ++i) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    if (i == kMessages || i == kProvider || i == kBodies) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    }
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.write_buffer_size = (i == kMeta || i == kDefault) ? (1 << 20) : (8 << 20);
    if (i == kReady || i == kCallbacks) {
      // Queues: entries are deleted at the head; compact files that are mostly tombstones.
      cf.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(1024, 512));
    }
    descriptors.emplace_back(kCfNames[i], cf);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &db_);
  if (!s.ok()) {
    db_ = nullptr;
    return RocksOpenError(s, "message store", options_.path);
  }
  cfs_ = std::move(handles);
  return RocksCheckFormatVersion(db_, cfs_[kMeta], kMessageFormatVersionKey, kMessageFormatVersion,
                                 "message store", options_.path);
}

Status RocksMessageStore::LoadState() {
  Result<std::optional<std::string>> secret = GetValue(kMeta, kMessageSecretKey, "the secret");
  if (!secret.ok()) return secret.status();
  if (!options_.fixed_secret.empty()) {
    secret_ = options_.fixed_secret;
  } else if (secret->has_value()) {
    secret_ = **secret;
  } else {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      return Status::Internal("message store: no random bytes for the secret");
    }
    secret_.assign(reinterpret_cast<const char*>(bytes), sizeof bytes);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db_->Put(wo, cfs_[kMeta], ToSlice(kMessageSecretKey), ToSlice(secret_));
    if (!s.ok()) return Status::IOError("message store: cannot store the secret: " + s.ToString());
  }
  return LoadCounters();
}

Status RocksMessageStore::LoadCounters() {
  callback_seq_ = 0;
  ready_count_ = 0;
  ready_floor_.clear();
  ++commit_generation_;
  Result<std::optional<std::string>> seq = GetValue(kMeta, kCallbackSeqKey, "the callback seq");
  if (!seq.ok()) return seq.status();
  if (seq->has_value()) {
    Result<uint64_t> n = DecodeCounter(**seq, kCallbackSeqKey);
    if (!n.ok()) return n.status();
    callback_seq_ = *n;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kReady]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++ready_count_;
  if (!it->status().ok()) return ReadError(it->status(), "ready");
  return Status::Ok();
}

RocksMessageStore::~RocksMessageStore() {
  CloseRocksDb(&db_, &cfs_);
}

Status RocksMessageStore::Reopen() {
  rocksdb::Env* env = options_.faults ? options_.faults->env() : rocksdb::Env::Default();
  if (Status p = ProbeWritable(env, options_.path, "message store"); !p.ok()) return p;
  std::unique_lock<std::shared_mutex> db_lock(db_mu_);
  std::lock_guard<std::mutex> lock(commit_mu_);
  if (!write_failed_.load()) return Status::Ok();  // another commit reopened it
  CloseRocksDb(&db_, &cfs_);
  Status s = OpenDb();
  if (s.ok()) s = LoadCounters();  // the reopen may bring back a batch whose sync failed
  if (!s.ok()) {
    CloseRocksDb(&db_, &cfs_);
    return Status::Unavailable("message store: reopening the database after a failed write: " +
                               s.ToString());
  }
  write_failed_.store(false);
  return Status::Ok();
}

// A failed reopen left no database: the read retries it first, so reads come back
// without waiting for a commit.
Status RocksMessageStore::LockForRead(std::shared_lock<std::shared_mutex>* lock) {
  *lock = std::shared_lock<std::shared_mutex>(db_mu_);
  if (db_ != nullptr) return Status::Ok();
  lock->unlock();
  if (Status r = Reopen(); !r.ok()) return r;
  lock->lock();
  return db_ != nullptr ? Status::Ok() : Reopening();
}

Result<std::optional<std::string>> RocksMessageStore::GetValue(Cf cf, std::string_view key,
                                                               std::string_view what) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[cf], ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return ReadError(s, what);
  return std::optional<std::string>(value.ToString());
}

Result<uint64_t> RocksMessageStore::OutboxCursor() {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::optional<std::string>> v = GetValue(kMeta, kOutboxCursorKey, "the outbox cursor");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return uint64_t{0};
  return DecodeCounter(**v, kOutboxCursorKey);
}

Result<std::optional<Message>> RocksMessageStore::Get(std::string_view id) {
  Result<std::vector<std::optional<Message>>> found = GetMany({std::string(id)});
  if (!found.ok()) return found.status();
  return std::move(found->front());
}

Result<std::vector<std::optional<Message>>> RocksMessageStore::GetMany(
    const std::vector<std::string>& ids) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::vector<std::optional<Message>>> states = StatesOf(ids);
  if (!states.ok()) return states.status();
  Result<std::vector<std::optional<MessageBody>>> bodies = BodiesOf(ids);
  if (!bodies.ok()) return bodies.status();
  for (size_t i = 0; i < ids.size(); ++i) {
    if ((*states)[i] && (*bodies)[i]) SetBody(&*(*states)[i], std::move(*(*bodies)[i]));
  }
  return states;
}

Result<std::vector<std::optional<Message>>> RocksMessageStore::GetStates(
    const std::vector<std::string>& ids) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  return StatesOf(ids);
}

Result<std::vector<std::optional<MessageBody>>> RocksMessageStore::GetBodies(
    const std::vector<std::string>& ids) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  return BodiesOf(ids);
}

Result<std::vector<std::optional<Message>>> RocksMessageStore::StatesOf(
    const std::vector<std::string>& ids) {
  std::vector<std::optional<Message>> out(ids.size());
  if (ids.empty()) return out;
  std::vector<rocksdb::Slice> keys(ids.begin(), ids.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->MultiGet(rocksdb::ReadOptions(), cfs_[kMessages], keys.size(), keys.data(), values.data(),
                statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return ReadError(statuses[i], "message");
    Result<Message> m = DecodeMessageState(View(values[i]));
    if (!m.ok()) return m.status();
    out[i] = std::move(m).value();
  }
  return out;
}

Result<std::vector<std::optional<MessageBody>>> RocksMessageStore::BodiesOf(
    const std::vector<std::string>& ids) {
  std::vector<std::optional<MessageBody>> out(ids.size());
  if (ids.empty()) return out;
  std::vector<rocksdb::Slice> keys(ids.begin(), ids.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db_->MultiGet(rocksdb::ReadOptions(), cfs_[kBodies], keys.size(), keys.data(), values.data(),
                statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return ReadError(statuses[i], "message body");
    Result<MessageBody> b = DecodeMessageBody(View(values[i]));
    if (!b.ok()) return b.status();
    out[i] = std::move(b).value();
  }
  return out;
}

Result<std::optional<Message>> RocksMessageStore::FindByProvider(std::string_view connector,
                                                                 std::string_view provider_id) {
  Result<std::optional<std::string>> id = Reopening();
  {
    std::shared_lock<std::shared_mutex> db_lock;
    if (Status s = LockForRead(&db_lock); !s.ok()) return s;
    id = GetValue(kProvider, ProviderKey(connector, provider_id), "provider index");
  }
  if (!id.ok()) return id.status();
  if (!id->has_value()) return std::optional<Message>();
  return Get(**id);
}

Result<std::vector<std::string>> RocksMessageStore::MessagesForCase(std::string_view case_id) {
  const std::string prefix = CaseMessagePrefix(case_id);
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kCaseMessages]));
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    out.emplace_back(View(it->key()).substr(prefix.size()));
  }
  if (!it->status().ok()) return ReadError(it->status(), "case messages");
  return out;
}

Result<std::vector<std::string>> RocksMessageStore::ReadyIds(Micros now, size_t limit) {
  std::vector<std::string> ids;
  rocksdb::ReadOptions ro;
  std::string upper;
  rocksdb::Slice upper_slice;
  if (now < std::numeric_limits<Micros>::max()) {
    upper = ReadyTimeBound(now + 1);
    upper_slice = rocksdb::Slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  // Sent messages leave the queue as tombstones at its head; seeking from the lowest key
  // known to be live skips them instead of stepping over every one on each call.
  std::unique_ptr<rocksdb::Iterator> it;
  std::string floor;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    it.reset(db_->NewIterator(ro, cfs_[kReady]));
    floor = ready_floor_;
    generation = commit_generation_;
  }
  it->Seek(floor);
  if (it->Valid()) {
    std::lock_guard<std::mutex> lock(commit_mu_);
    if (generation == commit_generation_) ready_floor_ = it->key().ToString();
  }
  for (; it->Valid() && ids.size() < limit; it->Next()) {
    std::optional<std::string> id = ParseReadyKey(View(it->key()), nullptr);
    if (!id) return Status::Corruption("message store: malformed key in ready");
    ids.push_back(std::move(*id));
  }
  if (!it->status().ok()) return ReadError(it->status(), "ready");
  return ids;
}

Result<std::vector<Message>> RocksMessageStore::ReadyStates(Micros now, size_t limit) {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  Result<std::vector<std::string>> ids = ReadyIds(now, limit);
  if (!ids.ok()) return ids.status();
  Result<std::vector<std::optional<Message>>> found = StatesOf(*ids);
  if (!found.ok()) return found.status();
  std::vector<Message> out;
  for (std::optional<Message>& m : *found) {
    if (!m) return Status::Corruption("message store: a ready entry has no message");
    out.push_back(std::move(*m));
  }
  return out;
}

Result<std::optional<Micros>> RocksMessageStore::NextReady() {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kReady]));
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    it->Seek(ready_floor_);
  }
  if (!it->Valid()) {
    if (!it->status().ok()) return ReadError(it->status(), "ready");
    return std::optional<Micros>();
  }
  Micros at = 0;
  if (!ParseReadyKey(View(it->key()), &at)) {
    return Status::Corruption("message store: malformed key in ready");
  }
  return std::optional<Micros>(at);
}

Result<size_t> RocksMessageStore::ReadyCount() {
  std::lock_guard<std::mutex> lock(commit_mu_);
  return ready_count_;
}

Result<std::vector<StatusCallback>> RocksMessageStore::DueCallbacks(Micros now, size_t limit) {
  std::vector<StatusCallback> out;
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kCallbacks]));
  // Callbacks are few (they leave as soon as the case system answers); the scan skips
  // those waiting for a retry.
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    Result<StatusCallback> c = DecodeCallback(View(it->value()));
    if (!c.ok()) return c.status();
    if (c->next_attempt_at <= now) out.push_back(std::move(c).value());
  }
  if (!it->status().ok()) return ReadError(it->status(), "callbacks");
  return out;
}

Status RocksMessageStore::Commit(const MessageBatch& batch) {
  if (batch.empty()) return Status::Ok();
  for (const std::vector<Message>* puts : {&batch.put_messages, &batch.put_states}) {
    for (const Message& m : *puts) {
      if (m.id.empty() || m.plan.case_id.empty()) {
        return Status::InvalidArgument("message store: a message needs an id and a case id");
      }
    }
  }
  if (write_failed_.load()) {
    if (Status r = Reopen(); !r.ok()) return r;
  }
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(commit_mu_);

  // The last put of each id wins: its state, and the rendering of its last whole put.
  struct Put {
    const Message* state = nullptr;
    const Message* whole = nullptr;
  };
  std::map<std::string_view, Put> latest;
  for (const Message& m : batch.put_messages) latest[m.id] = Put{&m, &m};
  for (const Message& m : batch.put_states) latest[m.id].state = &m;
  std::vector<std::string> ids;
  ids.reserve(latest.size());
  for (const auto& [id, put] : latest) ids.emplace_back(id);
  Result<std::vector<std::optional<Message>>> old = StatesOf(ids);
  if (!old.ok()) return old.status();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!(*old)[i] && latest[ids[i]].whole == nullptr) {
      return Status::InvalidArgument("message store: a state put for a message not stored");
    }
  }

  rocksdb::WriteBatch wb;
  size_t ready_count = ready_count_;
  std::vector<std::string> added_ready;
  uint64_t callback_seq = callback_seq_;
  try {
    for (size_t i = 0; i < ids.size(); ++i) {
      const Put& put = latest[ids[i]];
      const Message& m = *put.state;
      const std::optional<Message>& before = (*old)[i];
      const bool was_ready = before && InReadyQueue(before->status);
      const bool is_ready = InReadyQueue(m.status);
      if (was_ready && (!is_ready || before->next_attempt_at != m.next_attempt_at)) {
        wb.Delete(cfs_[kReady], ToSlice(ReadyKey(before->next_attempt_at, m.id)));
        --ready_count;
      }
      if (is_ready && (!was_ready || before->next_attempt_at != m.next_attempt_at)) {
        added_ready.push_back(ReadyKey(m.next_attempt_at, m.id));
        wb.Put(cfs_[kReady], ToSlice(added_ready.back()), rocksdb::Slice());
        ++ready_count;
      }
      if (!m.provider_id.empty() &&
          (!before || before->provider_id != m.provider_id || before->connector != m.connector)) {
        wb.Put(cfs_[kProvider], ToSlice(ProviderKey(m.connector, m.provider_id)), ToSlice(m.id));
      }
      if (!before) {
        wb.Put(cfs_[kCaseMessages], ToSlice(CaseMessageKey(m.plan.case_id, m.id)),
               rocksdb::Slice());
      }
      wb.Put(cfs_[kMessages], ToSlice(m.id), ToSlice(EncodeMessageState(m)));
      if (put.whole != nullptr) {
        wb.Put(cfs_[kBodies], ToSlice(m.id), ToSlice(EncodeMessageBody(BodyOf(*put.whole))));
      }
    }
    for (const StatusCallback& c : batch.add_callbacks) {
      StatusCallback copy = c;
      copy.seq = ++callback_seq;
      wb.Put(cfs_[kCallbacks], ToSlice(CallbackKey(copy.seq)), ToSlice(EncodeCallback(copy)));
    }
    for (const StatusCallback& c : batch.put_callbacks) {
      wb.Put(cfs_[kCallbacks], ToSlice(CallbackKey(c.seq)), ToSlice(EncodeCallback(c)));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("message store: cannot encode the batch: ") +
                                   e.what());
  }
  for (uint64_t seq : batch.remove_callbacks) {
    wb.Delete(cfs_[kCallbacks], ToSlice(CallbackKey(seq)));
  }
  if (callback_seq != callback_seq_) {
    wb.Put(cfs_[kMeta], ToSlice(kCallbackSeqKey), ToSlice(EncodeCounter(callback_seq)));
  }
  if (batch.outbox_cursor) {
    wb.Put(cfs_[kMeta], ToSlice(kOutboxCursorKey), ToSlice(EncodeCounter(*batch.outbox_cursor)));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status ws = db_->Write(wo, &wb);
  if (!ws.ok()) {
    write_failed_.store(true);  // RocksDB takes no more writes: the next Commit reopens
    return Status::Unavailable("message store: writing the batch failed: " + ws.ToString());
  }
  ready_count_ = ready_count;
  callback_seq_ = callback_seq;
  ++commit_generation_;
  for (const std::string& key : added_ready) ready_floor_ = std::min(ready_floor_, key);
  return Status::Ok();
}

Status RocksMessageStore::CompactAll() {
  std::shared_lock<std::shared_mutex> db_lock;
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  for (rocksdb::ColumnFamilyHandle* h : cfs_) {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    rocksdb::Status s = db_->CompactRange(o, h, nullptr, nullptr);
    if (!s.ok()) return Status::IOError("message store: compaction failed: " + s.ToString());
  }
  return Status::Ok();
}

}  // namespace herald
