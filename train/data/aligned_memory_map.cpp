#include "train/data/aligned_memory_map.h"

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"

namespace bytegrad::train {
namespace {

uint64_t meta_count(const nlohmann::json& meta, const char* key, const std::string& path) {
  BYTEGRAD_CHECK(meta.contains(key) && meta[key].is_number_unsigned(), path, ": '", key,
                 "' must be a non-negative integer");
  return meta[key].get<uint64_t>();
}

nlohmann::json read_meta(const std::string& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), path, ": cannot open (build the aligned index first)");
  try {
    const nlohmann::json meta = nlohmann::json::parse(in);
    BYTEGRAD_CHECK(meta.is_object(), path, ": expected a JSON object");
    return meta;
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(concat(path, ": not valid JSON: ", e.what()));
  }
}

}  // namespace

void build_aligned_index(const std::string& prefix, uint64_t min_bytes) {
  BYTEGRAD_CHECK(min_bytes > 0, prefix, ": aligned index needs min_bytes > 0");
  const MemoryMap documents(prefix);
  io::AtomicFile index(prefix + ".aligned.idx");
  uint64_t group_count = 0, first = 0, bytes = 0;
  auto close_group = [&](uint64_t end) {
    const uint64_t entry[2] = {first, end - first};
    index.write(entry, sizeof(entry));
    ++group_count;
    first = end;
    bytes = 0;
  };
  const uint64_t document_count = uint64_t(documents.size());
  for (uint64_t i = 0; i < document_count; ++i) {
    bytes += documents.length(int64_t(i));
    if (bytes >= min_bytes) close_group(i + 1);
  }
  if (first < document_count) close_group(document_count);
  index.commit();
  const std::string meta = nlohmann::json{{"min_bytes", min_bytes},
                                          {"group_count", group_count},
                                          {"document_count", document_count}}
                               .dump() + "\n";
  io::write_file_atomically(prefix + ".aligned.meta.json", meta.data(), meta.size());
}

AlignedMemoryMap::AlignedMemoryMap(const std::string& prefix) : documents_(prefix) {
  const std::string meta_path = prefix + ".aligned.meta.json";
  const nlohmann::json meta = read_meta(meta_path);
  min_bytes_ = meta_count(meta, "min_bytes", meta_path);
  const uint64_t group_count = meta_count(meta, "group_count", meta_path);
  const uint64_t document_count = meta_count(meta, "document_count", meta_path);
  BYTEGRAD_CHECK(document_count == uint64_t(documents_.size()), meta_path, ": built for ",
                 document_count, " documents, but the MemoryMap holds ", documents_.size(),
                 " (stale index: rebuild it)");
  const io::MappedFile index(prefix + ".aligned.idx");
  BYTEGRAD_CHECK(index.size() == group_count * sizeof(Group), index.path(), ": ", index.size(),
                 " bytes, but ", group_count, " groups need ", group_count * sizeof(Group));
  groups_.resize(group_count);
  if (group_count > 0) std::memcpy(groups_.data(), index.data(), index.size());
  uint64_t next = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    BYTEGRAD_CHECK(groups_[g].first == next && groups_[g].count > 0 &&
                       groups_[g].count <= document_count - next,
                   index.path(), ": group ", g, " covers documents [", groups_[g].first, ", +",
                   groups_[g].count, "), expected a non-empty run starting at ", next);
    next += groups_[g].count;
  }
  BYTEGRAD_CHECK(next == document_count, index.path(), ": groups cover ", next, " of ",
                 document_count, " documents");
}

const AlignedMemoryMap::Group& AlignedMemoryMap::at(int64_t index) const {
  BYTEGRAD_CHECK(index >= 0 && index < size(), documents_.prefix(), ": aligned group ", index,
                 " out of range [0, ", size(), ")");
  return groups_[size_t(index)];
}

std::vector<std::string_view> AlignedMemoryMap::group(int64_t index) const {
  const Group& g = at(index);
  std::vector<std::string_view> result;
  for (uint64_t i = g.first; i < g.first + g.count; ++i) result.push_back(documents_[int64_t(i)]);
  return result;
}

uint64_t AlignedMemoryMap::group_bytes(int64_t index) const {
  const Group& g = at(index);
  uint64_t bytes = 0;
  for (uint64_t i = g.first; i < g.first + g.count; ++i) bytes += documents_.length(int64_t(i));
  return bytes;
}

}  // namespace bytegrad::train
