// Choosing a loader from a path.
#include <fstream>
#include <stdexcept>

#include "tokenizer/base64.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

namespace fs = std::filesystem;

std::string first_line(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open file");
  std::string line;
  std::getline(in, line);
  return line;
}

// "base64 rank": the shape of every line of a tiktoken file.
bool looks_like_tiktoken(const fs::path& path) {
  const std::string line = first_line(path);
  const std::size_t space = line.find(' ');
  if (space == std::string::npos || space + 1 >= line.size()) return false;
  if (line.find_first_not_of("0123456789\r", space + 1) != std::string::npos) return false;
  return decode_base64(std::string_view(line).substr(0, space)).has_value();
}

Tokenizer load_file(const fs::path& path, std::optional<PretokenizerPattern> tiktoken_pattern) {
  if (path.filename() == "encoder.json") {
    const fs::path merges = path.parent_path() / "vocab.bpe";
    if (!fs::exists(merges)) throw std::runtime_error(path.string() + ": GPT-2 encoder.json needs vocab.bpe beside it");
    return load_gpt2(path, merges);
  }
  if (path.extension() == ".json") return load_hf_tokenizer_json(path);
  // A .tiktoken file is read as one even when its first line is malformed, so that the error
  // names that line rather than a protobuf field.
  if (path.extension() == ".tiktoken" || looks_like_tiktoken(path)) {
    if (!tiktoken_pattern)
      throw std::runtime_error(path.string() + ": a tiktoken rank file needs a pre-tokenizer pattern "
                                               "(--pattern gpt2, cl100k, llama3 or qwen2)");
    return load_tiktoken(path, *tiktoken_pattern);
  }
  return load_sentencepiece(path);
}

}  // namespace

Tokenizer load_tokenizer(const fs::path& path, std::optional<PretokenizerPattern> tiktoken_pattern) {
  if (!fs::exists(path)) throw std::runtime_error(path.string() + ": no such file or directory");
  if (!fs::is_directory(path)) return load_file(path, tiktoken_pattern);
  // A SentencePiece tokenizer.model is the original that a tokenizer.json beside it (Llama-2,
  // Mistral, Gemma) was converted from, so it goes first; a tiktoken tokenizer.model (Llama-3's
  // original) comes after a tokenizer.json.
  const fs::path model = path / "tokenizer.model";
  if (fs::exists(model) && !looks_like_tiktoken(model)) return load_sentencepiece(model);
  for (const char* name : {"tokenizer.json", "tokenizer.model", "encoder.json"})
    if (fs::exists(path / name)) return load_file(path / name, tiktoken_pattern);
  std::vector<fs::path> candidates;
  for (const fs::directory_entry& entry : fs::directory_iterator(path))
    if (entry.path().extension() == ".tiktoken" || entry.path().extension() == ".model") candidates.push_back(entry.path());
  if (candidates.size() == 1) return load_file(candidates[0], tiktoken_pattern);
  throw std::runtime_error(path.string() + ": directory holds no tokenizer.json, tokenizer.model, encoder.json + "
                                           "vocab.bpe, or exactly one *.tiktoken or *.model file");
}

}  // namespace bytegrad::tokenizer
