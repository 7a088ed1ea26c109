// A byte trie over vocabulary pieces for common-prefix search: all pieces that start a text, in
// one walk, without hashing substrings (the inner loop of unigram Viterbi segmentation).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/token_id.h"

namespace bytegrad::tokenizer {

class PieceTrie {
 public:
  explicit PieceTrie(const std::vector<std::pair<std::string, TokenId>>& pieces = {});

  // Calls on_match(length, id) for every piece that is a prefix of `text`, shortest first.
  template <class OnMatch>
  void common_prefixes(std::string_view text, OnMatch&& on_match) const {
    std::uint32_t node = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<unsigned char>(text[i]));
      if (node == kNone) return;
      if (nodes_[node].id >= 0) on_match(i + 1, nodes_[node].id);
    }
  }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  struct Node {
    TokenId id = -1;                // piece ending here, or -1
    std::uint32_t children_begin = 0;  // into labels_/targets_, sorted by label
    std::uint32_t children_count = 0;
  };

  std::uint32_t child(std::uint32_t node, unsigned char label) const;

  std::vector<Node> nodes_;
  std::vector<unsigned char> labels_;
  std::vector<std::uint32_t> targets_;
};

}  // namespace bytegrad::tokenizer
