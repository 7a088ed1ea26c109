#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <stdexcept>

namespace bytegrad::tokenizer {

Tokenizer::Tokenizer(std::shared_ptr<const TokenModel> model, std::vector<SpecialToken> special_tokens,
                     SpecialTokenTemplate wrap, std::optional<TokenId> bos, std::optional<TokenId> eos,
                     std::optional<TokenId> pad)
    : model_(std::move(model)),
      matcher_(std::move(special_tokens)),
      wrap_(std::move(wrap)),
      bos_(bos),
      eos_(eos),
      pad_(pad) {}

std::vector<TokenId> Tokenizer::encode(std::string_view text, EncodeOptions options) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  if (options.add_special_tokens) ids.insert(ids.end(), wrap_.prefix.begin(), wrap_.prefix.end());
  bool at_text_start = true;
  for (const TextSegment& segment : matcher_.split(text, options.parse_special)) {
    if (segment.token) ids.push_back(segment.token->id);
    else model_->encode_segment(segment.text, at_text_start, ids);
    at_text_start = false;
  }
  if (options.add_special_tokens) ids.insert(ids.end(), wrap_.suffix.begin(), wrap_.suffix.end());
  return ids;
}

std::vector<std::vector<TokenId>> Tokenizer::encode_batch(std::span<const std::string> texts,
                                                          EncodeOptions options) const {
  std::vector<std::vector<TokenId>> out(texts.size());
  // Dynamic scheduling: texts differ widely in length.
#pragma omp parallel for schedule(dynamic, 16)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(texts.size()); ++i) out[i] = encode(texts[i], options);
  return out;
}

const SpecialToken* Tokenizer::find_special(TokenId id) const { return matcher_.find(id); }

bool Tokenizer::is_special(TokenId id) const {
  const SpecialToken* t = find_special(id);
  return t && t->special;
}

std::string Tokenizer::decode(std::span<const TokenId> ids, DecodeOptions options) const {
  std::string text;
  std::size_t run_start = 0;
  // Runs of ordinary ids go to the model together, so that multi-token characters (byte
  // fallback, byte-level pieces of one UTF-8 character) are reassembled.
  const auto flush = [&](std::size_t end) {
    if (end > run_start) text += model_->decode(ids.subspan(run_start, end - run_start), text.empty());
  };
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const SpecialToken* t = find_special(ids[i]);
    if (!t) continue;
    flush(i);
    run_start = i + 1;
    if (!(t->special && options.skip_special_tokens)) text += t->text;
  }
  flush(ids.size());
  return text;
}

std::string Tokenizer::id_to_piece(TokenId id) const {
  if (const SpecialToken* t = find_special(id)) return t->text;
  return model_->piece(id);
}

std::optional<TokenId> Tokenizer::piece_to_id(std::string_view piece) const {
  if (const SpecialToken* t = matcher_.find(piece)) return t->id;
  return model_->find_piece(piece);
}

TokenId Tokenizer::special_token_id(std::string_view text) const {
  if (const SpecialToken* t = matcher_.find(text)) return t->id;
  throw std::runtime_error("tokenizer has no special token '" + std::string(text) + "'");
}

std::size_t Tokenizer::vocab_size() const {
  std::size_t size = model_->vocab_size();
  for (const SpecialToken& t : matcher_.tokens()) size = std::max(size, std::size_t(t.id) + 1);
  return size;
}

void Tokenizer::add_special_token(SpecialToken token) {
  std::vector<SpecialToken> tokens = matcher_.tokens();
  tokens.push_back(std::move(token));
  matcher_ = SpecialTokenMatcher(std::move(tokens));
}

}  // namespace bytegrad::tokenizer
