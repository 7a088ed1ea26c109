#include "tokenizer/tfree_dictionary.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tokenizer/tfree_words.h"

namespace bytegrad::tokenizer {
namespace {

constexpr std::string_view kFormat = "bytegrad-tfree-dictionary";
constexpr int kVersion = 1;

// The error of line `line` of `path`.
[[noreturn]] void malformed(const std::filesystem::path& path, int64_t line, const std::string& problem) {
  throw std::runtime_error(path.string() + ":" + std::to_string(line) + ": " + problem);
}

int64_t integer_field(const nlohmann::json& object, const char* name, const std::filesystem::path& path,
                      int64_t line) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer())
    malformed(path, line, std::string("field \"") + name + "\" is missing or not an integer");
  return it->get<int64_t>();
}

std::vector<int32_t> id_list_field(const nlohmann::json& object, const char* name, int64_t vocab_size,
                                   const std::filesystem::path& path, int64_t line) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_array())
    malformed(path, line, std::string("field \"") + name + "\" is missing or not a list");
  std::vector<int32_t> ids;
  ids.reserve(it->size());
  for (const nlohmann::json& id : *it) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab_size)
      malformed(path, line, std::string("\"") + name + "\" holds " + id.dump() + ", not an id in [0, " +
                                std::to_string(vocab_size) + ")");
    if (!ids.empty() && id.get<int32_t>() <= ids.back())
      malformed(path, line, std::string("\"") + name + "\" is not sorted and distinct");
    ids.push_back(id.get<int32_t>());
  }
  return ids;
}

}  // namespace

const std::vector<std::string>& tfree_special_words() {
  static const std::vector<std::string> words = {
      "<|\n|>",          "<|endoftext|>", "<|no_ws|>",       "<|ws|>",
      "<|2<-ws->|>",     "<|4<-ws->|>",   "<|6<-ws->|>",     "<|8<-ws->|>",
      "<|2<-\n->|>",     "<|4<-\n->|>",   "<|6<-\n->|>",     "<|8<-\n->|>",
      "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
  return words;
}

void count_tfree_words(std::string_view text, WordCounts& counts) {
  for (std::string& word : text_to_words(text)) ++counts[std::move(word)];
}

TfreeDictionary::TfreeDictionary(TrigramHashConfig config) : config_(config) { config_.validate(); }

TfreeDictionary TfreeDictionary::from_counts(const TrigramHasher& hasher, const WordCounts& counts, int64_t top_n,
                                             const std::vector<std::string>& extra_words) {
  TfreeDictionary dictionary(hasher.config());
  for (const std::string& special : tfree_special_words()) {
    const auto it = counts.find(special);
    dictionary.append(special, it == counts.end() ? 0 : it->second, hasher.word_id_sets(special));
  }
  std::vector<std::pair<std::string_view, int64_t>> ranked;
  ranked.reserve(counts.size());
  for (const auto& [word, count] : counts)
    if (dictionary.find(word) < 0) ranked.emplace_back(word, count);
  const std::size_t keep = std::min<std::size_t>(ranked.size(), std::size_t(std::max<int64_t>(top_n, 0)));
  const auto by_count = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
  std::partial_sort(ranked.begin(), ranked.begin() + std::ptrdiff_t(keep), ranked.end(), by_count);
  std::vector<std::string> top;
  top.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) top.emplace_back(ranked[i].first);
  dictionary.add_words(hasher, top);
  for (std::size_t i = 0; i < keep; ++i) dictionary.counts_[std::size_t(dictionary.find(top[i]))] = ranked[i].second;
  dictionary.add_words(hasher, extra_words);
  return dictionary;
}

int64_t TfreeDictionary::add_words(const TrigramHasher& hasher, const std::vector<std::string>& words) {
  if (!(hasher.config() == config_))
    throw std::invalid_argument("T-Free dictionary: the hasher's config differs from the dictionary's");
  for (const std::string& word : words) {
    const std::vector<std::string> split = text_to_words(word);
    if (split.size() != 1 || split[0] != word)
      throw std::invalid_argument("T-Free dictionary: '" + word + "' is not one T-Free word (it splits into " +
                                  std::to_string(split.size()) + ")");
  }
  // The id sets are independent per word; computing them in parallel fills the hasher's cache
  // from many threads, which it allows.
  std::vector<std::string> fresh;
  for (const std::string& word : words)
    if (find(word) < 0 && std::find(fresh.begin(), fresh.end(), word) == fresh.end()) fresh.push_back(word);
  std::vector<WordIdSets> sets(fresh.size());
#pragma omp parallel for schedule(dynamic, 256)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(fresh.size()); ++i) sets[std::size_t(i)] = hasher.word_id_sets(fresh[std::size_t(i)]);
  for (std::size_t i = 0; i < fresh.size(); ++i) append(std::move(fresh[i]), 0, std::move(sets[i]));
  return int64_t(fresh.size());
}

int64_t TfreeDictionary::add_text_words(const TrigramHasher& hasher, std::string_view text) {
  return add_words(hasher, text_to_words(text));
}

int64_t TfreeDictionary::find(std::string_view word) const {
  const auto it = index_.find(std::string(word));
  return it == index_.end() ? -1 : it->second;
}

void TfreeDictionary::append(std::string word, int64_t count, WordIdSets sets) {
  index_.emplace(word, int64_t(words_.size()));
  words_.push_back(std::move(word));
  counts_.push_back(count);
  interior_ids_.insert(interior_ids_.end(), sets.interior.begin(), sets.interior.end());
  interior_offsets_.push_back(int64_t(interior_ids_.size()));
  edge_ids_.insert(edge_ids_.end(), sets.edge.begin(), sets.edge.end());
  edge_offsets_.push_back(int64_t(edge_ids_.size()));
  trigram_counts_.push_back(sets.trigram_count);
}

void TfreeDictionary::save(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path.string() + ": cannot open for writing");
  // ordered_json keeps the keys in the order written, the word first.
  out << nlohmann::ordered_json{{"format", kFormat},
                        {"version", kVersion},
                        {"vocab_size", config_.vocab_size},
                        {"population", config_.population},
                        {"lowercase_overlap", config_.lowercase_overlap},
                        {"words", size()}}
             .dump()
      << '\n';
  for (int64_t w = 0; w < size(); ++w) {
    const auto slice = [&](const std::vector<int32_t>& ids, const std::vector<int64_t>& offsets) {
      return std::vector<int32_t>(ids.begin() + offsets[std::size_t(w)], ids.begin() + offsets[std::size_t(w) + 1]);
    };
    out << nlohmann::ordered_json{{"word", words_[std::size_t(w)]},
                          {"count", counts_[std::size_t(w)]},
                          {"trigrams", trigram_counts_[std::size_t(w)]},
                          {"interior", slice(interior_ids_, interior_offsets_)},
                          {"edge", slice(edge_ids_, edge_offsets_)}}
               .dump()
        << '\n';
  }
  if (!out.flush()) throw std::runtime_error(path.string() + ": write failed");
}

TfreeDictionary TfreeDictionary::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open file");
  std::string text;
  int64_t line = 0;
  const auto parse_line = [&](const char* what) {
    ++line;
    if (!std::getline(in, text)) malformed(path, line, std::string("ends before ") + what);
    nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
    if (object.is_discarded() || !object.is_object()) malformed(path, line, std::string(what) + " is not a JSON object");
    return object;
  };
  const nlohmann::json header = parse_line("the header");
  const auto format = header.find("format");
  if (format == header.end() || !format->is_string() || format->get<std::string>() != kFormat)
    malformed(path, line, "not a T-Free dictionary (\"format\" is not \"" + std::string(kFormat) + "\")");
  if (integer_field(header, "version", path, line) != kVersion)
    malformed(path, line, "unsupported version " + header["version"].dump());
  TrigramHashConfig config;
  config.vocab_size = integer_field(header, "vocab_size", path, line);
  config.population = int(integer_field(header, "population", path, line));
  config.lowercase_overlap = int(integer_field(header, "lowercase_overlap", path, line));
  try {
    config.validate();
  } catch (const std::invalid_argument& e) {
    malformed(path, line, e.what());
  }
  const int64_t expected = integer_field(header, "words", path, line);
  if (expected < 0) malformed(path, line, "\"words\" is negative");
  TfreeDictionary dictionary(config);
  for (int64_t w = 0; w < expected; ++w) {
    const nlohmann::json entry = parse_line("every word the header announces");
    const auto word = entry.find("word");
    if (word == entry.end() || !word->is_string()) malformed(path, line, "field \"word\" is missing or not a string");
    WordIdSets sets;
    sets.interior = id_list_field(entry, "interior", config.vocab_size, path, line);
    sets.edge = id_list_field(entry, "edge", config.vocab_size, path, line);
    const int64_t trigrams = integer_field(entry, "trigrams", path, line);
    if (trigrams < 1 || trigrams > INT32_MAX) malformed(path, line, "\"trigrams\" must be a positive count");
    sets.trigram_count = int32_t(trigrams);
    const std::string spelled = word->get<std::string>();
    if (dictionary.find(spelled) >= 0) malformed(path, line, "word '" + spelled + "' appears twice");
    dictionary.append(spelled, integer_field(entry, "count", path, line), std::move(sets));
  }
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") != std::string::npos)
      malformed(path, line, "more words than the header's " + std::to_string(expected));
  }
  return dictionary;
}

}  // namespace bytegrad::tokenizer
