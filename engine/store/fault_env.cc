// The file system behind StorageFaults: RocksDB's default one, wrapped so that every
// write-side call first asks the StorageFaults whether to fail.
#include "engine/store/fault_env.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/io_status.h>

#include <memory>
#include <string>
#include <utility>

namespace herald {
namespace {

using rocksdb::FileOptions;
using rocksdb::FSDirectory;
using rocksdb::FSRandomRWFile;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// The status a failed operation returns: what RocksDB's POSIX file system returns for
// ENOSPC and for EROFS.
IOStatus Injected(StorageFaults& faults, StorageFaults::Ops op) {
  if (!faults.ShouldFail(op)) return IOStatus::OK();
  if (faults.kind() == StorageFaults::Kind::kNoSpace) {
    return IOStatus::NoSpace("injected fault", "No space left on device");
  }
  return IOStatus::IOError("injected fault", "Read-only file system");
}

#define HERALD_FAULT(op)                                                             \
  do {                                                                               \
    if (IOStatus injected = Injected(*faults_, op); !injected.ok()) return injected; \
  } while (0)

class FaultWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<FSWritableFile> file, StorageFaults* faults)
      : FSWritableFileOwnerWrapper(std::move(file)), faults_(faults) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kWrites);
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kWrites);
    return FSWritableFileOwnerWrapper::Append(data, o, info, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kWrites);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kWrites);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, info, dbg);
  }
  IOStatus Allocate(uint64_t offset, uint64_t len, const IOOptions& o,
                    IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kWrites);
    return FSWritableFileOwnerWrapper::Allocate(offset, len, o, dbg);
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kWrites);
    return FSWritableFileOwnerWrapper::Truncate(size, o, dbg);
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kSyncs);
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kSyncs);
    return FSWritableFileOwnerWrapper::Fsync(o, dbg);
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& o,
                     IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kSyncs);
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, o, dbg);
  }

 private:
  StorageFaults* faults_;
};

class FaultDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<FSDirectory> dir, StorageFaults* faults)
      : FSDirectoryWrapper(std::move(dir)), faults_(faults) {}

  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kSyncs);
    return FSDirectoryWrapper::Fsync(o, dbg);
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& dir_options) override {
    HERALD_FAULT(StorageFaults::kSyncs);
    return FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, dir_options);
  }

 private:
  StorageFaults* faults_;
};

class FaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base, StorageFaults* faults)
      : FileSystemWrapper(std::move(base)), faults_(faults) {}

  const char* Name() const override { return "HeraldFaultFileSystem"; }

  IOStatus NewWritableFile(const std::string& f, const FileOptions& fo,
                           std::unique_ptr<FSWritableFile>* r, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kCreates);
    return Wrap(FileSystemWrapper::NewWritableFile(f, fo, r, dbg), r);
  }
  IOStatus ReopenWritableFile(const std::string& f, const FileOptions& fo,
                              std::unique_ptr<FSWritableFile>* r, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kCreates);
    return Wrap(FileSystemWrapper::ReopenWritableFile(f, fo, r, dbg), r);
  }
  IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const FileOptions& fo,
                             std::unique_ptr<FSWritableFile>* r, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kCreates);
    return Wrap(FileSystemWrapper::ReuseWritableFile(f, old, fo, r, dbg), r);
  }
  IOStatus NewRandomRWFile(const std::string& f, const FileOptions& fo,
                           std::unique_ptr<FSRandomRWFile>* r, IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kCreates);
    return FileSystemWrapper::NewRandomRWFile(f, fo, r, dbg);
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& o,
                        std::unique_ptr<FSDirectory>* r, IODebugContext* dbg) override {
    IOStatus s = FileSystemWrapper::NewDirectory(name, o, r, dbg);
    if (s.ok()) *r = std::make_unique<FaultDirectory>(std::move(*r), faults_);
    return s;
  }
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& o,
                      IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kRenames);
    return FileSystemWrapper::RenameFile(from, to, o, dbg);
  }
  IOStatus LinkFile(const std::string& from, const std::string& to, const IOOptions& o,
                    IODebugContext* dbg) override {
    HERALD_FAULT(StorageFaults::kRenames);
    return FileSystemWrapper::LinkFile(from, to, o, dbg);
  }

 private:
  IOStatus Wrap(IOStatus s, std::unique_ptr<FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<FaultWritableFile>(std::move(*r), faults_);
    return s;
  }

  StorageFaults* faults_;
};

#undef HERALD_FAULT

}  // namespace

struct StorageFaults::Impl {
  std::shared_ptr<rocksdb::FileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

StorageFaults::StorageFaults() : impl_(std::make_unique<Impl>()) {
  impl_->fs = std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default(), this);
  impl_->env = rocksdb::NewCompositeEnv(impl_->fs);
}

StorageFaults::~StorageFaults() = default;

void StorageFaults::Set(Kind kind, unsigned ops) {
  ops_.store(ops);
  kind_.store(kind);
}

bool StorageFaults::ShouldFail(Ops op) {
  if (kind_.load() == Kind::kNone || (ops_.load() & op) == 0) return false;
  failed_.fetch_add(1);
  return true;
}

rocksdb::Env* StorageFaults::env() {
  return impl_->env.get();
}

}  // namespace herald
