#include "engine/store/track_store_rocks.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "engine/core/sha256.h"
#include "engine/store/fault_env.h"
#include "engine/store/rocks_recovery.h"
#include "engine/store/rocks_status.h"
#include "engine/store/schedule_codec.h"
#include "engine/store/track_codec.h"
#include "engine/store/track_store_batch.h"
#include "engine/track/link_rewriter.h"

namespace herald {
namespace {

const char* const kCfNames[] = {"messages", "message_times", "events",      "event_times",
                                "marks",    "counters",      "preferences", "address_optouts",
                                "last_sms", "meta",          "default"};
constexpr std::string_view kFormatVersionKey = "format_version";
constexpr std::string_view kFormatVersion = "1";
constexpr std::string_view kEventSeqKey = "event_seq";

}  // namespace

std::string_view EngagementKindName(EngagementKind k) {
  switch (k) {
    case EngagementKind::kOpen:
      return "open";
    case EngagementKind::kClick:
      return "click";
    case EngagementKind::kUnsubscribe:
      return "unsubscribe";
    case EngagementKind::kSmsStop:
      return "sms_stop";
    case EngagementKind::kSmsStart:
      return "sms_start";
  }
  return "";
}

Result<std::unique_ptr<RocksTrackStore>> RocksTrackStore::Open(const TrackStoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("track store: empty path");
  if (options.secret.size() < 16) return Status::InvalidArgument("track store: secret too short");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Status::IOError("track store: cannot create data directory " + options.path + ": " +
                           ec.message());
  }
  std::unique_ptr<RocksTrackStore> store(new RocksTrackStore(options));
  if (Status s = store->OpenDb(); !s.ok()) return s;
  if (Status s = store->LoadEventSeq(); !s.ok()) return s;
  return store;
}

Status RocksTrackStore::LoadEventSeq() {
  Result<std::optional<std::string>> seq = GetValue(kMeta, kEventSeqKey, "the event seq");
  if (!seq.ok()) return seq.status();
  event_seq_ = 0;
  if (seq->has_value()) {
    Result<uint64_t> n = DecodeCounter(**seq, kEventSeqKey);
    if (!n.ok()) return n.status();
    event_seq_ = *n;
  }
  return Status::Ok();
}

Status RocksTrackStore::OpenDb() {
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
        return Status::InvalidArgument("track store: " + options_.path +
                                       " holds another database (column family " + name + ")");
      }
    }
  }
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i <= kDefault; ++i) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    if (i == kMessages || i == kMarks || i == kPreferences || i == kAddressOptOuts ||
        i == kLastSms) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    }
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.write_buffer_size = (i == kMeta || i == kDefault) ? (1 << 20) : (8 << 20);
    if (i == kCounters) cf.merge_operator = NewCounterMergeOperator();
    descriptors.emplace_back(kCfNames[i], cf);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, descriptors, &handles, &db_);
  if (!s.ok()) {
    db_ = nullptr;
    return RocksOpenError(s, "track store", options_.path);
  }
  cfs_ = std::move(handles);
  return RocksCheckFormatVersion(db_, cfs_[kMeta], kFormatVersionKey, kFormatVersion, "track store",
                                 options_.path);
}

RocksTrackStore::~RocksTrackStore() {
  CloseRocksDb(&db_, &cfs_);
}

Status RocksTrackStore::LockForWrite(std::unique_lock<std::mutex>* lock) {
  *lock = std::unique_lock<std::mutex>(write_mu_);
  if (!write_failed_.load()) return Status::Ok();
  Status s = Reopen();
  if (!s.ok()) lock->unlock();
  return s;
}

// Why close and reopen rather than DB::Resume: rocks_recovery.h.
Status RocksTrackStore::Reopen() {
  rocksdb::Env* env = options_.faults ? options_.faults->env() : rocksdb::Env::Default();
  if (Status p = ProbeWritable(env, options_.path, "track store"); !p.ok()) return p;
  {
    std::unique_lock<std::shared_mutex> db_lock(db_mu_);
    CloseRocksDb(&db_, &cfs_);
    if (Status s = OpenDb(); !s.ok()) {
      CloseRocksDb(&db_, &cfs_);
      return Status::Unavailable("track store: reopening the database after a failed write: " +
                                 s.ToString());
    }
  }
  if (Status s = LoadEventSeq(); !s.ok()) return s;
  write_failed_.store(false);
  return Status::Ok();
}

Result<std::optional<std::string>> RocksTrackStore::GetValue(Cf cf, std::string_view key,
                                                             std::string_view what) {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  if (db_ == nullptr) return Status::Unavailable("track store: the database is being reopened");
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[cf], ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return RocksReadError(s, "track store", what);
  return std::optional<std::string>(value.ToString());
}

Result<std::optional<TrackedMessage>> RocksTrackStore::LoadMessage(std::string_view id,
                                                                   std::string* address_hash) {
  if (!IsMessageId(id)) return std::optional<TrackedMessage>();
  Result<std::optional<std::string>> v = GetValue(kMessages, id, "message");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<TrackedMessage>();
  Result<TrackedMessage> m = DecodeTrackedMessage(id, **v, address_hash);
  if (!m.ok()) return m.status();
  return std::optional<TrackedMessage>(std::move(m).value());
}

Result<std::optional<TrackedMessage>> RocksTrackStore::GetMessage(std::string_view id) {
  return LoadMessage(id, nullptr);
}

std::string RocksTrackStore::AddressHash(Channel channel, std::string_view address) const {
  if (address.empty()) return "";
  std::string normalized(address);
  if (channel == Channel::kEmail) {
    for (char& c : normalized) {
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    }
  }
  return HmacSha256Hex(options_.secret, std::string("herald/address/v1\0", 18) +
                                            std::string(ChannelName(channel)) + ":" + normalized);
}

Status RocksTrackStore::Write(Batch& b, bool sync) {
  for (const auto& [key, slots] : b.counters) {
    CounterDelta d(slots.begin(), slots.end());
    b.wb.Merge(cfs_[kCounters], ToSlice(key), ToSlice(EncodeCounters(d)));
  }
  if (b.seq != event_seq_) {
    b.wb.Put(cfs_[kMeta], ToSlice(kEventSeqKey), ToSlice(EncodeCounter(b.seq)));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, &b.wb);
  if (!s.ok()) {
    // RocksDB takes no more writes after this; the next write reopens the database.
    write_failed_.store(true);
    return Status::Unavailable("track store: write failed: " + s.ToString());
  }
  event_seq_ = b.seq;
  return Status::Ok();
}

namespace {

Status CheckRegistration(const TrackedMessage& m) {
  if (!IsMessageId(m.id)) return Status::InvalidArgument("track store: malformed message id");
  if (m.campaign.empty()) return Status::InvalidArgument("track store: empty campaign");
  if (m.links.size() > kMaxLinks) return Status::InvalidArgument("track store: too many links");
  for (const std::string& l : m.links) {
    if (!IsTrackableUrl(l)) {
      return Status::InvalidArgument("track store: a link is not an http(s) destination");
    }
  }
  return Status::Ok();
}

}  // namespace

Status RocksTrackStore::AddRegistration(Batch& b, const TrackedMessage& m,
                                        std::map<std::string, Micros>* last_sms) {
  Result<std::optional<std::string>> old = GetValue(kMessages, m.id, "message");
  if (!old.ok()) return old.status();
  if (old->has_value()) return Status::Ok();
  TrackedMessage stored = m;
  stored.address.clear();
  stored.sent_at = 0;
  stored.delivered_at = 0;
  const std::string hash = AddressHash(m.channel, m.address);
  b.wb.Put(cfs_[kMessages], ToSlice(m.id), ToSlice(EncodeTrackedMessage(stored, hash)));
  b.wb.Put(cfs_[kMessageTimes], ToSlice(MessageTimeKey(m.created_at, m.id)), rocksdb::Slice());
  b.Count(stored, HourStart(m.created_at), kCreated);
  if (m.channel == Channel::kSms && !hash.empty()) {
    // STOP replies are attributed to the latest message sent to the number.
    std::optional<Micros> prev_at;
    if (auto it = last_sms->find(hash); it != last_sms->end()) {
      prev_at = it->second;
    } else {
      Result<std::optional<std::string>> last = GetValue(kLastSms, hash, "last sms");
      if (!last.ok()) return last.status();
      if (last->has_value()) {
        std::string_view prev = **last;
        uint64_t at = 0;
        if (ConsumeBigEndian64(&prev, &at)) prev_at = MicrosFromOrdered(at);
      }
    }
    if (!prev_at || *prev_at <= m.created_at) {
      std::string v;
      AppendBigEndian64(&v, OrderedMicros(m.created_at));
      v += m.id;
      b.wb.Put(cfs_[kLastSms], ToSlice(hash), ToSlice(v));
      (*last_sms)[hash] = m.created_at;
    }
  }
  return Status::Ok();
}

Status RocksTrackStore::RegisterMessage(const TrackedMessage& m) {
  return RegisterMessages({m});
}

Status RocksTrackStore::RegisterMessages(const std::vector<TrackedMessage>& messages) {
  for (const TrackedMessage& m : messages) {
    if (Status s = CheckRegistration(m); !s.ok()) return s;
  }
  if (messages.empty()) return Status::Ok();
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  Batch b;
  b.seq = event_seq_;
  std::map<std::string, Micros> last_sms;
  std::set<std::string> seen;  // a message twice in one call is registered once
  for (const TrackedMessage& m : messages) {
    if (!seen.insert(m.id).second) continue;
    if (Status s = AddRegistration(b, m, &last_sms); !s.ok()) return s;
  }
  if (b.wb.Count() == 0) return Status::Ok();
  return Write(b, options_.sync_writes);
}

namespace {

// The counter slot of a status; false for queued and sending, which are not counted.
bool StatusSlot(MessageStatus status, uint32_t* slot) {
  switch (status) {
    case MessageStatus::kQueued:
    case MessageStatus::kSending:
      return false;
    case MessageStatus::kSent:
      *slot = kSent;
      return true;
    case MessageStatus::kDelivered:
      *slot = kDelivered;
      return true;
    case MessageStatus::kBounced:
      *slot = kBounced;
      return true;
    case MessageStatus::kFailed:
      *slot = kFailed;
      return true;
    case MessageStatus::kSuppressed:
      *slot = kSuppressed;
      return true;
    case MessageStatus::kCancelled:
      *slot = kCancelled;
      return true;
  }
  return false;
}

}  // namespace

Status RocksTrackStore::RecordStatus(std::string_view message_id, MessageStatus status, Micros at,
                                     std::string_view reason) {
  uint32_t slot = 0;
  if (!StatusSlot(status, &slot)) return Status::Ok();
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  Batch b;
  b.seq = event_seq_;
  std::map<std::string, CachedMessage> cache;
  std::set<std::string> marks;
  bool found = false;
  const StatusChange change{std::string(message_id), status, at, std::string(reason)};
  if (Status s = AddStatus(b, change, &cache, &marks, &found); !s.ok()) return s;
  if (!found) return Status::NotFound("track store: message not registered");
  if (b.wb.Count() == 0) return Status::Ok();
  return Write(b, options_.sync_writes);
}

Status RocksTrackStore::RecordStatuses(const std::vector<StatusChange>& changes) {
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  Batch b;
  b.seq = event_seq_;
  std::map<std::string, CachedMessage> cache;
  std::set<std::string> marks;
  for (const StatusChange& c : changes) {
    bool found = false;
    if (Status s = AddStatus(b, c, &cache, &marks, &found); !s.ok()) return s;
  }
  if (b.wb.Count() == 0) return Status::Ok();
  return Write(b, options_.sync_writes);
}

Status RocksTrackStore::AddStatus(Batch& b, const StatusChange& c,
                                  std::map<std::string, CachedMessage>* cache,
                                  std::set<std::string>* marks, bool* found) {
  *found = false;
  uint32_t slot = 0;
  if (!StatusSlot(c.status, &slot)) {
    *found = true;
    return Status::Ok();
  }
  auto it = cache->find(c.message_id);
  if (it == cache->end()) {
    std::string hash;
    Result<std::optional<TrackedMessage>> loaded = LoadMessage(c.message_id, &hash);
    if (!loaded.ok()) return loaded.status();
    if (!loaded->has_value()) return Status::Ok();
    it = cache->emplace(c.message_id, CachedMessage{std::move(**loaded), std::move(hash)}).first;
  }
  *found = true;
  TrackedMessage& m = it->second.m;
  const std::string name(MessageStatusName(c.status));
  const std::string mark = MarkKey(m.id, kMarkStatus, name);
  if (marks->count(mark) > 0) return Status::Ok();
  Result<std::optional<std::string>> seen = GetValue(kMarks, mark, "mark");
  if (!seen.ok()) return seen.status();
  if (seen->has_value()) return Status::Ok();
  marks->insert(mark);
  b.wb.Put(cfs_[kMarks], ToSlice(mark), rocksdb::Slice());
  bool rewrite = false;
  if (c.status == MessageStatus::kSent && m.sent_at == 0) {
    m.sent_at = c.at;
    rewrite = true;
    if (m.case_event_at != 0) {
      b.Count(m, Cohort(m), kSendDelayHist + HistogramBin(c.at - m.case_event_at));
    }
  }
  if (c.status == MessageStatus::kDelivered && m.delivered_at == 0) {
    m.delivered_at = c.at;
    rewrite = true;
  }
  const Micros hour = Cohort(m);
  b.Count(m, hour, slot);
  if (slot != kSent && slot != kDelivered) {
    b.Add(CounterKey(m.campaign, kDimReason, hour, name, ReasonKey(c.reason)), 0, 1);
  }
  if (rewrite) {
    b.wb.Put(cfs_[kMessages], ToSlice(m.id), ToSlice(EncodeTrackedMessage(m, it->second.hash)));
  }
  return Status::Ok();
}

Status RocksTrackStore::AddOptOut(Batch& b, const std::string& recipient_id,
                                  const std::string& address_hash, const OptOut& o) {
  if (!recipient_id.empty()) {
    Result<std::optional<RecipientPreferences>> p = GetPreferences(recipient_id);
    if (!p.ok()) return p.status();
    RecipientPreferences prefs;
    if (p->has_value()) {
      prefs = std::move(**p);
    } else {
      prefs.recipient_id = recipient_id;
    }
    const bool already = std::any_of(prefs.opt_outs.begin(), prefs.opt_outs.end(),
                                     [&](const OptOut& x) { return x.channel == o.channel; });
    if (!already) {
      prefs.opt_outs.push_back(o);
      prefs.updated_at = o.at;
      prefs.updated_by = o.by;
      b.wb.Put(cfs_[kPreferences], ToSlice(recipient_id), ToSlice(EncodePreferences(prefs)));
    }
  }
  if (!address_hash.empty()) {
    const std::string key = AddressKey(o.channel, address_hash);
    Result<std::optional<std::string>> old = GetValue(kAddressOptOuts, key, "address opt-out");
    if (!old.ok()) return old.status();
    if (!old->has_value()) b.wb.Put(cfs_[kAddressOptOuts], ToSlice(key), ToSlice(EncodeOptOut(o)));
  }
  return Status::Ok();
}

Status RocksTrackStore::RemoveOptOut(Batch& b, const std::string& recipient_id,
                                     const std::string& address_hash, Channel channel) {
  if (!recipient_id.empty()) {
    Result<std::optional<RecipientPreferences>> p = GetPreferences(recipient_id);
    if (!p.ok()) return p.status();
    if (p->has_value()) {
      RecipientPreferences prefs = std::move(**p);
      const size_t before = prefs.opt_outs.size();
      std::erase_if(prefs.opt_outs, [&](const OptOut& x) { return x.channel == channel; });
      if (prefs.opt_outs.size() != before) {
        b.wb.Put(cfs_[kPreferences], ToSlice(recipient_id), ToSlice(EncodePreferences(prefs)));
      }
    }
  }
  if (!address_hash.empty()) {
    b.wb.Delete(cfs_[kAddressOptOuts], ToSlice(AddressKey(channel, address_hash)));
  }
  return Status::Ok();
}

Result<SmsKeywordResult> RocksTrackStore::RecordSmsKeyword(const SmsKeywordInput& in) {
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  SmsKeywordResult r;
  const std::string hash = AddressHash(Channel::kSms, in.phone);
  if (hash.empty()) return Status::InvalidArgument("track store: empty phone number");
  Result<std::optional<std::string>> last = GetValue(kLastSms, hash, "last sms");
  if (!last.ok()) return last.status();
  std::optional<TrackedMessage> m;
  if (last->has_value() && (*last)->size() > 8) {
    Result<std::optional<TrackedMessage>> found = LoadMessage((*last)->substr(8), nullptr);
    if (!found.ok()) return found.status();
    m = std::move(*found);
  }
  if (m) {
    r.message_id = m->id;
    r.locale = m->locale;
  }
  if (in.keyword != SmsKeyword::kStop && in.keyword != SmsKeyword::kStart) return r;

  const bool stop = in.keyword == SmsKeyword::kStop;
  Result<std::optional<std::string>> current =
      GetValue(kAddressOptOuts, AddressKey(Channel::kSms, hash), "address opt-out");
  if (!current.ok()) return current.status();
  r.changed = current->has_value() != stop;
  Batch b;
  b.seq = event_seq_;
  const std::string recipient = m ? m->recipient_id : "";
  Status s = stop ? AddOptOut(b, recipient, hash, {Channel::kSms, in.at, "sms:STOP", "sms keyword"})
                  : RemoveOptOut(b, recipient, hash, Channel::kSms);
  if (!s.ok()) return s;
  if (m) {
    EngagementRecord e;
    e.kind = stop ? EngagementKind::kSmsStop : EngagementKind::kSmsStart;
    e.at = in.at;
    const uint64_t seq = ++b.seq;
    b.wb.Put(cfs_[kEvents], ToSlice(EventKey(m->id, in.at, seq)), ToSlice(EncodeEngagement(e)));
    b.wb.Put(cfs_[kEventTimes], ToSlice(EventTimeKey(in.at, seq)), ToSlice(m->id));
    const std::string mark = MarkKey(m->id, stop ? kMarkSmsStop : kMarkSmsStart);
    Result<std::optional<std::string>> seen = GetValue(kMarks, mark, "mark");
    if (!seen.ok()) return seen.status();
    if (!seen->has_value()) {
      b.wb.Put(cfs_[kMarks], ToSlice(mark), ToSlice(MarkValue(in.at, seq)));
      b.Count(*m, Cohort(*m), stop ? kSmsOptOuts : kSmsOptIns);
    }
  }
  if (Status w = Write(b, options_.sync_writes); !w.ok()) return w;
  return r;
}

}  // namespace herald
