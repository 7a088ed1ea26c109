// A hand-made tokenizer for the SFT tests: a fixed list of pieces with chosen ids, matched
// longest first, so a test can reproduce the exact ids of a worked example.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bytegrad::testing {

class WordModel : public tokenizer::TokenModel {
 public:
  explicit WordModel(std::map<std::string, tokenizer::TokenId> pieces) : pieces_(std::move(pieces)) {
    for (const auto& [piece, id] : pieces_) size_ = std::max<std::size_t>(size_, std::size_t(id) + 1);
  }

  void encode(std::string_view text, std::vector<tokenizer::TokenId>& ids) const override {
    while (!text.empty()) {
      std::size_t best = 0;
      tokenizer::TokenId best_id = 0;
      for (const auto& [piece, id] : pieces_)
        if (piece.size() > best && text.starts_with(piece)) best = piece.size(), best_id = id;
      if (best == 0) throw std::runtime_error("WordModel: no piece matches '" + std::string(text) + "'");
      ids.push_back(best_id);
      text.remove_prefix(best);
    }
  }

  std::string decode(std::span<const tokenizer::TokenId> ids, bool) const override {
    std::string text;
    for (tokenizer::TokenId id : ids) text += piece(id);
    return text;
  }

  std::string piece(tokenizer::TokenId id) const override {
    for (const auto& [piece, piece_id] : pieces_)
      if (piece_id == id) return piece;
    throw std::out_of_range("WordModel: unknown id " + std::to_string(id));
  }

  std::optional<tokenizer::TokenId> find_piece(std::string_view piece) const override {
    const auto it = pieces_.find(std::string(piece));
    return it == pieces_.end() ? std::nullopt : std::optional(it->second);
  }

  std::size_t vocab_size() const override { return size_; }

 private:
  std::map<std::string, tokenizer::TokenId> pieces_;
  std::size_t size_ = 0;
};

// A tokenizer over `pieces` with special tokens `specials`, EOS `eos` (a special's text) and,
// when `bos` is given, a BOS that add_special_tokens prepends.
inline tokenizer::Tokenizer word_tokenizer(std::map<std::string, tokenizer::TokenId> pieces,
                                           std::vector<tokenizer::SpecialToken> specials, const std::string& eos,
                                           const std::optional<std::string>& bos = std::nullopt) {
  const auto id_of = [&](const std::string& text) {
    for (const tokenizer::SpecialToken& s : specials)
      if (s.text == text) return s.id;
    throw std::invalid_argument("word_tokenizer: no special token " + text);
  };
  tokenizer::SpecialTokenTemplate wrap;
  std::optional<tokenizer::TokenId> bos_id;
  if (bos) wrap.prefix = {*(bos_id = id_of(*bos))};
  const tokenizer::TokenId eos_id = id_of(eos);
  return tokenizer::Tokenizer(std::make_shared<WordModel>(std::move(pieces)), std::move(specials), wrap, bos_id, eos_id,
                              std::nullopt);
}

// The ids Qwen2.5's tokenizer gives "Hello, world!" in seed 003's worked example, with its EOS
// <|endoftext|> = 151643 and no BOS, plus a piece " again" for longer examples.
inline tokenizer::Tokenizer qwen_like_tokenizer() {
  return word_tokenizer({{"Hello", 9707}, {",", 11}, {" world", 1879}, {"!", 0}, {" again", 1549}},
                        {{"<|endoftext|>", 151643}}, "<|endoftext|>");
}

// Digits, '+', '=', ' ', lowercase letters and '>' / '-' as single tokens; EOS 40, BOS 41: a
// vocabulary small enough for a tiny model (vocab_size 42).
inline tokenizer::Tokenizer character_tokenizer() {
  std::map<std::string, tokenizer::TokenId> pieces;
  for (int d = 0; d < 10; ++d) pieces[std::to_string(d)] = d;
  for (int c = 0; c < 26; ++c) pieces[std::string(1, char('a' + c))] = 10 + c;
  pieces["+"] = 36;
  pieces["="] = 37;
  pieces["-"] = 38;
  pieces[">"] = 39;
  return word_tokenizer(std::move(pieces), {{"<eos>", 40}, {"<bos>", 41}}, "<eos>", "<bos>");
}

}  // namespace bytegrad::testing
