// StorageFaults: a switch that makes a store's disk fail, for fault-injection tests.
//
// A store opened with a StorageFaults (StoreOptions::faults, MessageStoreOptions::faults,
// ScheduleStoreOptions::faults) does all its file I/O through a RocksDB FileSystem wrapper
// that asks this object before every write-side operation. While a fault is set, the
// chosen operations fail: appends to files (the WAL, table files, the MANIFEST), syncs
// (file and directory fsync, range syncs), the creation of files, and renames and links.
// kNoSpace fails them like ENOSPC (IOStatus::NoSpace, what a full disk gives), kReadOnly
// like EROFS (a plain IOError, what a file system remounted read-only gives). Reads always
// pass, as they do on a full or read-only disk. Set(kNone) clears the fault: the disk
// "has space again".
//
// Thread-safe: Set may be called while stores use it from any thread. Must outlive every
// store opened with it (stores hold a shared_ptr). Production never sets one; a store
// without it uses RocksDB's default file system directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace herald {

class StorageFaults {
 public:
  enum class Kind { kNone, kNoSpace, kReadOnly };
  // Which operations a fault applies to (a bit mask).
  enum Ops : unsigned {
    kWrites = 1,   // Append, PositionedAppend, Allocate, Truncate of files
    kSyncs = 2,    // Sync, Fsync, RangeSync of files; Fsync of directories
    kCreates = 4,  // new or reopened writable files
    kRenames = 8,  // renames and hard links (how RocksDB installs CURRENT and OPTIONS)
    kAllOps = kWrites | kSyncs | kCreates | kRenames,
  };

  StorageFaults();
  ~StorageFaults();
  StorageFaults(const StorageFaults&) = delete;
  StorageFaults& operator=(const StorageFaults&) = delete;

  // Sets the fault (kNone clears it) and the operations it hits.
  void Set(Kind kind, unsigned ops = kAllOps);
  void Clear() { Set(Kind::kNone); }
  Kind kind() const { return kind_.load(); }
  // Operations failed so far (a test can check its fault was actually hit).
  uint64_t failed_ops() const { return failed_.load(); }

  // For engine/store: the Env to open a database with (never null; owned by this object).
  rocksdb::Env* env();

  // For the wrapper: whether an operation of kind `op` fails now (counted when it does).
  bool ShouldFail(Ops op);

 private:
  struct Impl;
  std::atomic<Kind> kind_{Kind::kNone};
  std::atomic<unsigned> ops_{kAllOps};
  std::atomic<uint64_t> failed_{0};
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
