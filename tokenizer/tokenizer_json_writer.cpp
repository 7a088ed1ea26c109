// write_tokenizer_json (declared in bpe_trainer.h): the Hugging Face tokenizer.json layout.
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tokenizer/bpe_trainer.h"
#include "tokenizer/byte_level.h"

namespace bytegrad::tokenizer {
namespace {

using nlohmann::ordered_json;

ordered_json byte_level_step(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

ordered_json pre_tokenizer(PretokenizerPattern pattern) {
  if (pattern == PretokenizerPattern::kGpt2) return byte_level_step(true);  // GPT-2's regex is built in
  const ordered_json split = {{"type", "Split"},
                              {"pattern", {{"Regex", pattern_regex(pattern)}}},
                              {"behavior", "Isolated"},
                              {"invert", false}};
  return {{"type", "Sequence"}, {"pretokenizers", {split, byte_level_step(false)}}};
}

}  // namespace

void write_tokenizer_json(const TrainedBpe& trained, const std::filesystem::path& path) {
  ordered_json added = ordered_json::array();
  for (std::size_t i = 0; i < trained.special_tokens.size(); ++i)
    added.push_back({{"id", trained.bytes_by_id.size() + i},
                     {"content", trained.special_tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  ordered_json vocab = ordered_json::object();
  for (std::size_t id = 0; id < trained.bytes_by_id.size(); ++id) vocab[bytes_to_byte_level(trained.bytes_by_id[id])] = id;
  ordered_json merges = ordered_json::array();
  for (const auto& [left, right] : trained.merges) merges.push_back(bytes_to_byte_level(left) + " " + bytes_to_byte_level(right));

  const ordered_json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", pre_tokenizer(trained.pattern)},
      {"post_processor", byte_level_step(true)},
      {"decoder", byte_level_step(true)},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path.string() + ": cannot open for writing");
  out << root.dump(1) << '\n';
  if (!out) throw std::runtime_error(path.string() + ": write failed");
}

}  // namespace bytegrad::tokenizer
