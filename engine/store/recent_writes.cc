#include "engine/store/recent_writes.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace herald {
namespace {

// Empty slots hold 0, so a real hash of 0 is stored as 1 (a collision, hence harmless).
uint64_t Slot(uint64_t hash) {
  return hash == 0 ? 1 : hash;
}

}  // namespace

RecentWrites::RecentWrites(size_t capacity)
    : capacity_(std::bit_ceil(std::max<size_t>(capacity, 4))) {
  // Twice as many slots as keys keeps probe sequences short.
  for (Table* t : {&current_, &previous_}) {
    t->keys.assign(2 * capacity_, 0);
    t->gens.assign(2 * capacity_, 0);
  }
}

uint64_t RecentWrites::Table::Find(uint64_t key) const {
  const size_t mask = keys.size() - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    if (keys[i] == key) return gens[i];
    if (keys[i] == 0) return 0;
  }
}

void RecentWrites::Table::Put(uint64_t key, uint64_t gen) {
  const size_t mask = keys.size() - 1;
  size_t i = key & mask;
  while (keys[i] != 0 && keys[i] != key) i = (i + 1) & mask;
  if (keys[i] == 0) {
    keys[i] = key;
    ++size;
  }
  gens[i] = gen;
  max_gen = gen;
}

void RecentWrites::Table::Clear() {
  std::fill(keys.begin(), keys.end(), 0);
  size = 0;
  max_gen = 0;
}

void RecentWrites::Mark(uint64_t key_hash, uint64_t gen) {
  if (current_.size >= capacity_) {
    // Drop the older table: snapshots before its newest generation lose their coverage.
    floor_ = std::max(floor_, previous_.max_gen);
    std::swap(current_, previous_);
    current_.Clear();
  }
  current_.Put(Slot(key_hash), gen);
}

bool RecentWrites::WrittenAfter(uint64_t key_hash, uint64_t snapshot_gen) const {
  if (snapshot_gen < floor_) return true;
  const uint64_t key = Slot(key_hash);
  return current_.Find(key) > snapshot_gen || previous_.Find(key) > snapshot_gen;
}

}  // namespace herald
