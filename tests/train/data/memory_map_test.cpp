// MemoryMap: documents written by the writer read back by index, in place; missing or damaged
// files are named.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/data/memory_map.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

using namespace std::string_literals;
const std::vector<std::string> kDocuments = {"The first document.", "", "zwei\nZeilen",
                                              "\xe2\x82\xac \x00 bytes"s};

std::string write_documents(const std::string& name) {
  const std::string prefix = scratch_directory(name) + "/docs";
  MemoryMapWriter writer(prefix);
  for (const std::string& document : kDocuments) writer.add(document);
  CHECK(writer.document_count() == int64_t(kDocuments.size()));
  writer.finish();
  return prefix;
}

}  // namespace

TEST_CASE("memory map: documents round-trip by index, empty ones included") {
  const std::string prefix = write_documents("memory_map_roundtrip");
  const MemoryMap map(prefix);
  REQUIRE(map.size() == int64_t(kDocuments.size()));
  for (size_t i = 0; i < kDocuments.size(); ++i) CHECK(map[int64_t(i)] == kDocuments[i]);
  CHECK(map.offset(2) == kDocuments[0].size());
  CHECK(map.length(2) == kDocuments[2].size());
  CHECK(error_of([&] { map[4]; }).find("document 4 out of range [0, 4)") != std::string::npos);
}

TEST_CASE("memory map: the files follow T-Free's layout") {
  const std::string prefix = write_documents("memory_map_layout");
  std::ifstream meta(prefix + ".meta.json");
  CHECK(nlohmann::json::parse(meta) ==
        nlohmann::json{{"dtype", "uint8"}, {"index_dtype", "uint64"}, {"document_count", 4}});
  CHECK(std::filesystem::file_size(prefix + ".idx") == 4 * 16);
  size_t total = 0;
  for (const std::string& document : kDocuments) total += document.size();
  CHECK(std::filesystem::file_size(prefix + ".bin") == total);
}

TEST_CASE("memory map: nothing appears before finish") {
  const std::string directory = scratch_directory("memory_map_unfinished");
  {
    MemoryMapWriter writer(directory + "/docs");
    writer.add("never finished");
  }
  CHECK(entries(directory).empty());
}

TEST_CASE("memory map: missing and corrupt index files are named") {
  const std::string prefix = write_documents("memory_map_damaged");
  auto error = [&] { return error_of([&] { MemoryMap map(prefix); }); };

  std::vector<char> index = read_bytes(prefix + ".idx");
  index.resize(index.size() - 5);
  write_bytes(prefix + ".idx", index);
  CHECK(error().rfind(prefix + ".idx: 59 bytes, but 4 documents need 64", 0) == 0);

  index = read_bytes(prefix + ".idx");
  index.resize(64);
  index[48] = char(0x7f);  // the last document's offset far past the data
  write_bytes(prefix + ".idx", index);
  CHECK(error().find(prefix + ".idx: document 3 at [") == 0);
  CHECK(error().find("lies outside") != std::string::npos);

  std::filesystem::remove(prefix + ".idx");
  CHECK(error().rfind(prefix + ".idx: cannot open", 0) == 0);

  write_text(prefix + ".meta.json", R"({"dtype": "uint16", "index_dtype": "uint64", "document_count": 4})");
  CHECK(error().rfind(prefix + ".meta.json: 'dtype' must be \"uint8\", got \"uint16\"", 0) == 0);
  write_text(prefix + ".meta.json", "{");
  CHECK(error().rfind(prefix + ".meta.json: not valid JSON", 0) == 0);
  std::filesystem::remove(prefix + ".meta.json");
  CHECK(error().rfind(prefix + ".meta.json: cannot open", 0) == 0);
}

}  // namespace bytegrad::train
