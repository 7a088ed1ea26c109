// AlignedMemoryMap: a second index over a MemoryMap that groups consecutive documents until
// each group holds at least `min_bytes` bytes, so that one group fills a pre-training sequence
// and every document is still seen exactly once per epoch (T-Free's AlignedMemoryMap).
// Grouping rule: walk the documents in order, add each to the open group, and close the group
// as soon as its byte total reaches min_bytes. The last group takes whatever remains and may be
// shorter; every document belongs to exactly one group.
//
// Files beside the MemoryMap at prefix P:
//   P.aligned.idx        per group two little-endian uint64: (first document, document count)
//   P.aligned.meta.json  {"min_bytes": M, "group_count": G, "document_count": N}
// where N is the MemoryMap's document count when the index was built (a mismatch means the
// index is stale).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "train/data/memory_map.h"

namespace bytegrad::train {

// Builds (or rebuilds) the aligned index of the MemoryMap at `prefix`. min_bytes must be
// positive. Throws Error naming the file when the map cannot be read or the index written.
void build_aligned_index(const std::string& prefix, uint64_t min_bytes);

class AlignedMemoryMap {
 public:
  // Opens the MemoryMap at `prefix` and its aligned index, validating that the groups cover
  // the documents in order, each exactly once. Throws Error naming the file and the problem.
  explicit AlignedMemoryMap(const std::string& prefix);

  int64_t size() const { return int64_t(groups_.size()); }
  uint64_t min_bytes() const { return min_bytes_; }
  // The documents of group `index` in order (views into the map).
  std::vector<std::string_view> group(int64_t index) const;
  // The bytes of group `index`, summed over its documents.
  uint64_t group_bytes(int64_t index) const;
  const MemoryMap& documents() const { return documents_; }

 private:
  struct Group {  // one entry of P.aligned.idx, read as it lies on disk
    uint64_t first, count;
  };
  static_assert(sizeof(Group) == 2 * sizeof(uint64_t));
  const Group& at(int64_t index) const;

  MemoryMap documents_;
  uint64_t min_bytes_ = 0;
  std::vector<Group> groups_;
};

}  // namespace bytegrad::train
