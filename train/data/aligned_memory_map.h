// AlignedMemoryMap: T-Free's pre-training index over a MemoryMap. Documents are cut into chunks
// at sentence-ish boundaries, and consecutive chunks are grouped until a group holds about
// max_bytes (20,000 bytes, ~4,000 T-Free words), so that one group fills one training sequence.
//
// Files beside the MemoryMap at prefix P, little-endian, no header, one entry per chunk:
//   P.indices.bin  uint32  the chunk's group id (0, 0, ..., 1, 1, ...: non-decreasing, no gaps)
//   P.lengths.bin  uint16  the chunk's length in bytes
//   P.offsets.bin  uint64  the chunk's absolute byte offset within P.bin
// This is the original implementation's byte layout, so files built by either side read in the
// other. Two of its quirks are not kept on the reading side: it looks a group up by a linear
// scan (here an index built once when the map opens), and it reports max(group id) groups, so
// that its last written group is never read (here every written group is readable).
//
// Chunking (build_aligned_index), with the original's constants max_bytes 20,000, tolerance 100
// and split bytes " .,!?":
//   - documents shorter than `tolerance` bytes are skipped;
//   - a chunk is at most max_bytes long, and at most the room left in the open group; when it
//     is cut to exactly that room, the group closes after it;
//   - a chunk ends just before the last split byte inside it (the split byte begins the next
//     chunk), so that no sentence is cut in the middle; a candidate with no split byte at all
//     is dropped with the rest of its document;
//   - what remains of a document after a chunk, if `tolerance` bytes or fewer, is dropped;
//   - chunks that are not valid UTF-8 are skipped;
//   - a group stays open while it holds less than max_bytes - tolerance bytes; the last group,
//     still open when the documents run out, is not written (it would not fill a sequence).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/mapped_file.h"
#include "train/data/memory_map.h"

namespace bytegrad::train {

struct AlignedChunking {
  uint64_t max_bytes = 20000;       // at most 65535: lengths are stored as uint16
  uint64_t tolerance = 100;
  std::string split_bytes = " .,!?";
};

struct AlignedIndexSummary {
  int64_t groups = 0;              // written (readable) groups
  int64_t chunks = 0;              // chunks in those groups
  int64_t skipped_documents = 0;   // shorter than the tolerance
  int64_t skipped_chunks = 0;      // invalid UTF-8
  uint64_t bytes = 0;              // bytes in written chunks
};

// Builds (or rebuilds) the aligned index of the MemoryMap at `prefix` by the rules above.
// Throws Error naming the file when the map cannot be read or the index written, or when the
// rules are out of range.
AlignedIndexSummary build_aligned_index(const std::string& prefix, const AlignedChunking& rules = {});

class AlignedMemoryMap {
 public:
  // Opens the MemoryMap at `prefix` and its three chunk files, validating that they hold the
  // same number of entries, that group ids start at 0 and never skip or go back, and that every
  // chunk lies inside P.bin. Throws Error naming the file and the problem.
  explicit AlignedMemoryMap(const std::string& prefix);

  int64_t size() const { return int64_t(group_first_.size()) - 1; }  // groups
  int64_t chunk_count() const { return chunk_count_; }
  // The chunks of group `index` in order (views into P.bin, valid while the map lives).
  std::vector<std::string_view> group(int64_t index) const;
  // The bytes of group `index`, summed over its chunks.
  uint64_t group_bytes(int64_t index) const;
  const MemoryMap& documents() const { return documents_; }

 private:
  std::string_view chunk(int64_t index) const;

  MemoryMap documents_;
  std::unique_ptr<io::MappedFile> lengths_;
  std::unique_ptr<io::MappedFile> offsets_;
  int64_t chunk_count_ = 0;
  std::vector<int64_t> group_first_;  // group g owns chunks group_first_[g] .. group_first_[g+1]-1
};

}  // namespace bytegrad::train
