// RocksMessageStore::PurgePersonalData: the message side of `retention.pii` (see
// message_store_rocks.h). Kept apart from the read and commit paths.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/redact.h"
#include "engine/store/message_codec.h"
#include "engine/store/message_store_rocks.h"
#include "engine/store/rocks_status.h"

namespace herald {
namespace {

// Messages changed per write: bounds the batch and the time commit_mu_ is held.
constexpr size_t kPurgeChunk = 1000;

}  // namespace

Result<size_t> RocksMessageStore::PurgePersonalData(Micros cutoff) {
  // The ids to purge first (a snapshot read), then each chunk re-read and rewritten under
  // commit_mu_, so a receipt or a retry committed meanwhile is never overwritten.
  std::shared_lock<std::shared_mutex> db_lock;  // before commit_mu_ (the lock order)
  if (Status s = LockForRead(&db_lock); !s.ok()) return s;
  std::vector<std::string> ids;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cfs_[kMessages]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Result<Message> m = DecodeMessageState(View(it->value()));
      if (!m.ok()) return m.status();
      if (m->created_at < cutoff && IsSettled(m->status)) ids.emplace_back(View(it->key()));
    }
    if (!it->status().ok()) return RocksReadError(it->status(), "message store", "messages");
  }
  size_t changed = 0;
  for (size_t start = 0; start < ids.size(); start += kPurgeChunk) {
    std::lock_guard<std::mutex> lock(commit_mu_);
    rocksdb::WriteBatch wb;
    const size_t end = std::min(ids.size(), start + kPurgeChunk);
    for (size_t i = start; i < end; ++i) {
      Result<std::optional<std::string>> value = GetValue(kMessages, ids[i], "message");
      if (!value.ok()) return value.status();
      if (!*value) continue;
      Result<Message> m = DecodeMessageState(**value);
      if (!m.ok()) return m.status();
      Result<std::optional<std::string>> body = GetValue(kBodies, ids[i], "rendering");
      if (!body.ok()) return body.status();
      const std::string reason = RedactPersonalData(m->reason);
      bool history_changed = false;
      for (MessageEvent& e : m->history) {
        std::string redacted = RedactPersonalData(e.detail);
        if (redacted != e.detail) {
          e.detail = std::move(redacted);
          history_changed = true;
        }
      }
      if (m->to.empty() && !*body && reason == m->reason && !history_changed) continue;
      m->to.clear();
      m->reason = reason;
      wb.Put(cfs_[kMessages], ToSlice(ids[i]), ToSlice(EncodeMessageState(*m)));
      if (*body) wb.Delete(cfs_[kBodies], ToSlice(ids[i]));
      ++changed;
    }
    if (wb.Count() == 0) continue;
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync_writes;
    rocksdb::Status ws = db_->Write(wo, &wb);
    if (!ws.ok()) {
      write_failed_.store(true);  // the next Commit reopens the database
      return Status::Unavailable("message store: purge write failed: " + ws.ToString());
    }
    ++commit_generation_;
  }
  if (changed > 0) {
    // The WAL file that holds a message as intake wrote it is released only when every
    // family with data in it has flushed past it (ready, case_messages and meta are
    // written in the same batches and may sit in memory for days): flush them all.
    rocksdb::Status fs = db_->Flush(rocksdb::FlushOptions(), cfs_);
    if (!fs.ok()) return Status::IOError("message store: flush failed: " + fs.ToString());
    // Deleted and overwritten values live on in older files until compaction rewrites
    // them; force it down to the last level so the bytes are gone from disk.
    for (Cf cf : {kMessages, kBodies}) {
      rocksdb::CompactRangeOptions o;
      o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      rocksdb::Status s = db_->CompactRange(o, cfs_[cf], nullptr, nullptr);
      if (!s.ok()) return Status::IOError("message store: compaction failed: " + s.ToString());
    }
  }
  return changed;
}

}  // namespace herald
