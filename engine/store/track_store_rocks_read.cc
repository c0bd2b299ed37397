// RocksTrackStore: preferences, suppression, reports and retention (see track_store_rocks.h).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "engine/schedule/local_time.h"
#include "engine/store/rocks_status.h"
#include "engine/store/schedule_codec.h"
#include "engine/store/track_codec.h"
#include "engine/store/track_store_batch.h"
#include "engine/store/track_store_rocks.h"

namespace herald {
namespace {

constexpr size_t kPurgeChunk = 10'000;

// The local date of hours in one zone, asking ICU only once per offset period.
class DayNamer {
 public:
  explicit DayNamer(const Zone& zone) : zone_(zone) {}

  std::string operator()(Micros hour_start) {
    if (hour_start < valid_from_ || hour_start >= valid_until_) {
      offset_ = zone_.UtcOffset(hour_start);
      valid_from_ = hour_start;
      valid_until_ = zone_.NextTransition(hour_start).value_or(kMaxSupportedInstant);
    }
    Micros local = hour_start + offset_;
    int64_t days = local / kMicrosPerDay;
    if (local % kMicrosPerDay < 0) --days;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d));
    return buf;
  }

 private:
  const Zone& zone_;
  Micros offset_ = 0;
  Micros valid_from_ = 0;
  Micros valid_until_ = 0;  // empty range at first
};

}  // namespace

Result<std::optional<RecipientPreferences>> RocksTrackStore::GetPreferences(
    std::string_view recipient_id) {
  if (recipient_id.empty()) return std::optional<RecipientPreferences>();
  Result<std::optional<std::string>> v = GetValue(kPreferences, recipient_id, "preferences");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<RecipientPreferences>();
  Result<RecipientPreferences> p = DecodePreferences(recipient_id, **v);
  if (!p.ok()) return p.status();
  return std::optional<RecipientPreferences>(std::move(p).value());
}

Status RocksTrackStore::PutPreferences(const RecipientPreferences& p) {
  if (p.recipient_id.empty()) return Status::InvalidArgument("preferences: empty recipient id");
  for (size_t i = 0; i < p.opt_outs.size(); ++i) {
    for (size_t j = i + 1; j < p.opt_outs.size(); ++j) {
      if (p.opt_outs[i].channel == p.opt_outs[j].channel) {
        return Status::InvalidArgument("preferences: two opt-outs of one channel");
      }
    }
  }
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  Batch b;
  b.seq = event_seq_;
  b.wb.Put(cfs_[kPreferences], ToSlice(p.recipient_id), ToSlice(EncodePreferences(p)));
  return Write(b, options_.sync_writes);
}

Result<Suppression> RocksTrackStore::CheckSuppression(std::string_view recipient_id,
                                                      Channel channel, std::string_view address) {
  Suppression s;
  Result<std::optional<RecipientPreferences>> p = GetPreferences(recipient_id);
  if (!p.ok()) return p.status();
  if (p->has_value()) {
    for (const OptOut& o : (*p)->opt_outs) {
      if (o.channel == channel) return Suppression{true, "recipient", o};
    }
  }
  const std::string hash = AddressHash(channel, address);
  if (hash.empty()) return s;
  Result<std::optional<std::string>> v =
      GetValue(kAddressOptOuts, AddressKey(channel, hash), "address opt-out");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return s;
  Result<OptOut> o = DecodeOptOut(**v);
  if (!o.ok()) return o.status();
  return Suppression{true, "address", std::move(o).value()};
}

Result<CampaignReport> RocksTrackStore::Report(const ReportQuery& q) {
  if (q.to < q.from) return Status::InvalidArgument("report: `to` before `from`");
  Zone zone = Zone::Utc();
  if (q.group == ReportGroup::kDay) {
    Result<Zone> z = Zone::Load(q.timezone);
    if (!z.ok()) return Status::InvalidArgument("report: unknown time zone " + q.timezone);
    zone = std::move(z).value();
  }
  const Micros from = HourStart(q.from);
  CampaignReport report;
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  if (db_ == nullptr) return Status::Unavailable("track store: the database is being reopened");
  // Calls f(hour, value, value2, encoded row) for the rows of one dimension in range.
  auto scan = [&](CounterDim dim, auto f) -> Status {
    const std::string lower = CounterBound(q.campaign, dim, from);
    const std::string upper = CounterBound(q.campaign, dim, q.to);
    const size_t prefix = lower.size() - 8;
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kCounters]));
    std::string value, value2;
    Micros hour = 0;
    for (it->Seek(lower); it->Valid(); it->Next()) {
      ++report.counter_rows_read;
      if (!ParseCounterKeyTail(View(it->key()).substr(prefix), &hour, &value, &value2)) {
        return Status::Corruption("track store: malformed counter key");
      }
      if (Status s = f(hour, value, value2, View(it->value())); !s.ok()) return s;
    }
    if (!it->status().ok()) return RocksReadError(it->status(), "track store", "counters");
    return Status::Ok();
  };
  auto bad_row = [] { return Status::Corruption("track store: malformed counter row"); };

  std::map<std::string, Counters> groups;
  DayNamer day(zone);
  Status s = scan(
      kDimAll,
      [&](Micros hour, const std::string&, const std::string&, std::string_view row) -> Status {
        if (!report.total.AddEncoded(row)) return bad_row();
        if (q.group == ReportGroup::kDay) {
          if (!groups[day(hour)].AddEncoded(row)) return bad_row();
        } else if (q.group == ReportGroup::kNone) {
          if (!groups[""].AddEncoded(row)) return bad_row();
        }
        return Status::Ok();
      });
  if (!s.ok()) return s;
  if (q.group == ReportGroup::kRule || q.group == ReportGroup::kLocale ||
      q.group == ReportGroup::kChannel) {
    const CounterDim dim = q.group == ReportGroup::kRule     ? kDimRule
                           : q.group == ReportGroup::kLocale ? kDimLocale
                                                             : kDimChannel;
    s = scan(
        dim,
        [&](Micros, const std::string& value, const std::string&, std::string_view row) -> Status {
          return groups[value].AddEncoded(row) ? Status::Ok() : bad_row();
        });
    if (!s.ok()) return s;
  }
  std::map<std::string, LinkClicks> links;
  s = scan(
      kDimLink,
      [&](Micros, const std::string& value, const std::string&, std::string_view row) -> Status {
        Counters c;
        if (!c.AddEncoded(row)) return bad_row();
        LinkClicks& l = links[value];
        l.link = value;
        l.human_clicks += c[kClicksHuman];
        l.machine_clicks += c[kClicksMachine];
        return Status::Ok();
      });
  if (!s.ok()) return s;
  std::map<std::pair<std::string, std::string>, int64_t> reasons;
  s = scan(kDimReason,
           [&](Micros, const std::string& status, const std::string& reason,
               std::string_view row) -> Status {
             Counters c;
             if (!c.AddEncoded(row)) return bad_row();
             reasons[{status, reason}] += c[0];
             return Status::Ok();
           });
  if (!s.ok()) return s;

  report.rows.reserve(groups.size());
  for (auto& [key, counters] : groups) report.rows.push_back({key, std::move(counters)});
  for (auto& [key, l] : links) report.links.push_back(l);
  std::stable_sort(
      report.links.begin(), report.links.end(),
      [](const LinkClicks& a, const LinkClicks& b) { return a.human_clicks > b.human_clicks; });
  for (auto& [key, n] : reasons) report.reasons.push_back({key.first, key.second, n});
  return report;
}

Result<PurgeStats> RocksTrackStore::Purge(Micros cutoff) {
  PurgeStats stats;
  // Raw events, oldest first, in chunks so writers are not held up for long.
  const std::string event_bound = EventTimeKey(cutoff, 0);
  for (;;) {
    std::unique_lock<std::mutex> lock;
    if (Status s = LockForWrite(&lock); !s.ok()) return s;
    rocksdb::Slice upper(event_bound);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kEventTimes]));
    Batch b;
    b.seq = event_seq_;
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid() && n < kPurgeChunk; it->Next(), ++n) {
      Micros at = 0;
      uint64_t seq = 0;
      if (!ParseEventTimeKey(View(it->key()), &at, &seq)) {
        return Status::Corruption("track store: malformed event time key");
      }
      b.wb.Delete(cfs_[kEvents], ToSlice(EventKey(View(it->value()), at, seq)));
      b.wb.Delete(cfs_[kEventTimes], it->key());
    }
    if (!it->status().ok()) return RocksReadError(it->status(), "track store", "event times");
    if (n == 0) break;
    if (Status s = Write(b, options_.sync_writes); !s.ok()) return s;
    stats.events_deleted += n;
  }
  // Personal data of old messages: recipient id and address hash.
  std::string time_bound;
  AppendBigEndian64(&time_bound, OrderedMicros(cutoff));
  for (;;) {
    std::unique_lock<std::mutex> lock;
    if (Status s = LockForWrite(&lock); !s.ok()) return s;
    rocksdb::Slice upper(time_bound);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kMessageTimes]));
    Batch b;
    b.seq = event_seq_;
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid() && n < kPurgeChunk; it->Next(), ++n) {
      const std::string id(View(it->key()).substr(8));
      b.wb.Delete(cfs_[kMessageTimes], it->key());
      std::string hash;
      Result<std::optional<TrackedMessage>> m = LoadMessage(id, &hash);
      if (!m.ok()) return m.status();
      if (!m->has_value()) continue;
      TrackedMessage scrubbed = std::move(**m);
      scrubbed.recipient_id.clear();
      b.wb.Put(cfs_[kMessages], ToSlice(id), ToSlice(EncodeTrackedMessage(scrubbed, "")));
      if (!hash.empty() && scrubbed.channel == Channel::kSms) {
        Result<std::optional<std::string>> last = GetValue(kLastSms, hash, "last sms");
        if (!last.ok()) return last.status();
        if (last->has_value() && (*last)->size() > 8 && (*last)->substr(8) == id) {
          b.wb.Delete(cfs_[kLastSms], ToSlice(hash));
        }
      }
      ++stats.messages_scrubbed;
    }
    if (!it->status().ok()) return RocksReadError(it->status(), "track store", "message times");
    if (n == 0) break;
    if (Status s = Write(b, options_.sync_writes); !s.ok()) return s;
  }
  // The WAL holding the personal data is released only when every family has flushed
  // past it; deleted and overwritten values stay in SST files until compaction rewrites them.
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  if (db_ == nullptr) return Status::Unavailable("track store: the database is being reopened");
  rocksdb::Status fs = db_->Flush(rocksdb::FlushOptions(), cfs_);
  if (!fs.ok()) return Status::IOError("track store: flush failed: " + fs.ToString());
  for (Cf cf : {kEvents, kEventTimes, kMessages, kMessageTimes, kLastSms}) {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    rocksdb::Status cs = db_->CompactRange(o, cfs_[cf], nullptr, nullptr);
    if (!cs.ok()) return Status::IOError("track store: compaction failed: " + cs.ToString());
  }
  return stats;
}

Status RocksTrackStore::CompactAll() {
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  if (db_ == nullptr) return Status::Unavailable("track store: the database is being reopened");
  for (rocksdb::ColumnFamilyHandle* h : cfs_) {
    rocksdb::CompactRangeOptions o;
    o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    rocksdb::Status s = db_->CompactRange(o, h, nullptr, nullptr);
    if (!s.ok()) return Status::IOError("track store: compaction failed: " + s.ToString());
  }
  return Status::Ok();
}

std::string RocksTrackStore::CountersStats() {
  std::string out, v;
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);
  if (db_ == nullptr) return "reopening";
  for (const char* p :
       {"rocksdb.num-files-at-level0", "rocksdb.num-entries-active-mem-table",
        "rocksdb.num-entries-imm-mem-tables", "rocksdb.estimate-pending-compaction-bytes"}) {
    v.clear();
    db_->GetProperty(cfs_[kCounters], p, &v);
    out += std::string(p + 8) + "=" + v + " ";
  }
  return out;
}

Status RocksTrackStore::MergeCountersForTesting(std::string_view campaign, Micros hour_start,
                                                const std::string& rule, const std::string& locale,
                                                Channel channel, const CounterDelta& delta) {
  TrackedMessage m;
  m.campaign = std::string(campaign);
  m.rule = rule;
  m.locale = locale;
  m.channel = channel;
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) return s;
  Batch b;
  b.seq = event_seq_;
  for (const auto& [slot, value] : delta) b.Count(m, HourStart(hour_start), slot, value);
  return Write(b, false);
}

}  // namespace herald
