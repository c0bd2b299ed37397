#include "engine/store/rocks_recovery.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/listener.h>

#include <atomic>
#include <cstdint>

namespace herald {
namespace {

class NoAutoRecovery final : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "HeraldNoAutoRecovery"; }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> NoAutoRecoveryListener() {
  return std::make_shared<NoAutoRecovery>();
}

Status ProbeWritable(rocksdb::Env* env, const std::string& dir, std::string_view store) {
  static std::atomic<uint64_t> probes{0};  // concurrent probes use files of their own
  const std::string path = dir + "/herald-write-probe-" + std::to_string(++probes);
  std::unique_ptr<rocksdb::WritableFile> file;
  rocksdb::Status s = env->NewWritableFile(path, &file, rocksdb::EnvOptions());
  if (s.ok()) s = file->Append(std::string(4096, '\0'));
  if (s.ok()) s = file->Sync();
  if (file) {
    rocksdb::Status closed = file->Close();
    if (s.ok()) s = closed;
  }
  env->DeleteFile(path).PermitUncheckedError();  // absent when it could not be created
  if (!s.ok()) {
    return Status::Unavailable(std::string(store) +
                               ": storage is not accepting writes: " + s.ToString());
  }
  return Status::Ok();
}

void CloseRocksDb(rocksdb::DB** db, std::vector<rocksdb::ColumnFamilyHandle*>* cfs) {
  if (*db == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* h : *cfs) (*db)->DestroyColumnFamilyHandle(h);
  cfs->clear();
  // An error here has nowhere to go: the WAL holds everything that was written.
  (*db)->Close().PermitUncheckedError();
  delete *db;
  *db = nullptr;
}

}  // namespace herald
