// RocksTrackStore: recording opens, clicks and unsubscribes (see track_store_rocks.h).
#include <rocksdb/db.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <set>

#include "engine/store/rocks_status.h"
#include "engine/store/track_codec.h"
#include "engine/store/track_store_batch.h"
#include "engine/store/track_store_rocks.h"

namespace herald {

// One caller of RecordEngagement waiting in writers_.
struct RocksTrackStore::EngagementWriter {
  const EngagementInput* in = nullptr;
  Result<EngagementResult> result = EngagementResult{};
  bool done = false;  // guarded by queue_mu_: set by the leader that recorded it
  std::condition_variable cv;
};

namespace {
// Events in one write at most: bounds what a group adds to the wait of its last member.
constexpr size_t kMaxEngagementGroup = 256;
// Browsers and mail proxies send a few hundred bytes; the HTTP layer allows 8 KiB. Longer
// ones are cut (at a UTF-8 character start) so no client can grow the raw record at will.
constexpr size_t kMaxStoredUserAgent = 512;

std::string CutUserAgent(std::string_view ua) {
  if (ua.size() <= kMaxStoredUserAgent) return std::string(ua);
  size_t n = kMaxStoredUserAgent;
  while (n > 0 && (uint8_t(ua[n]) & 0xC0) == 0x80) --n;
  return std::string(ua.substr(0, n));
}
}  // namespace

Result<EngagementResult> RocksTrackStore::RecordEngagement(const EngagementInput& in) {
  EngagementWriter w;
  w.in = &in;
  std::unique_lock<std::mutex> l(queue_mu_);
  writers_.push_back(&w);
  w.cv.wait(l, [&] { return w.done || writers_.front() == &w; });
  if (w.done) return std::move(w.result);

  // The leader: the writers from the front on that touch disjoint keys, in arrival order.
  // Events of distinct messages read and write distinct events and marks, and only add to
  // counters; an unsubscribe also reads and writes the recipient's opt-outs.
  std::vector<EngagementWriter*> group;
  std::set<std::string_view> ids;
  for (EngagementWriter* x : writers_) {
    const bool unsubscribe = x->in->kind == TokenKind::kUnsubscribe;
    if (group.size() == kMaxEngagementGroup) break;
    if (!group.empty() && (unsubscribe || group[0]->in->kind == TokenKind::kUnsubscribe)) break;
    if (!ids.insert(x->in->message_id).second) break;
    group.push_back(x);
  }
  l.unlock();
  CommitEngagements(group);
  l.lock();
  writers_.erase(writers_.begin(), writers_.begin() + std::ptrdiff_t(group.size()));
  for (EngagementWriter* x : group) {
    if (x == &w) continue;
    x->done = true;
    x->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return std::move(w.result);
}

void RocksTrackStore::CommitEngagements(const std::vector<EngagementWriter*>& group) {
  std::unique_lock<std::mutex> lock;
  if (Status s = LockForWrite(&lock); !s.ok()) {
    for (EngagementWriter* w : group) w->result = s;
    return;
  }
  Batch b;
  b.seq = event_seq_;
  bool recorded = false;
  bool sync = false;
  Status failed;
  for (EngagementWriter* w : group) {
    const EngagementInput& in = *w->in;
    std::string hash;
    Result<std::optional<TrackedMessage>> found = LoadMessage(in.message_id, &hash);
    if (!found.ok()) {
      failed = found.status();
      break;
    }
    if (!found->has_value()) {
      w->result = EngagementResult{};
      continue;
    }
    Result<EngagementResult> r = AddEngagement(b, **found, hash, in);
    if (!r.ok()) {
      failed = r.status();
      break;
    }
    if (r->found) {
      recorded = true;
      sync = sync || (in.kind == TokenKind::kUnsubscribe ? options_.sync_writes
                                                         : options_.sync_engagement_writes);
    }
    w->result = std::move(r);
  }
  if (failed.ok() && recorded) failed = Write(b, sync);
  // One failure fails the group: the batch is written whole or not at all.
  if (!failed.ok()) {
    for (EngagementWriter* w : group) w->result = failed;
  }
}

Result<std::vector<RocksTrackStore::EventEntry>> RocksTrackStore::ScanEvents(std::string_view id,
                                                                             Micros from) {
  const std::string prefix(id);
  const std::string upper = prefix + std::string(16, '\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::shared_lock<std::shared_mutex> db_lock(db_mu_);  // Events() reads without write_mu_
  if (db_ == nullptr) return Status::Unavailable("track store: the database is being reopened");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kEvents]));
  std::vector<EventEntry> out;
  for (it->Seek(EventKey(id, from, 0)); it->Valid(); it->Next()) {
    EventEntry e;
    if (!ParseEventKey(View(it->key()), id.size(), &e.at, &e.seq)) {
      return Status::Corruption("track store: malformed event key");
    }
    Result<EngagementRecord> r = DecodeEngagement(View(it->value()));
    if (!r.ok()) return r.status();
    e.record = std::move(r).value();
    out.push_back(std::move(e));
  }
  if (!it->status().ok()) return RocksReadError(it->status(), "track store", "events");
  return out;
}

Result<std::vector<EngagementRecord>> RocksTrackStore::Events(std::string_view message_id) {
  if (!IsMessageId(message_id)) return std::vector<EngagementRecord>();
  Result<std::vector<EventEntry>> all = ScanEvents(message_id, std::numeric_limits<Micros>::min());
  if (!all.ok()) return all.status();
  std::vector<EngagementRecord> out;
  for (EventEntry& e : *all) out.push_back(std::move(e.record));
  return out;
}

Status RocksTrackStore::FixMarks(Batch& b, const TrackedMessage& m,
                                 const std::set<uint64_t>& moved) {
  const bool email = m.channel == Channel::kEmail;
  for (MarkType type : {kMarkClicked, kMarkOpened}) {
    if (type == kMarkOpened && !email) continue;
    const std::string key = MarkKey(m.id, type);
    Result<std::optional<std::string>> v = GetValue(kMarks, key, "mark");
    if (!v.ok()) return v.status();
    Micros at = 0;
    uint64_t seq = 0;
    if (!v->has_value() || !ParseMarkValue(**v, &at, &seq) || !moved.contains(seq)) continue;
    // The earliest human event that still justifies the mark (only clicks move, so opens
    // always still count for kMarkOpened).
    Result<std::vector<EventEntry>> all = ScanEvents(m.id, std::numeric_limits<Micros>::min());
    if (!all.ok()) return all.status();
    const EventEntry* keep = nullptr;
    for (const EventEntry& e : *all) {
      const bool kind_ok = e.record.kind == EngagementKind::kClick ||
                           (type == kMarkOpened && e.record.kind == EngagementKind::kOpen);
      if (kind_ok && !e.record.machine && !moved.contains(e.seq)) {
        keep = &e;
        break;
      }
    }
    const Micros hour = Cohort(m);
    if (type == kMarkOpened && m.sent_at != 0) {
      b.Count(m, hour, kFirstOpenHist + HistogramBin(at - m.sent_at), -1);
      if (keep) b.Count(m, hour, kFirstOpenHist + HistogramBin(keep->at - m.sent_at), 1);
    }
    if (keep) {
      b.wb.Put(cfs_[kMarks], ToSlice(key), ToSlice(MarkValue(keep->at, keep->seq)));
      continue;
    }
    b.wb.Delete(cfs_[kMarks], ToSlice(key));
    if (type == kMarkClicked) {
      b.Count(m, hour, kUniqueClicks, -1);
      b.Count(m, hour, email ? kUniqueEmailClicks : kUniqueEngaged, -1);
    } else {
      b.Count(m, hour, kUniqueOpens, -1);
      b.Count(m, hour, kUniqueEngaged, -1);
    }
  }
  return Status::Ok();
}

Result<EngagementResult> RocksTrackStore::AddEngagement(Batch& b, const TrackedMessage& m,
                                                        const std::string& address_hash,
                                                        const EngagementInput& in) {
  EngagementResult res;
  res.locale = m.locale;
  res.channel = m.channel;
  const bool email = m.channel == Channel::kEmail;
  const Micros hour = Cohort(m);
  EngagementRecord rec;
  rec.at = in.at;
  rec.user_agent = CutUserAgent(in.user_agent);
  rec.ip = in.ip;
  rec.link_index = in.link_index;

  // Sets a unique mark unless present; true when it was set now.
  auto first = [&](MarkType type, uint64_t seq) -> Result<bool> {
    const std::string key = MarkKey(m.id, type);
    Result<std::optional<std::string>> v = GetValue(kMarks, key, "mark");
    if (!v.ok()) return v.status();
    if (v->has_value()) return false;
    b.wb.Put(cfs_[kMarks], ToSlice(key), ToSlice(MarkValue(in.at, seq)));
    return true;
  };
  // A human open, or the open a human click implies (email).
  auto opened = [&](uint64_t seq) -> Status {
    Result<bool> f = first(kMarkOpened, seq);
    if (!f.ok()) return f.status();
    if (!*f) return Status::Ok();
    b.Count(m, hour, kUniqueOpens);
    b.Count(m, hour, kUniqueEngaged);
    if (m.sent_at != 0) b.Count(m, hour, kFirstOpenHist + HistogramBin(in.at - m.sent_at));
    return Status::Ok();
  };

  std::vector<EventEntry> moved_events;
  switch (in.kind) {
    case TokenKind::kOpen: {
      rec.kind = EngagementKind::kOpen;
      rec.link_index = 0;
      const Verdict v =
          ClassifyOpen({in.at, m.sent_at, m.delivered_at, in.user_agent}, options_.classifier);
      rec.machine = v.machine;
      rec.reason = v.reason;
      const uint64_t seq = ++b.seq;
      b.wb.Put(cfs_[kEvents], ToSlice(EventKey(m.id, in.at, seq)), ToSlice(EncodeEngagement(rec)));
      b.wb.Put(cfs_[kEventTimes], ToSlice(EventTimeKey(in.at, seq)), ToSlice(m.id));
      b.Count(m, hour, v.machine ? kOpensMachine : kOpensHuman);
      if (v.machine) {
        Result<bool> f = first(kMarkMachineOpened, seq);
        if (!f.ok()) return f.status();
        if (*f) b.Count(m, hour, kUniqueMachineOpens);
      } else if (Status s = opened(seq); !s.ok()) {
        return s;
      }
      break;
    }
    case TokenKind::kClick: {
      if (in.link_index >= m.links.size()) return EngagementResult{};
      rec.kind = EngagementKind::kClick;
      Result<std::vector<EventEntry>> recent =
          ScanEvents(m.id, in.at - options_.classifier.all_links_window);
      if (!recent.ok()) return recent.status();
      std::vector<EventEntry> clicks;
      std::vector<PriorClick> prior;
      for (EventEntry& e : *recent) {
        if (e.record.kind != EngagementKind::kClick) continue;
        prior.push_back({e.at, e.record.link_index, e.record.machine});
        clicks.push_back(std::move(e));
      }
      const ClickVerdict v = ClassifyClick({in.at, m.sent_at, m.delivered_at, in.link_index,
                                            uint32_t(m.links.size()), in.user_agent, prior},
                                           options_.classifier);
      rec.machine = v.machine;
      rec.reason = v.reason;
      const uint64_t seq = ++b.seq;
      b.wb.Put(cfs_[kEvents], ToSlice(EventKey(m.id, in.at, seq)), ToSlice(EncodeEngagement(rec)));
      b.wb.Put(cfs_[kEventTimes], ToSlice(EventTimeKey(in.at, seq)), ToSlice(m.id));
      const uint32_t slot = v.machine ? kClicksMachine : kClicksHuman;
      b.Count(m, hour, slot);
      b.Add(CounterKey(m.campaign, kDimLink, hour, LinkKey(m.links[in.link_index])), slot, 1);
      std::set<uint64_t> moved;
      for (size_t i : v.reclassify) {
        EventEntry& e = clicks[i];
        e.record.machine = true;
        e.record.reason = MachineReason::kAllLinks;
        b.wb.Put(cfs_[kEvents], ToSlice(EventKey(m.id, e.at, e.seq)),
                 ToSlice(EncodeEngagement(e.record)));
        b.Count(m, hour, kClicksHuman, -1);
        b.Count(m, hour, kClicksMachine, 1);
        if (e.record.link_index < m.links.size()) {
          const std::string link =
              CounterKey(m.campaign, kDimLink, hour, LinkKey(m.links[e.record.link_index]));
          b.Add(link, kClicksHuman, -1);
          b.Add(link, kClicksMachine, 1);
        }
        moved.insert(e.seq);
      }
      if (!moved.empty()) {
        if (Status s = FixMarks(b, m, moved); !s.ok()) return s;
      }
      if (!v.machine) {
        Result<bool> f = first(kMarkClicked, seq);
        if (!f.ok()) return f.status();
        if (*f) {
          b.Count(m, hour, kUniqueClicks);
          b.Count(m, hour, email ? kUniqueEmailClicks : kUniqueEngaged);
        }
        if (email) {
          if (Status s = opened(seq); !s.ok()) return s;
        }
      }
      res.destination = m.links[in.link_index];
      break;
    }
    case TokenKind::kUnsubscribe: {
      rec.kind = EngagementKind::kUnsubscribe;
      rec.link_index = 0;
      const uint64_t seq = ++b.seq;
      b.wb.Put(cfs_[kEvents], ToSlice(EventKey(m.id, in.at, seq)), ToSlice(EncodeEngagement(rec)));
      b.wb.Put(cfs_[kEventTimes], ToSlice(EventTimeKey(in.at, seq)), ToSlice(m.id));
      Result<bool> f = first(kMarkUnsubscribed, seq);
      if (!f.ok()) return f.status();
      if (*f) b.Count(m, hour, kUnsubscribes);
      if (Status s = AddOptOut(b, m.recipient_id, address_hash,
                               {m.channel, in.at, "recipient", "unsubscribe link"});
          !s.ok()) {
        return s;
      }
      res.opted_out = !m.recipient_id.empty() || !address_hash.empty();
      break;
    }
  }
  res.found = true;
  res.machine = rec.machine;
  res.reason = rec.reason;
  return res;
}

}  // namespace herald
