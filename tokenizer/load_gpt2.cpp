// GPT-2's original files: encoder.json (spelling -> id) and vocab.bpe ("#version" line, then one
// merge per line).
#include <stdexcept>

#include "tokenizer/byte_level_vocab.h"
#include "tokenizer/file_text.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {

Tokenizer load_gpt2(const std::filesystem::path& encoder_json, const std::filesystem::path& vocab_bpe) {
  const std::string encoder_source = encoder_json.string();
  nlohmann::json encoder;
  try {
    encoder = nlohmann::json::parse(read_file_bytes(encoder_json));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(encoder_source + ": not valid JSON: " + e.what());
  }
  ByteLevelBpe::Vocabulary bytes_by_id = byte_level_vocabulary(encoder, encoder_source);

  const std::string merges_source = vocab_bpe.string();
  const std::string merges_text = read_file_bytes(vocab_bpe);
  ByteLevelBpe::MergeList merges;
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < merges_text.size();) {
    std::size_t end = merges_text.find('\n', pos);
    if (end == std::string::npos) end = merges_text.size();
    std::string_view line(merges_text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    merges.push_back(parse_merge_line(line, merges_source + ":" + std::to_string(line_number)));
  }

  std::vector<SpecialToken> specials;
  std::optional<TokenId> end_of_text;
  if (encoder.contains("<|endoftext|>")) {
    end_of_text = encoder["<|endoftext|>"].get<TokenId>();
    specials.push_back({"<|endoftext|>", *end_of_text});
  }
  auto model = std::make_shared<ByteLevelBpe>(ByteLevelBpe::from_merges(
      std::move(bytes_by_id), merges, PretokenizerPattern::kGpt2, /*whole_piece_lookup=*/false,
      encoder_source));
  return Tokenizer(std::move(model), std::move(specials), {}, end_of_text, end_of_text, std::nullopt);
}

}  // namespace bytegrad::tokenizer
