// The ceiling for ingest: raw RocksDB WriteBatch appends of records shaped like herald's
// log entries (big-endian sequence keys, ~300-byte values), with the same sync setting.
// Usage: raw_rocksdb_bench --dir DIR [--records N] [--batch B] [--value-bytes V] [--sync 0|1]
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void PutBigEndian(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  uint64_t records = 500000, batch = 1000, value_bytes = 300;
  bool sync = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--dir")
      dir = v;
    else if (flag == "--records")
      records = std::strtoull(v, nullptr, 10);
    else if (flag == "--batch")
      batch = std::strtoull(v, nullptr, 10);
    else if (flag == "--value-bytes")
      value_bytes = std::strtoull(v, nullptr, 10);
    else if (flag == "--sync")
      sync = std::strcmp(v, "0") != 0;
  }
  if (dir.empty() || batch == 0) {
    std::fprintf(stderr,
                 "usage: raw_rocksdb_bench --dir DIR [--records N] [--batch B] [--value-bytes V] "
                 "[--sync 0|1]\n");
    return 2;
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 64 << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  std::string value(value_bytes, 'x');
  std::string key;
  const auto start = std::chrono::steady_clock::now();
  uint64_t seq = 0;
  while (seq < records) {
    rocksdb::WriteBatch wb;
    for (uint64_t i = 0; i < batch && seq < records; ++i) {
      key.clear();
      PutBigEndian(key, ++seq);
      std::memcpy(value.data(), key.data(), 8);  // distinct values, like real records
      wb.Put(key, value);
    }
    s = db->Write(wo, &wb);
    if (!s.ok()) {
      std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "raw_rocksdb records=%llu batch=%llu value_bytes=%llu sync=%d seconds=%.3f "
      "records_per_s=%.0f\n",
      static_cast<unsigned long long>(records), static_cast<unsigned long long>(batch),
      static_cast<unsigned long long>(value_bytes), sync ? 1 : 0, seconds,
      static_cast<double>(records) / seconds);
  return 0;
}
