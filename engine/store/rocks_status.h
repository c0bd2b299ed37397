// Helpers shared by the RocksDB-backed stores (RocksStore, RocksScheduleStore): Slice
// conversions and the mapping of RocksDB statuses to herald's Status. Internal to
// engine/store.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace herald {

inline std::string_view View(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}
inline rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}

// A failed read (NotFound is handled by callers): Corruption, Unavailable while shutting
// down, IOError otherwise. `store` names the store in the message ("store", "schedule store").
Status RocksReadError(const rocksdb::Status& s, std::string_view store, std::string_view what);

// A failed DB::Open: Corruption for damaged data, Unavailable when another process (or
// another store in this one) holds the directory's LOCK, IOError otherwise.
Status RocksOpenError(const rocksdb::Status& s, std::string_view store, const std::string& path);

// At open: stamps `version` under `key` in `meta` on a new database, or refuses one
// written in another format (Corruption), so data is never read with the wrong codec.
Status RocksCheckFormatVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                               std::string_view key, std::string_view version,
                               std::string_view store, const std::string& path);

}  // namespace herald
