// `bytegrad tokenizer-train --input FILE|DIR [--input FILE|DIR...] --vocab-size N
//                          --output tokenizer.json [--pattern gpt2|cl100k] [--special TOKEN...]
//                          [--min-pair-count N]`
// Learns a byte-level BPE from text files; each file is split into lines, and a line is one text.
// A directory is read recursively (its text files; binary ones, holding NUL bytes, are skipped);
// finding no text at all is an error. The folder of --output is created when missing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "tokenizer/bpe_trainer.h"
#include "tools/cmd_tokenizer_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/data/text_corpus.h"

namespace bytegrad::tools {
namespace {

std::size_t parse_count(const std::string& option, const std::string& text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty()) throw std::runtime_error(option + " '" + text + "' is not a positive integer");
  return std::size_t(value);
}

}  // namespace

int run_tokenizer_train(const Args& args) {
  const Options options = parse_options(command_spec("tokenizer-train"), args);
  const std::vector<std::string> inputs = options.values("--input");
  tokenizer::BpeTrainerOptions trainer;
  trainer.vocab_size = parse_count("--vocab-size", options.get("--vocab-size"));
  trainer.pattern = tokenizer::pattern_from_name(options.get("--pattern"));
  trainer.special_tokens = options.values("--special");
  if (const auto m = options.value("--min-pair-count")) trainer.min_pair_count = parse_count("--min-pair-count", *m);
  const std::string output = options.get("--output");

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> lines;
  std::size_t bytes = 0;
  for (const train::TextFile& file : train::read_text_files({inputs.begin(), inputs.end()})) {
    const std::string& text = file.text;
    bytes += text.size();
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find('\n', pos);
      end = end == std::string::npos ? text.size() : end + 1;  // keep the newline: it is text too
      lines.push_back(text.substr(pos, end - pos));
      pos = end;
    }
  }
  const tokenizer::TrainedBpe trained = tokenizer::train_byte_level_bpe(lines, trainer);
  if (const std::filesystem::path folder = std::filesystem::path(output).parent_path(); !folder.empty())
    std::filesystem::create_directories(folder);
  tokenizer::write_tokenizer_json(trained, output);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("trained %zu tokens (%zu merges, %zu special) from %.1f MB in %.1f s -> %s\n",
              trained.bytes_by_id.size() + trained.special_tokens.size(), trained.merges.size(),
              trained.special_tokens.size(), bytes / 1e6, seconds, output.c_str());
  if (trained.bytes_by_id.size() + trained.special_tokens.size() < trainer.vocab_size)
    std::printf("note: stopped below --vocab-size %zu: no pair occurs %llu times or more\n", trainer.vocab_size,
                static_cast<unsigned long long>(trainer.min_pair_count));
  return 0;
}

}  // namespace bytegrad::tools
