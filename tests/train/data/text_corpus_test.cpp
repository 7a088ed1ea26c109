// Reading a text corpus: directories recursively, binary files skipped, no text an error.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "train/data/text_corpus.h"

namespace bytegrad::train {
namespace {

using namespace bytegrad::testing;

TEST_CASE("read_text_files reads a directory recursively, sorted, skipping binary files") {
  const std::string dir = scratch_directory("text_files");
  std::filesystem::create_directories(dir + "/b/c");
  write_text(dir + "/b/c/two.txt", "second\n");
  write_text(dir + "/a.txt", "first\n");
  write_bytes(dir + "/b/index.dat", {'x', '\0', 'y'});
  const std::vector<TextFile> files = read_text_files({dir});
  REQUIRE(files.size() == 2);
  CHECK(files[0].path == std::filesystem::path(dir + "/a.txt"));
  CHECK(files[0].text == "first\n");
  CHECK(files[1].text == "second\n");
}

TEST_CASE("read_text_files names the paths when they hold no text") {
  const std::string dir = scratch_directory("text_files_none");
  write_bytes(dir + "/index.dat", {'\0'});
  const std::string error = error_of([&] { read_text_files({dir}); });
  CHECK(error.find("no text files under '" + dir + "'") != std::string::npos);
  CHECK(error.find("1 files found, all binary") != std::string::npos);
  CHECK(error_of([&] { read_text_files({dir + "/missing"}); }).find(dir + "/missing' does not exist") !=
        std::string::npos);
}

}  // namespace
}  // namespace bytegrad::train
