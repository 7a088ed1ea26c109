#include "io/tokenizer_export.h"

#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/byte_level_bpe.h"
#include "io/json_file.h"

namespace bytegrad::io {
namespace fs = std::filesystem;
namespace {

using tokenizer::ByteLevelBpe;
using tokenizer::TokenId;

// The pair whose merge produced token `target`: byte-level BPE on its bytes, merging the
// adjacent pair whose concatenation has the lowest id, with only ids below `target` allowed.
// Empty when the encoding does not end in exactly two parts.
std::optional<std::pair<std::string, std::string>> merge_that_made(
    const std::string& bytes, TokenId target, const std::unordered_map<std::string, TokenId>& id_of) {
  std::vector<std::string> parts;
  for (char c : bytes) parts.emplace_back(1, c);
  while (parts.size() > 2) {
    size_t best = parts.size();
    TokenId best_id = target;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const auto found = id_of.find(parts[i] + parts[i + 1]);
      if (found != id_of.end() && found->second < best_id) best = i, best_id = found->second;
    }
    if (best == parts.size()) return std::nullopt;
    parts[best] += parts[best + 1];
    parts.erase(parts.begin() + std::ptrdiff_t(best) + 1);
  }
  if (parts.size() != 2) return std::nullopt;
  return std::pair{parts[0], parts[1]};
}

tokenizer::TrainedBpe recover_training(const tokenizer::Tokenizer& tok, const fs::path& directory) {
  const auto* bpe = dynamic_cast<const ByteLevelBpe*>(&tok.model());
  BYTEGRAD_CHECK(bpe != nullptr, directory.string(),
                 ": only a byte-level BPE tokenizer can be written as tokenizer.json; copy the "
                 "tokenizer's own files (copy_tokenizer_files)");
  tokenizer::TrainedBpe trained;
  trained.pattern = bpe->pattern();
  std::unordered_map<std::string, TokenId> id_of;
  for (TokenId id = 0; size_t(id) < bpe->vocab_size(); ++id) {
    const std::string& bytes = bpe->token_bytes(id);
    BYTEGRAD_CHECK(!bytes.empty(), directory.string(), ": token ", id, " is unused; tokenizer.json cannot say so");
    trained.bytes_by_id.push_back(bytes);
    id_of.emplace(bytes, id);
  }
  for (TokenId id = 0; size_t(id) < trained.bytes_by_id.size(); ++id) {
    const std::string& bytes = trained.bytes_by_id[size_t(id)];
    if (bytes.size() < 2) continue;
    auto merge = merge_that_made(bytes, id, id_of);
    BYTEGRAD_CHECK(merge.has_value(), directory.string(), ": token ", id, " ('", tok.id_to_piece(id),
                   "') is not the merge of two lower tokens; this vocabulary has no merge list to write");
    trained.merges.push_back(std::move(*merge));
  }
  for (const tokenizer::SpecialToken& special : tok.special_tokens()) {
    BYTEGRAD_CHECK(size_t(special.id) == trained.bytes_by_id.size() + trained.special_tokens.size(),
                   directory.string(), ": special token '", special.text, "' has id ", special.id,
                   "; tokenizer.json is written only for special tokens that follow the vocabulary in order");
    trained.special_tokens.push_back(special.text);
  }
  return trained;
}

nlohmann::json token_text(const tokenizer::Tokenizer& tok, std::optional<TokenId> id) {
  if (!id) return nullptr;
  return tok.id_to_piece(*id);
}

}  // namespace

void save_tokenizer_json(const tokenizer::Tokenizer& tok, const fs::path& directory) {
  const tokenizer::TrainedBpe trained = recover_training(tok, directory);
  try {
    tokenizer::write_tokenizer_json(trained, directory / "tokenizer.json");
  } catch (const std::runtime_error& e) {
    throw Error(e.what());
  }
  std::optional<TokenId> eos = tok.eos_id();
  if (!eos) {
    for (const tokenizer::SpecialToken& special : tok.special_tokens())
      if (special.text == "<|endoftext|>") eos = special.id;
  }
  const nlohmann::json config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                                 {"bos_token", token_text(tok, tok.bos_id())},
                                 {"eos_token", token_text(tok, eos)},
                                 {"pad_token", token_text(tok, tok.pad_id())}};
  write_json((directory / "tokenizer_config.json").string(), config);
}

int copy_tokenizer_files(const fs::path& from, const fs::path& to) {
  int copied = 0;
  for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
    if (!fs::exists(from / name)) continue;
    std::error_code error;
    fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing, error);
    BYTEGRAD_CHECK(!error, (to / name).string(), ": cannot copy from ", (from / name).string(), ": ", error.message());
    ++copied;
  }
  return copied;
}

}  // namespace bytegrad::io
