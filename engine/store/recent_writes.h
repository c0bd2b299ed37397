// RecentWrites: which keys the last few write groups changed, for validating reads made
// before those groups.
//
// Internal to engine/store. Request threads read committed state (cases, recipients,
// idempotency entries) before they join the writer queue, noting the generation that was
// published when they started reading; by the time the group-commit leader takes the
// request, later groups may have changed some of those keys. The leader marks every key
// it writes with its group's generation here, and asks WrittenAfter(key, snapshot) for
// each key a request read: false means the key is unchanged since the snapshot, so the
// value the request read is still the committed one.
//
// Answers are conservative: keys are tracked by KeyHash, and memory is bounded by keeping
// two tables of up to `capacity` keys; when the newer one fills, the older one is dropped
// and every snapshot older than the newest generation it held is reported as "written"
// (its reader falls back to reading again). So WrittenAfter may say true for an unchanged
// key, never false for a changed one.
//
// Not thread-safe: only the current leader uses it (leadership passes under the writer
// queue's mutex, which orders one leader's marks before the next leader's queries).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace herald {

class RecentWrites {
 public:
  // `capacity`: keys per table (two tables are kept); rounded up to a power of two.
  explicit RecentWrites(size_t capacity = size_t{1} << 17);

  // Records that generation `gen` wrote the key with this hash. Generations passed here
  // never decrease.
  void Mark(uint64_t key_hash, uint64_t gen);

  // True when the key may have been written by a generation after `snapshot_gen`.
  bool WrittenAfter(uint64_t key_hash, uint64_t snapshot_gen) const;

  // Snapshots older than this are no longer covered (every key reads as written).
  uint64_t floor() const { return floor_; }

  // From now on every snapshot older than `gen` reads every key as written (the store
  // reopened its database: reads made before may miss what the reopen brought back).
  void InvalidateBefore(uint64_t gen) { floor_ = gen > floor_ ? gen : floor_; }

 private:
  // Open addressing with linear probing; key 0 marks an empty slot.
  struct Table {
    std::vector<uint64_t> keys, gens;
    size_t size = 0;
    uint64_t max_gen = 0;
    uint64_t Find(uint64_t key) const;  // the gen for key, 0 when absent
    void Put(uint64_t key, uint64_t gen);
    void Clear();
  };

  const size_t capacity_;
  Table current_, previous_;
  uint64_t floor_ = 0;
};

}  // namespace herald
