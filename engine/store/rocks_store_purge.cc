// RocksStore::PurgePersonalData: the event log's part of `retention.pii` (see
// rocks_store.h). Kept apart from the append and read paths.
//
// Why a cursor rather than a scan: the log is append-only and in seq order, and receive
// times grow with seq (up to wall-clock steps), so the events to redact are always a
// prefix of the log. Remembering where the last run stopped makes each run walk only the
// events accepted since, however long the log gets.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include "engine/store/keys.h"
#include "engine/store/records.h"
#include "engine/store/rocks_status.h"
#include "engine/store/rocks_store.h"

namespace herald {
namespace {

// Events rewritten per WriteBatch: bounds the batch, and how long a reopen after a
// failed append waits for the shared lock a chunk holds.
constexpr uint64_t kPurgeChunk = 1000;

// `meta` keys of retention. Not under "cursor/": they are not consumers, and must not
// bound themselves (LowestConsumerCursor).
constexpr std::string_view kRedactedThroughKey = "retention/redacted_through";
// Through which seq the redacted values were flushed and compacted out of the files; it
// trails kRedactedThroughKey only when a run failed between its writes and its
// compaction, and the next run compacts that range first.
constexpr std::string_view kCompactedThroughKey = "retention/compacted_through";

Status PurgeWriteFailed(const rocksdb::Status& s) {
  return Status::Unavailable("store: retention write failed, storage is not accepting writes: " +
                             s.ToString());
}

}  // namespace

Result<uint64_t> RocksStore::ReadMetaSeq(std::string_view key) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[kMeta], ToSlice(key), &value);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok()) return RocksReadError(s, "store", key);
  std::optional<uint64_t> seq = DecodeSeq(View(value));
  if (!seq) return Status::Corruption("store: malformed meta value " + std::string(key));
  return *seq;
}

Result<uint64_t> RocksStore::LowestConsumerCursor() {
  const std::string prefix = CursorKey("");
  uint64_t lowest = std::numeric_limits<uint64_t>::max();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kMeta]));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<uint64_t> seq = DecodeSeq(View(it->value()));
    if (!seq) return Status::Corruption("store: malformed cursor " + it->key().ToString());
    lowest = std::min(lowest, *seq);
  }
  if (!it->status().ok()) return RocksReadError(it->status(), "store", "cursors");
  return lowest;
}

Result<uint64_t> RocksStore::RedactedThrough() {
  std::shared_lock<std::shared_mutex> lock;
  if (Status s = LockForRead(&lock); !s.ok()) return s;
  return ReadMetaSeq(kRedactedThroughKey);
}

Status RocksStore::RedactChunk(Micros cutoff, uint64_t from, uint64_t bound, size_t* redacted,
                               uint64_t* through, bool* stop) {
  const uint64_t end = std::min(bound, from + kPurgeChunk);  // inclusive
  const std::string upper = EncodeSeq(end + 1);              // end <= last seq < UINT64_MAX
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kEvents]));
  rocksdb::WriteBatch wb;
  uint64_t last = from;
  size_t changed = 0;
  for (it->Seek(EncodeSeq(from + 1)); it->Valid(); it->Next()) {
    std::optional<uint64_t> seq = DecodeSeq(View(it->key()));
    if (!seq) return Status::Corruption("store: malformed key in the events column family");
    if (*seq != last + 1) {
      return Status::Corruption("store: the log has a gap before seq " + std::to_string(*seq));
    }
    const std::string_view value = View(it->value());
    if (!IsRedactedEventValue(value)) {
      Result<Micros> received_at = PeekEventReceivedAt(value);
      if (!received_at.ok()) return received_at.status();
      if (*received_at >= cutoff) {
        *stop = true;
        break;
      }
      Result<StoredEvent> e = DecodeStoredEvent(*seq, value);
      if (!e.ok()) return e.status();
      std::string rewritten;
      try {
        rewritten = EncodeRedactedEventValue(*e);
      } catch (const std::exception& ex) {  // what was stored once encodes again; be safe
        return Status::Internal(std::string("store: cannot redact event: ") + ex.what());
      }
      if (rocksdb::Status s = wb.Put(cfs_[kEvents], it->key(), ToSlice(rewritten)); !s.ok()) {
        return Status::Internal("store: building the retention batch: " + s.ToString());
      }
      ++changed;
    }
    last = *seq;
  }
  if (!it->status().ok()) return RocksReadError(it->status(), "store", "events");
  if (!*stop && last != end) {
    return Status::Corruption("store: the log ends at seq " + std::to_string(last) +
                              " but the last written seq is " + std::to_string(last_seq_.load()));
  }
  if (last == from) return Status::Ok();  // the first event is too new: nothing to write
  if (rocksdb::Status s =
          wb.Put(cfs_[kMeta], ToSlice(kRedactedThroughKey), ToSlice(EncodeSeq(last)));
      !s.ok()) {
    return Status::Internal("store: building the retention batch: " + s.ToString());
  }
  // Not synced: the cursor is in the same batch, so a chunk a crash loses is simply
  // redone by the next run; the flush that follows makes it durable anyway.
  rocksdb::WriteOptions wo;
  wo.sync = false;
  if (rocksdb::Status s = db_->Write(wo, &wb); !s.ok()) {
    write_failed_.store(true);  // the next append (or RecoverWrites) reopens the database
    return PurgeWriteFailed(s);
  }
  *redacted += changed;
  *through = last;
  return Status::Ok();
}

Status RocksStore::CompactRedacted(uint64_t from, uint64_t through) {
  // Every family, not only `events`: a WAL file is deleted only when every family with
  // data in it has flushed, and the WAL holds each event as posted (finding 1 in
  // docs/security.md was this, in the message store).
  if (rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), cfs_); !s.ok()) {
    return Status::IOError("store: retention flush failed: " + s.ToString());
  }
  // Only the redacted range: the rest of the log has nothing to drop. Forcing the
  // bottommost level rewrites the table files that still hold the values as posted.
  const std::string begin = EncodeSeq(from + 1);
  const std::string end = EncodeSeq(through);
  rocksdb::Slice begin_slice(begin), end_slice(end);
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  // Background compactions go on meanwhile: an ingest burst must not stall on L0 files
  // waiting for this one.
  o.exclusive_manual_compaction = false;
  if (rocksdb::Status s = db_->CompactRange(o, cfs_[kEvents], &begin_slice, &end_slice); !s.ok()) {
    return Status::IOError("store: retention compaction of events failed: " + s.ToString());
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;  // lost in a crash: the next run compacts the range again
  if (rocksdb::Status s =
          db_->Put(wo, cfs_[kMeta], ToSlice(kCompactedThroughKey), ToSlice(EncodeSeq(through)));
      !s.ok()) {
    write_failed_.store(true);
    return PurgeWriteFailed(s);
  }
  return Status::Ok();
}

Result<RocksStore::EventPurge> RocksStore::PurgePersonalData(Micros cutoff,
                                                             uint64_t consumed_through) {
  std::lock_guard<std::mutex> purge_lock(purge_mu_);
  if (closed_.load()) return Status::Unavailable("store: closing");
  if (Status r = RecoverWrites(); !r.ok()) return r;

  EventPurge out;
  uint64_t compacted = 0, bound = 0;
  {
    std::shared_lock<std::shared_mutex> lock;
    if (Status s = LockForRead(&lock); !s.ok()) return s;
    Result<uint64_t> redacted = ReadMetaSeq(kRedactedThroughKey);
    if (!redacted.ok()) return redacted.status();
    Result<uint64_t> done = ReadMetaSeq(kCompactedThroughKey);
    if (!done.ok()) return done.status();
    Result<uint64_t> lowest = LowestConsumerCursor();
    if (!lowest.ok()) return lowest.status();
    out.redacted_through = *redacted;
    compacted = std::min(*done, *redacted);
    bound = std::min({last_seq_.load(), consumed_through, *lowest});
  }

  bool stop = false;
  while (!stop && out.redacted_through < bound) {
    // The shared lock is retaken per chunk so a reopen after a failed append can run
    // between chunks; nothing is held between them but purge_mu_.
    std::shared_lock<std::shared_mutex> lock;
    if (Status s = LockForRead(&lock); !s.ok()) return s;
    const uint64_t before = out.redacted_through;
    if (Status s = RedactChunk(cutoff, before, bound, &out.redacted, &out.redacted_through, &stop);
        !s.ok()) {
      return s;
    }
    if (out.redacted_through == before) break;  // the next event is too new
  }

  if (compacted < out.redacted_through) {
    std::shared_lock<std::shared_mutex> lock;
    if (Status s = LockForRead(&lock); !s.ok()) return s;
    if (Status s = CompactRedacted(compacted, out.redacted_through); !s.ok()) return s;
  }
  return out;
}

}  // namespace herald
