// `bytegrad bench tfree`: the speed of T-Free's tokenizer side and of dictionary decoding.
//   encoding: text_to_words plus every word's pattern (trigram rows by MD5), in MB of UTF-8 input
//     per second, with a cold row cache (every row hashed on first use) and a warm one; one thread,
//     then all threads over the text's lines.
//   decoding: scoring every word of an N-word dictionary at one position (sigmoid over V logits,
//     the sparse sums, the score) and picking the best, in dictionary words per second and
//     positions per second; one thread and all threads.
// The text is Debian's fortunes unless --text names files; the dictionary is their most frequent
// words, topped up with synthetic words when they have fewer than N.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "infer/tfree_decode.h"
#include "tokenizer/file_text.h"
#include "tokenizer/tfree_dictionary.h"
#include "tokenizer/tfree_words.h"
#include "tokenizer/utf8.h"
#include "tools/cmd_tfree_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double best_seconds(int repeats, const std::function<void()>& setup, const std::function<void()>& run) {
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    setup();
    const auto start = Clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

// The valid UTF-8 fortune files of /usr/share/games/fortunes (not their .dat indexes).
std::vector<std::string> default_text_files() {
  std::vector<std::string> files;
  const fs::path dir = "/usr/share/games/fortunes";
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && !entry.path().has_extension()) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end + 1 - start));
    start = end + 1;
  }
  return lines;
}

// Words and patterns of every line; the pattern sizes are summed so the work cannot be dropped.
int64_t encode_lines(const tokenizer::TrigramHasher& hasher, const std::vector<std::string>& lines, bool parallel) {
  int64_t active = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : active) if (parallel)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(lines.size()); ++i)
    for (const std::string& word : tokenizer::text_to_words(lines[std::size_t(i)]))
      active += int64_t(hasher.word_pattern(word).size());
  return active;
}

std::string synthetic_word(std::mt19937& rng) {
  std::uniform_int_distribution<int> length(3, 12), letter('a', 'z');
  std::string word(std::size_t(length(rng)), 'a');
  for (char& c : word) c = char(letter(rng));
  return word;
}

}  // namespace

int run_bench_tfree(const Args& args) {
  const CommandSpec& spec = command_spec("bench tfree");
  const Options options = parse_options(spec, args);
  const tokenizer::TrigramHashConfig config = tfree_hash_config(spec, options);
  const int repeats = int(std::max(1LL, options.number<long long>("--repeats")));
  const int64_t dictionary_words = options.number<long long>("--dictionary-words");

  std::vector<std::string> files = options.values("--text");
  if (files.empty()) files = default_text_files();
  if (files.empty()) throw std::runtime_error("bench tfree: no --text given and Debian's fortunes are not installed");
  std::string text;
  for (const std::string& file : files) {
    const std::string content = tokenizer::read_file_bytes(file);
    if (tokenizer::is_valid_utf8(content)) text += content;
  }
  const std::vector<std::string> lines = lines_of(text);
  const double megabytes = double(text.size()) / 1e6;
  std::printf("T-Free, V=%lld m=%d k=%d; text: %zu files, %.2f MB, %zu lines; %d threads\n",
              (long long)config.vocab_size, config.population, config.lowercase_overlap, files.size(), megabytes,
              lines.size(), omp_get_max_threads());

  tokenizer::TrigramHasher hasher(config);
  const double split = best_seconds(repeats, [] {}, [&] {
    int64_t words = 0;
    for (const std::string& line : lines) words += int64_t(tokenizer::text_to_words(line).size());
    if (words < 0) std::puts("");
  });
  const double cold = best_seconds(repeats, [&] { hasher.clear_cache(); }, [&] { encode_lines(hasher, lines, false); });
  const std::size_t rows = hasher.cached_rows();
  const double warm = best_seconds(repeats, [] {}, [&] { encode_lines(hasher, lines, false); });
  const double cold_parallel = best_seconds(repeats, [&] { hasher.clear_cache(); }, [&] { encode_lines(hasher, lines, true); });
  const double warm_parallel = best_seconds(repeats, [] {}, [&] { encode_lines(hasher, lines, true); });
  std::printf("\nencoding (words + patterns)            1 thread MB/s   all threads MB/s\n");
  std::printf("  text_to_words only                   %10.1f\n", megabytes / split);
  std::printf("  cold row cache (%7zu rows hashed)  %10.1f   %14.1f\n", rows, megabytes / cold, megabytes / cold_parallel);
  std::printf("  warm row cache                       %10.1f   %14.1f\n", megabytes / warm, megabytes / warm_parallel);

  tokenizer::WordCounts counts;
  for (const std::string& line : lines) tokenizer::count_tfree_words(line, counts);
  tokenizer::TfreeDictionary dictionary = tokenizer::TfreeDictionary::from_counts(hasher, counts, dictionary_words);
  const int64_t from_corpus = dictionary.size();
  std::mt19937 rng(11);
  std::vector<std::string> synthetic;
  while (int64_t(dictionary.size() + synthetic.size()) < dictionary_words + 16) {
    std::string word = synthetic_word(rng);
    if (dictionary.find(word) < 0) synthetic.push_back(std::move(word));
    if (synthetic.size() >= 4096 || int64_t(dictionary.size() + synthetic.size()) >= dictionary_words + 16) {
      dictionary.add_words(hasher, synthetic);
      synthetic.clear();
    }
  }
  int64_t ids = int64_t(dictionary.interior_ids().size() + dictionary.edge_ids().size());
  std::printf("\ndictionary decoding: %lld words (%lld from the corpus), %.1f ids per word\n",
              (long long)dictionary.size(), (long long)from_corpus, double(ids) / double(dictionary.size()));
  std::vector<float> logits(std::size_t(config.vocab_size));
  std::normal_distribution<float> normal(-2.0f, 2.0f);
  for (float& z : logits) z = normal(rng);
  const int positions = 20;
  std::printf("                                       words/s (M)   positions/s\n");
  for (const int threads : {1, omp_get_max_threads()}) {
    omp_set_num_threads(threads);
    for (const infer::TfreeScore score : {infer::TfreeScore::kPatternMean, infer::TfreeScore::kPatternMeanMinusOutside}) {
      int64_t chosen = 0;
      const double seconds = best_seconds(repeats, [] {}, [&] {
        for (int p = 0; p < positions; ++p) chosen += infer::tfree_greedy_word(dictionary, logits, {.score = score});
      });
      std::printf("  %-16s %2d thread%s          %10.1f   %11.0f\n",
                  score == infer::TfreeScore::kPatternMean ? "pattern mean" : "mean - outside", threads,
                  threads == 1 ? " " : "s", double(dictionary.size()) * positions / seconds / 1e6, positions / seconds);
      if (chosen < 0) std::puts("");
    }
  }
  return 0;
}

}  // namespace bytegrad::tools
