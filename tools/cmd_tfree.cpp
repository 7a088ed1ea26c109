// `bytegrad tfree encode [--vocab-size V] [--population M] [--lowercase-overlap K] < TEXT`
//     prints one JSON object {"words": [...], "patterns": [[...], ...], "text": "..."}: the T-Free
//     words of stdin, each word's sorted distinct active ids, and words_to_text(words).
// `bytegrad tfree dictionary --corpus FILE... --out FILE [--top N] [--more-words TEXT...]`
//     counts the words of the corpus files and writes the decoding dictionary (JSON lines).
// `bytegrad tfree stats ...`: tools/cmd_tfree_stats.cpp.
// `bytegrad tfree accuracy --config FILE --model DIR [--documents N] [--words N]`
//     held-out next-word accuracy of a T-Free or token model on a run's held-out documents.
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tokenizer/file_text.h"
#include "infer/tfree_generate.h"
#include "io/model_directory.h"
#include "tokenizer/tfree_dictionary.h"
#include "train/data/word_stream.h"
#include "train/next_word_accuracy.h"
#include "train/run_config.h"
#include "tokenizer/tfree_words.h"
#include "tools/cmd_tfree_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {

int run_tfree_stats(const Args& args);  // tools/cmd_tfree_stats.cpp

namespace {

int run_encode(const Args& args) {
  const CommandSpec& spec = command_spec("tfree encode");
  const Options options = parse_options(spec, args);
  const tokenizer::TrigramHasher hasher(tfree_hash_config(spec, options));
  const std::string text(std::istreambuf_iterator<char>(std::cin), {});
  std::vector<std::string> words;
  try {
    words = tokenizer::text_to_words(text);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("stdin: ") + e.what());
  }
  nlohmann::ordered_json patterns = nlohmann::ordered_json::array();
  for (const std::string& word : words) patterns.push_back(hasher.word_pattern(word));
  // Keys in the documented order: words, patterns, text.
  nlohmann::ordered_json out;
  out["words"] = words;
  out["patterns"] = std::move(patterns);
  out["text"] = tokenizer::words_to_text(words);
  std::cout << out.dump() << '\n';
  return 0;
}

int run_dictionary(const Args& args) {
  const CommandSpec& spec = command_spec("tfree dictionary");
  const Options options = parse_options(spec, args);
  const tokenizer::TrigramHasher hasher(tfree_hash_config(spec, options));
  const long long top = options.number<long long>("--top");
  if (top < 0) throw UsageError("bytegrad tfree dictionary: --top must not be negative");
  tokenizer::WordCounts counts;
  for (const std::string& path : options.values("--corpus")) {
    const std::string text = tokenizer::read_file_bytes(path);
    try {
      tokenizer::count_tfree_words(text, counts);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ": " + e.what());
    }
  }
  std::vector<std::string> extra;
  for (const std::string& text : options.values("--more-words"))
    for (std::string& word : tokenizer::text_to_words(text)) extra.push_back(std::move(word));
  const tokenizer::TfreeDictionary dictionary = tokenizer::TfreeDictionary::from_counts(hasher, counts, top, extra);
  dictionary.save(options.get("--out"));
  std::cerr << "tfree dictionary: " << dictionary.size() << " words (" << counts.size() << " distinct in the corpus) -> "
            << options.get("--out") << '\n';
  return 0;
}

// Next-word accuracy on a run's held-out documents (train/next_word_accuracy.h).
int run_accuracy(const Args& args) {
  const CommandSpec& spec = command_spec("tfree accuracy");
  const Options options = parse_options(spec, args);
  const long long documents = options.number<long long>("--documents");
  const long long words = options.number<long long>("--words");
  if (documents <= 0 || words <= 0) throw UsageError("bytegrad tfree accuracy: --documents and --words must be positive");
  nlohmann::json resolved;
  const train::RunConfig config = train::load_run_config(options.get("--config"), options.values("--set"), resolved);
  const train::HeldOutWords held_out =
      train::held_out_words(train::read_word_documents(config.data.memory_map, config.data.corpus),
                            config.data.eval_fraction, config.trainer.seed, documents);
  const std::filesystem::path directory = options.get("--model");
  io::PretrainedModel pretrained = io::load_pretrained_model(directory.string());
  train::NextWordAccuracy accuracy;
  if (auto* tfree = dynamic_cast<nn::TFree*>(pretrained.model.get())) {
    const tokenizer::TrigramHasher hasher(infer::tfree_hash_config(tfree->config()));
    const auto dictionary = tokenizer::TfreeDictionary::load(directory / infer::kTfreeDictionaryFile);
    accuracy = train::tfree_next_word_accuracy(*tfree, hasher, dictionary, held_out, words);
  } else {
    if (!pretrained.tokenizer) throw std::runtime_error(directory.string() + ": no tokenizer to encode the text with");
    accuracy = train::token_next_word_accuracy(*pretrained.model, *pretrained.tokenizer, held_out, words);
  }
  std::cout << "next-word accuracy of " << directory.string() << " (" << pretrained.model->model_type() << "): "
            << accuracy.correct << "/" << accuracy.positions << " = " << 100 * accuracy.accuracy() << "% on "
            << held_out.documents.size() << " held-out documents (first " << words << " words each); always \""
            << held_out.most_frequent_word << "\": " << 100 * accuracy.baseline() << "%; " << accuracy.seconds << " s\n";
  std::cout << nlohmann::json{{"model", directory.string()}, {"positions", accuracy.positions},
                              {"correct", accuracy.correct}, {"accuracy", accuracy.accuracy()},
                              {"baseline_word", held_out.most_frequent_word}, {"baseline", accuracy.baseline()}}
                   .dump()
            << '\n';
  return 0;
}

}  // namespace

int run_tfree(const Args& args) {
  if (!args.empty() && args[0] == "accuracy") return run_accuracy(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "encode") return run_encode(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "dictionary") return run_dictionary(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "stats") return run_tfree_stats(Args(args.begin() + 1, args.end()));
  const std::optional<std::string> what = parse_options(command_spec("tfree"), args).positional();
  throw UsageError("bytegrad tfree: " + (what ? "unknown subcommand '" + *what + "'" : std::string("missing SUBCOMMAND")) +
                   " (available: encode, dictionary, stats, accuracy; see bytegrad tfree --help)");
}

}  // namespace bytegrad::tools
