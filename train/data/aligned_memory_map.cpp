#include "train/data/aligned_memory_map.h"

#include <cstring>

#include "base/error.h"
#include "io/atomic_file.h"
#include "tokenizer/utf8.h"

namespace bytegrad::train {
namespace {

struct Chunk {
  uint64_t offset = 0;  // within P.bin
  uint16_t length = 0;
};

// Collects the chunks of the open group and writes a group's chunks once it closes, so that the
// group still open at the end can be left out.
class ChunkFiles {
 public:
  explicit ChunkFiles(const std::string& prefix)
      : indices_(prefix + ".indices.bin"), lengths_(prefix + ".lengths.bin"),
        offsets_(prefix + ".offsets.bin") {}

  void add(Chunk chunk) {
    open_.push_back(chunk);
    open_bytes_ += chunk.length;
  }
  uint64_t open_bytes() const { return open_bytes_; }

  void close_group(AlignedIndexSummary& summary) {
    if (open_.empty()) return;
    const auto group = uint32_t(summary.groups);
    for (const Chunk& chunk : open_) {
      indices_.write(&group, sizeof(group));
      lengths_.write(&chunk.length, sizeof(chunk.length));
      offsets_.write(&chunk.offset, sizeof(chunk.offset));
    }
    summary.groups += 1;
    summary.chunks += int64_t(open_.size());
    summary.bytes += open_bytes_;
    open_.clear();
    open_bytes_ = 0;
  }

  void commit() {
    indices_.commit();
    lengths_.commit();
    offsets_.commit();
  }

 private:
  io::AtomicFile indices_, lengths_, offsets_;
  std::vector<Chunk> open_;
  uint64_t open_bytes_ = 0;
};

// The position of the last split byte in text[begin + 1, end), or `begin` when there is none.
// The byte at `begin` is skipped: a chunk that follows another starts at the split byte that
// ended it, and must not end there again.
size_t last_split(std::string_view text, size_t begin, size_t end, std::string_view split_bytes) {
  for (size_t i = end; i-- > begin + 1;)
    if (split_bytes.find(text[i]) != std::string_view::npos) return i;
  return begin;
}

}  // namespace

AlignedIndexSummary build_aligned_index(const std::string& prefix, const AlignedChunking& rules) {
  BYTEGRAD_CHECK(rules.max_bytes > rules.tolerance && rules.max_bytes <= 65535 &&
                     !rules.split_bytes.empty(),
                 prefix, ": aligned chunking needs tolerance < max_bytes <= 65535 and split "
                 "bytes, got max_bytes ", rules.max_bytes, ", tolerance ", rules.tolerance);
  const MemoryMap documents(prefix);
  ChunkFiles files(prefix);
  AlignedIndexSummary summary;
  const uint64_t group_target = rules.max_bytes - rules.tolerance;
  for (int64_t d = 0; d < documents.size(); ++d) {
    const std::string_view document = documents[d];
    if (document.size() < rules.tolerance) {
      ++summary.skipped_documents;
      continue;
    }
    size_t position = 0;
    while (document.size() - position > rules.tolerance || position == 0) {
      // A chunk may take at most the room the open group has left; cut to exactly that room,
      // it closes the group.
      const uint64_t room = rules.max_bytes - files.open_bytes();
      size_t candidate = std::min<size_t>(rules.max_bytes, document.size() - position);
      const bool fills_room = candidate >= room;
      if (fills_room) candidate = room;
      const size_t end = last_split(document, position, position + candidate, rules.split_bytes);
      if (end == position) {
        // No boundary inside the candidate: a fresh group gives a longer window; an empty one
        // already had the longest, so the rest of the document cannot be cut and is dropped.
        if (files.open_bytes() == 0) break;
        files.close_group(summary);
        continue;
      }
      const std::string_view text = document.substr(position, end - position);
      if (tokenizer::is_valid_utf8(text))
        files.add({documents.offset(d) + position, uint16_t(text.size())});
      else
        ++summary.skipped_chunks;
      if (fills_room || files.open_bytes() >= group_target) files.close_group(summary);
      position = end;
    }
  }
  // The group still open here is left out: it would not fill a training sequence.
  files.commit();
  return summary;
}

AlignedMemoryMap::AlignedMemoryMap(const std::string& prefix) : documents_(prefix) {
  const io::MappedFile indices(prefix + ".indices.bin");
  lengths_ = std::make_unique<io::MappedFile>(prefix + ".lengths.bin");
  offsets_ = std::make_unique<io::MappedFile>(prefix + ".offsets.bin");
  BYTEGRAD_CHECK(indices.size() % 4 == 0, indices.path(), ": size ", indices.size(),
                 " is not a whole number of uint32 group ids");
  chunk_count_ = int64_t(indices.size() / 4);
  BYTEGRAD_CHECK(lengths_->size() == uint64_t(chunk_count_) * 2 &&
                     offsets_->size() == uint64_t(chunk_count_) * 8,
                 prefix, ": the chunk files disagree: ", chunk_count_, " group ids in ",
                 indices.path(), " but ", lengths_->size(), " bytes of uint16 lengths and ",
                 offsets_->size(), " bytes of uint64 offsets");
  group_first_.push_back(0);
  uint32_t previous = 0;
  for (int64_t c = 0; c < chunk_count_; ++c) {
    uint32_t group = 0;
    std::memcpy(&group, indices.data() + 4 * c, sizeof(group));
    BYTEGRAD_CHECK(c > 0 ? group == previous || group == previous + 1 : group == 0,
                   indices.path(), ": chunk ", c, " has group id ", group,
                   c > 0 ? concat(" after ", previous) : std::string(),
                   " (ids must start at 0 and grow by at most 1)");
    if (group != previous) group_first_.push_back(c);
    previous = group;
    chunk(c);  // checks that the chunk lies inside P.bin
  }
  if (chunk_count_ > 0) group_first_.push_back(chunk_count_);
}

std::string_view AlignedMemoryMap::chunk(int64_t index) const {
  uint16_t length = 0;
  uint64_t offset = 0;
  std::memcpy(&length, lengths_->data() + 2 * index, sizeof(length));
  std::memcpy(&offset, offsets_->data() + 8 * index, sizeof(offset));
  const std::string_view data = documents_.bytes();
  BYTEGRAD_CHECK(offset <= data.size() && length <= data.size() - offset, offsets_->path(),
                 ": chunk ", index, " (offset ", offset, ", length ", length,
                 ") runs past the end of ", documents_.prefix(), ".bin (", data.size(), " bytes)");
  return data.substr(offset, length);
}

std::vector<std::string_view> AlignedMemoryMap::group(int64_t index) const {
  BYTEGRAD_CHECK(index >= 0 && index < size(), documents_.prefix(), ": aligned group ", index,
                 " out of range [0, ", size(), ")");
  std::vector<std::string_view> chunks;
  for (int64_t c = group_first_[size_t(index)]; c < group_first_[size_t(index) + 1]; ++c)
    chunks.push_back(chunk(c));
  return chunks;
}

uint64_t AlignedMemoryMap::group_bytes(int64_t index) const {
  uint64_t bytes = 0;
  for (std::string_view piece : group(index)) bytes += piece.size();
  return bytes;
}

}  // namespace bytegrad::train
