// AlignedMemoryMap: documents cut into chunks at split bytes and grouped to about max_bytes, in
// the original implementation's three-file layout; damaged chunk files are named.
#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/data/aligned_memory_map.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

std::string write_documents(const std::string& name, const std::vector<std::string>& documents) {
  const std::string prefix = scratch_directory(name) + "/docs";
  MemoryMapWriter writer(prefix);
  for (const std::string& document : documents) writer.add(document);
  writer.finish();
  return prefix;
}

using Groups = std::vector<std::vector<std::pair<uint64_t, size_t>>>;  // (offset, length)

Groups chunk_positions(const AlignedMemoryMap& map) {
  const char* base = map.documents().bytes().data();
  Groups groups;
  for (int64_t g = 0; g < map.size(); ++g) {
    groups.emplace_back();
    for (std::string_view chunk : map.group(g))
      groups.back().emplace_back(uint64_t(chunk.data() - base), chunk.size());
  }
  return groups;
}

const std::vector<std::string> kDocuments = {
    "abc",                                              // shorter than the tolerance: skipped
    "The cat sat. The dog ran far away, then home.",    // cut at spaces and full stops
    "Short one here.",
    "abcdefghijkl tail end",                            // no split byte in the first window
    "Another doc, with words! And more words here.",
};

}  // namespace

TEST_CASE("aligned memory map: chunks end before the last split byte and fill groups to max_bytes") {
  const std::string prefix = write_documents("aligned_chunks", kDocuments);
  const AlignedIndexSummary summary = build_aligned_index(prefix, {.max_bytes = 20, .tolerance = 4});
  const AlignedMemoryMap map(prefix);
  // Worked by hand from the rules in aligned_memory_map.h: e.g. the first window of document 1
  // is "The cat sat. The dog"; its last split byte is the space before "dog", so the chunk is
  // "The cat sat. The" and the next one starts at that space. The last group, still open when
  // the documents end, is not written.
  CHECK(chunk_positions(map) == Groups{{{3, 16}}, {{19, 18}}, {{37, 10}, {48, 9}}, {{57, 5}, {63, 12}},
                                       {{75, 5}, {84, 12}}, {{96, 16}}, {{112, 16}}});
  CHECK(map.group(0).front() == "The cat sat. The");
  CHECK(summary.groups == 7);
  CHECK(summary.chunks == 10);
  CHECK(summary.skipped_documents == 1);
  CHECK(map.chunk_count() == 10);
  CHECK(map.group_bytes(2) == 19);
  CHECK(error_of([&] { map.group(7); }).find("aligned group 7 out of range [0, 7)") != std::string::npos);
}

TEST_CASE("aligned memory map: the original's constants, and chunks that are not UTF-8 skipped") {
  std::string long_document;
  while (long_document.size() < 50000) long_document += "Sentences of text, one after another. ";
  const std::string invalid = "bad \xff\xfe bytes. " + std::string(200, 'y') + " end.";
  const std::string prefix = write_documents("aligned_constants", {long_document, invalid, long_document});
  const AlignedIndexSummary summary = build_aligned_index(prefix);
  const AlignedMemoryMap map(prefix);
  CHECK(map.size() == summary.groups);
  CHECK(summary.skipped_chunks >= 1);
  for (int64_t g = 0; g < map.size(); ++g) {
    CHECK(map.group_bytes(g) <= 20000);
    CHECK(map.group_bytes(g) >= 19900);  // every written group is full but for the tolerance
    for (std::string_view chunk : map.group(g)) CHECK(chunk.find('\xff') == std::string_view::npos);
  }
}

TEST_CASE("aligned memory map: missing and damaged chunk files are named") {
  const std::string prefix = write_documents("aligned_damaged", kDocuments);
  auto error = [&] { return error_of([&] { AlignedMemoryMap map(prefix); }); };
  CHECK(error().find(prefix + ".indices.bin") != std::string::npos);
  CHECK(error_of([&] { build_aligned_index(prefix, {.max_bytes = 70000}); }).find("<= 65535") !=
        std::string::npos);

  build_aligned_index(prefix, {.max_bytes = 20, .tolerance = 4});
  std::vector<char> indices = read_bytes(prefix + ".indices.bin");
  indices[4 * 3] = 5;  // chunk 3 now jumps from group 2 to group 5
  write_bytes(prefix + ".indices.bin", indices);
  CHECK(error().rfind(prefix + ".indices.bin: chunk 3 has group id 5 after 2", 0) == 0);
  indices.resize(indices.size() - 4);
  write_bytes(prefix + ".indices.bin", indices);
  CHECK(error().find("the chunk files disagree: 9 group ids") != std::string::npos);

  build_aligned_index(prefix, {.max_bytes = 20, .tolerance = 4});
  std::vector<char> offsets = read_bytes(prefix + ".offsets.bin");
  offsets[8 * 8 + 1] = 0x7f;  // chunk 8 now starts far past the end of P.bin
  write_bytes(prefix + ".offsets.bin", offsets);
  CHECK(error().rfind(prefix + ".offsets.bin: chunk 8 (offset", 0) == 0);
}

}  // namespace bytegrad::train
