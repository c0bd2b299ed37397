#include "engine/store/rocks_status.h"

namespace herald {

Status RocksReadError(const rocksdb::Status& s, std::string_view store, std::string_view what) {
  std::string msg =
      std::string(store) + ": reading " + std::string(what) + " failed: " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsShutdownInProgress()) return Status::Unavailable(std::move(msg));
  return Status::IOError(std::move(msg));
}

Status RocksOpenError(const rocksdb::Status& s, std::string_view store, const std::string& path) {
  const std::string detail = s.ToString();
  const std::string name(store);
  if (s.IsCorruption()) {
    return Status::Corruption(name + ": data in " + path + " is damaged: " + detail);
  }
  const bool denied = detail.find("Permission denied") != std::string::npos;
  if (!denied && (detail.find("lock hold by current process") != std::string::npos ||
                  detail.find("Resource temporarily unavailable") != std::string::npos)) {
    return Status::Unavailable(
        name + ": data directory " + path +
        " is in use by another herald process (its LOCK is held): " + detail);
  }
  return Status::IOError(name + ": cannot open data directory " + path + ": " + detail);
}

Status RocksCheckFormatVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                               std::string_view key, std::string_view version,
                               std::string_view store, const std::string& path) {
  std::string found;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, ToSlice(key), &found);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, meta, ToSlice(key), ToSlice(version));
    return s.ok() ? Status::Ok() : RocksOpenError(s, store, path);
  }
  if (!s.ok()) return RocksReadError(s, store, "the format version");
  if (found != version) {
    return Status::Corruption(std::string(store) + ": data in " + path + " has format version " +
                              found + "; this build reads version " + std::string(version));
  }
  return Status::Ok();
}

}  // namespace herald
