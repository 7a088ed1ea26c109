#include "train/data/text_corpus.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"

namespace bytegrad::train {
namespace fs = std::filesystem;
namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  BYTEGRAD_CHECK(in.good(), "corpus: cannot read '", path.string(), "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// The regular files at `path` (itself, or under it sorted by path).
std::vector<fs::path> files_at(const fs::path& path) {
  BYTEGRAD_CHECK(fs::exists(path), "corpus: '", path.string(), "' does not exist");
  if (!fs::is_directory(path)) return {path};
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(path))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::vector<TextFile> read_text_files(const std::vector<fs::path>& paths) {
  BYTEGRAD_CHECK(!paths.empty(), "corpus: no input paths given");
  std::vector<TextFile> files;
  std::set<fs::path> seen;
  for (const fs::path& root : paths)
    for (const fs::path& file : files_at(root)) {
      if (!seen.insert(fs::canonical(file)).second) continue;
      std::string text = read_bytes(file);
      if (text.find('\0') == std::string::npos) files.push_back({file, std::move(text)});
    }
  if (files.empty()) {
    std::string names;
    for (const fs::path& root : paths) names += (names.empty() ? "'" : ", '") + root.string() + "'";
    throw Error(concat("corpus: no text files under ", names, " (", seen.size(),
                       " files found, all binary: they hold NUL bytes)"));
  }
  return files;
}

TextCorpus read_text_corpus(const CorpusOptions& options) {
  TextCorpus corpus;
  for (const TextFile& file : read_text_files(options.paths)) {
    corpus.files.push_back(file.path);
    const std::string_view text = file.text;
    const std::string_view delimiter = options.document_delimiter;
    for (std::size_t pos = 0; pos <= text.size();) {
      std::size_t end = delimiter.empty() ? std::string::npos : text.find(delimiter, pos);
      if (end == std::string::npos) end = text.size();
      std::string document = trim(text.substr(pos, end - pos));
      if (!document.empty()) {
        corpus.bytes += document.size();
        corpus.documents.push_back(std::move(document));
      }
      pos = end + std::max<std::size_t>(1, delimiter.size());
    }
  }
  BYTEGRAD_CHECK(!corpus.documents.empty(), "corpus: no text documents found under the given paths");
  return corpus;
}

}  // namespace bytegrad::train
