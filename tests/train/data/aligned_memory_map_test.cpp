// AlignedMemoryMap: consecutive documents grouped until each group reaches min_bytes; every
// document in exactly one group; stale or damaged indexes are named.
#include <doctest/doctest.h>

#include <string>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/data/aligned_memory_map.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

// Documents of these lengths, each filled with a letter of its own.
std::string write_lengths(const std::string& name, const std::vector<size_t>& lengths) {
  const std::string prefix = scratch_directory(name) + "/docs";
  MemoryMapWriter writer(prefix);
  for (size_t i = 0; i < lengths.size(); ++i) writer.add(std::string(lengths[i], char('a' + i)));
  writer.finish();
  return prefix;
}

std::vector<std::vector<size_t>> group_lengths(const AlignedMemoryMap& map) {
  std::vector<std::vector<size_t>> groups;
  for (int64_t g = 0; g < map.size(); ++g) {
    groups.emplace_back();
    for (std::string_view document : map.group(g)) groups.back().push_back(document.size());
  }
  return groups;
}

}  // namespace

TEST_CASE("aligned memory map: a group closes as soon as it reaches min_bytes; the rest forms the last") {
  const std::string prefix = write_lengths("aligned_grouping", {3, 4, 10, 1, 1, 5, 2, 0, 1});
  build_aligned_index(prefix, 6);
  const AlignedMemoryMap map(prefix);
  CHECK(map.min_bytes() == 6);
  // 3+4 >= 6 | 10 | 1+1+5 | 2+0+1 (short: what remains)
  CHECK(group_lengths(map) == std::vector<std::vector<size_t>>{{3, 4}, {10}, {1, 1, 5}, {2, 0, 1}});
  CHECK(map.group_bytes(0) == 7);
  CHECK(map.group_bytes(3) == 3);
  CHECK(map.group(1).front() == std::string(10, 'c'));
  CHECK(error_of([&] { map.group(4); }).find("aligned group 4 out of range [0, 4)") != std::string::npos);
}

TEST_CASE("aligned memory map: a last document that reaches min_bytes leaves no short group") {
  const std::string prefix = write_lengths("aligned_exact", {2, 2, 2, 2});
  build_aligned_index(prefix, 4);
  CHECK(group_lengths(AlignedMemoryMap(prefix)) == std::vector<std::vector<size_t>>{{2, 2}, {2, 2}});
}

TEST_CASE("aligned memory map: rebuilt with another min_bytes, the groups follow") {
  const std::string prefix = write_lengths("aligned_rebuild", {1, 1, 1, 1, 1});
  build_aligned_index(prefix, 2);
  CHECK(AlignedMemoryMap(prefix).size() == 3);
  build_aligned_index(prefix, 100);
  CHECK(group_lengths(AlignedMemoryMap(prefix)) == std::vector<std::vector<size_t>>{{1, 1, 1, 1, 1}});
}

TEST_CASE("aligned memory map: missing, stale and damaged indexes are named") {
  const std::string prefix = write_lengths("aligned_damaged", {5, 5, 5});
  auto error = [&] { return error_of([&] { AlignedMemoryMap map(prefix); }); };
  CHECK(error().rfind(prefix + ".aligned.meta.json: cannot open", 0) == 0);
  CHECK(error_of([&] { build_aligned_index(prefix, 0); }).find("min_bytes > 0") != std::string::npos);

  build_aligned_index(prefix, 5);
  std::vector<char> index = read_bytes(prefix + ".aligned.idx");
  index[16] = 2;  // group 1 now claims to start at document 2
  write_bytes(prefix + ".aligned.idx", index);
  CHECK(error().rfind(prefix + ".aligned.idx: group 1 covers documents [2, +1)", 0) == 0);
  index.resize(40);
  write_bytes(prefix + ".aligned.idx", index);
  CHECK(error().rfind(prefix + ".aligned.idx: 40 bytes, but 3 groups need 48", 0) == 0);

  MemoryMapWriter writer(prefix);
  writer.add("only one document now");
  writer.finish();
  CHECK(error().rfind(prefix + ".aligned.meta.json: built for 3 documents, but the MemoryMap holds 1", 0) == 0);
}

}  // namespace bytegrad::train
