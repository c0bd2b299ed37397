// Recovery of the RocksDB-backed stores after a failed write (disk full, file system
// remounted read-only). Internal to engine/store.
//
// RocksDB stops taking writes after a failed WAL append, sync or flush. DB::Resume() is
// not a safe way back in RocksDB 7.8: after a failed WAL append it can clear the error
// without switching to a new WAL (when no memtable had data to flush), and the next write
// goes to the WAL writer that saw the error; Debian's build (assertions on) then aborts
// the process (WritableFileWriter::AssertFalseAndGetStatusForPrevError), a release build
// fails every later write. RocksDB's own background recovery (SstFileManager, for NoSpace)
// ends in the same Resume. So the stores turn that recovery off (NoAutoRecoveryListener),
// never call Resume, and recover by closing and reopening the database, which replays
// the WAL up to its last intact record and starts a new one, exactly like a restart.
// They reopen only once ProbeWritable says the disk takes a synced write again, so a
// disk that is still full is not reopened on every request.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class EventListener;
}  // namespace rocksdb

namespace herald {

// Tells RocksDB not to start its own recovery after a background error.
std::shared_ptr<rocksdb::EventListener> NoAutoRecoveryListener();

// Creates, writes (4 KiB), syncs and deletes a probe file in `dir` through `env`. OK when
// all of that worked; otherwise Unavailable naming `store`.
Status ProbeWritable(rocksdb::Env* env, const std::string& dir, std::string_view store);

// Destroys the handles, closes and deletes the database; *db becomes null. Safe on null.
void CloseRocksDb(rocksdb::DB** db, std::vector<rocksdb::ColumnFamilyHandle*>* cfs);

}  // namespace herald
