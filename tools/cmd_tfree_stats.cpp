// `bytegrad tfree stats --text FILE... [--tokenizer PATH...] [--pattern NAME]`: the two measures
// of the T-Free paper's Table 1 for T-Free words and for subword tokenizers:
//   near-duplicates: % of vocabulary entries that another entry repeats up to first-letter case, a
//     leading space or digits (tokenizer/vocabulary_duplicates.h); 0 for T-Free, which has no
//     vocabulary of strings;
//   fertility: units (T-Free words, or tokens) per whitespace-separated word of each text file
//     (the paper divides by UDPipe words instead).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tokenizer/file_text.h"
#include "tokenizer/tfree_words.h"
#include "tokenizer/vocabulary_duplicates.h"
#include "tools/cmd_tokenizer_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {

namespace {

int64_t whitespace_words(const std::string& text) {
  int64_t words = 0;
  bool inside = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    words += !space && !inside;
    inside = !space;
  }
  return words;
}

// The last `width` characters of `text`: a tokenizer's path is told apart by its end.
std::string tail(const std::string& text, std::size_t width) {
  return text.size() <= width ? text : "..." + text.substr(text.size() - (width - 3));
}

void print_row(const std::string& name, const std::string& entries, const tokenizer::VocabularyDuplicates& d,
               const std::vector<double>& fertility) {
  std::printf("%-28.28s %9s %7.2f %6.2f %6.2f %6.2f  ", name.c_str(), entries.c_str(), d.percent(d.total),
              d.percent(d.capital), d.percent(d.space), d.percent(d.digits));
  for (double f : fertility) std::printf(" %12.3f", f);
  std::printf("\n");
}

}  // namespace

int run_tfree_stats(const Args& args) {
  const Options options = parse_options(command_spec("tfree stats"), args);
  std::vector<std::string> texts, names;
  std::vector<int64_t> words;
  for (const std::string& path : options.values("--text")) {
    texts.push_back(tokenizer::read_file_bytes(path));
    names.push_back(std::filesystem::path(path).filename().string());
    words.push_back(std::max<int64_t>(1, whitespace_words(texts.back())));
  }
  std::printf("%-38s %-29s  %s\n", "", "near-duplicate entries (%)", "fertility (units per whitespace word)");
  std::printf("%-28s %9s %7s %6s %6s %6s  ", "model", "entries", "Total", "Cap.", "Space", "Digits");
  for (const std::string& name : names) std::printf(" %12.12s", name.c_str());
  std::printf("\n");

  std::vector<double> fertility;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    try {
      fertility.push_back(double(tokenizer::text_to_words(texts[i]).size()) / double(words[i]));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(options.values("--text")[i] + ": " + e.what());
    }
  }
  print_row("T-Free words", "-", {}, fertility);

  for (const std::string& path : options.values("--tokenizer")) {
    const tokenizer::Tokenizer tok = load_tokenizer_at(path, options.value("--pattern"));
    std::vector<std::string> entries;
    for (std::size_t id = 0; id < tok.vocab_size(); ++id)
      if (!tok.is_special(tokenizer::TokenId(id))) entries.push_back(tokenizer::piece_as_text(tok.id_to_piece(tokenizer::TokenId(id))));
    fertility.clear();
    for (std::size_t i = 0; i < texts.size(); ++i) fertility.push_back(double(tok.encode(texts[i]).size()) / double(words[i]));
    print_row(tail(path, 28), std::to_string(entries.size()), tokenizer::count_vocabulary_duplicates(entries), fertility);
  }
  return 0;
}

}  // namespace bytegrad::tools
