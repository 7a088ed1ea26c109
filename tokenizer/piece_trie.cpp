#include "tokenizer/piece_trie.h"

#include <algorithm>
#include <map>

namespace bytegrad::tokenizer {

PieceTrie::PieceTrie(const std::vector<std::pair<std::string, TokenId>>& pieces) {
  // Build with ordered maps, then lay the children of each node out contiguously and sorted.
  struct BuildNode {
    TokenId id = -1;
    std::map<unsigned char, std::uint32_t> children;
  };
  std::vector<BuildNode> build(1);
  for (const auto& [piece, id] : pieces) {
    std::uint32_t node = 0;
    for (unsigned char c : piece) {
      const auto it = build[node].children.find(c);
      if (it != build[node].children.end()) {
        node = it->second;
      } else {
        build.emplace_back();
        const auto next = std::uint32_t(build.size() - 1);
        build[node].children.emplace(c, next);
        node = next;
      }
    }
    build[node].id = id;
  }
  nodes_.resize(build.size());
  for (std::size_t n = 0; n < build.size(); ++n) {
    nodes_[n].id = build[n].id;
    nodes_[n].children_begin = std::uint32_t(labels_.size());
    nodes_[n].children_count = std::uint32_t(build[n].children.size());
    for (const auto& [label, target] : build[n].children) {
      labels_.push_back(label);
      targets_.push_back(target);
    }
  }
}

std::uint32_t PieceTrie::child(std::uint32_t node, unsigned char label) const {
  const Node& n = nodes_[node];
  const unsigned char* begin = labels_.data() + n.children_begin;
  const unsigned char* end = begin + n.children_count;
  const unsigned char* it = n.children_count <= 8 ? std::find(begin, end, label) : std::lower_bound(begin, end, label);
  if (it == end || *it != label) return kNone;
  return targets_[n.children_begin + (it - begin)];
}

}  // namespace bytegrad::tokenizer
