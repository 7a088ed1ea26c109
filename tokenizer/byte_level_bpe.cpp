#include "tokenizer/byte_level_bpe.h"

#include <limits>
#include <stdexcept>

#include "tokenizer/byte_level.h"

namespace bytegrad::tokenizer {
namespace {

std::uint64_t pair_key(TokenId left, TokenId right) {
  return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
}

constexpr std::uint32_t kNoMerge = std::numeric_limits<std::uint32_t>::max();

}  // namespace

ByteLevelBpe::ByteLevelBpe(Vocabulary bytes_by_id, PretokenizerPattern pattern,
                           bool whole_piece_lookup, const std::string& source)
    : bytes_by_id_(std::move(bytes_by_id)), pattern_(pattern), whole_piece_lookup_(whole_piece_lookup) {
  id_by_bytes_.reserve(bytes_by_id_.size());
  for (std::size_t id = 0; id < bytes_by_id_.size(); ++id) {
    if (bytes_by_id_[id].empty()) continue;
    const auto [it, inserted] = id_by_bytes_.emplace(bytes_by_id_[id], TokenId(id));
    if (!inserted)
      throw std::runtime_error(source + ": tokens " + std::to_string(it->second) + " and " +
                               std::to_string(id) + " have the same bytes '" +
                               bytes_to_byte_level(bytes_by_id_[id]) + "'");
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = id_by_bytes_.find(std::string_view(reinterpret_cast<const char*>(&b), 1));
    if (it == id_by_bytes_.end())
      throw std::runtime_error(source + ": byte-level vocabulary lacks the single-byte token for byte " +
                               std::to_string(b) + " ('" + bytes_to_byte_level(std::string(1, char(b))) +
                               "')");
    byte_token_[b] = it->second;
  }
}

ByteLevelBpe ByteLevelBpe::from_ranks(Vocabulary bytes_by_id, PretokenizerPattern pattern,
                                      const std::string& source) {
  ByteLevelBpe bpe(std::move(bytes_by_id), pattern, /*whole_piece_lookup=*/true, source);
  // Every way of writing a token as two tokens is a merge into it, with the token's rank.
  for (std::size_t id = 0; id < bpe.bytes_by_id_.size(); ++id) {
    const std::string_view bytes = bpe.bytes_by_id_[id];
    for (std::size_t split = 1; split < bytes.size(); ++split) {
      const auto left = bpe.id_by_bytes_.find(bytes.substr(0, split));
      if (left == bpe.id_by_bytes_.end()) continue;
      const auto right = bpe.id_by_bytes_.find(bytes.substr(split));
      if (right == bpe.id_by_bytes_.end()) continue;
      bpe.add_merge(left->second, right->second, {std::uint32_t(id), TokenId(id)});
    }
  }
  return bpe;
}

ByteLevelBpe ByteLevelBpe::from_merges(Vocabulary bytes_by_id, const MergeList& merges,
                                       PretokenizerPattern pattern, bool whole_piece_lookup,
                                       const std::string& source) {
  ByteLevelBpe bpe(std::move(bytes_by_id), pattern, whole_piece_lookup, source);
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    // Named references, not a structured binding: lambdas may not capture bindings before clang 16.
    const std::string& left = merges[rank].first;
    const std::string& right = merges[rank].second;
    const auto id_of = [&](const std::string& bytes) {
      const auto it = bpe.id_by_bytes_.find(bytes);
      if (it == bpe.id_by_bytes_.end())
        throw std::runtime_error(source + ": merge " + std::to_string(rank) + " ('" +
                                 bytes_to_byte_level(left) + " " + bytes_to_byte_level(right) +
                                 "') uses '" + bytes_to_byte_level(bytes) +
                                 "', which is not in the vocabulary");
      return it->second;
    };
    const TokenId result = id_of(left + right);
    const TokenId l = id_of(left);
    const TokenId r = id_of(right);
    // A pair listed twice keeps its first (highest-priority) rank, as Hugging Face does.
    if (!bpe.find_merge(l, r)) bpe.add_merge(l, r, {std::uint32_t(rank), result});
  }
  return bpe;
}

void ByteLevelBpe::add_merge(TokenId left, TokenId right, Merge merge) {
  merges_.emplace(pair_key(left, right), merge);
}

const ByteLevelBpe::Merge* ByteLevelBpe::find_merge(TokenId left, TokenId right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void ByteLevelBpe::encode(std::string_view text, std::vector<TokenId>& ids) const {
  pretokenize(pattern_, text, [&](std::string_view piece) { encode_piece(piece, ids); });
}

void ByteLevelBpe::encode_piece(std::string_view piece, std::vector<TokenId>& ids) const {
  if (piece.size() == 1) {
    ids.push_back(byte_token_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  if (whole_piece_lookup_) {
    const auto it = id_by_bytes_.find(piece);
    if (it != id_by_bytes_.end()) {
      ids.push_back(it->second);
      return;
    }
  }
  // parts[i] is the token at position i; ranks[i] the priority of merging parts[i] and
  // parts[i + 1]. Each round merges the lowest-ranked pair, leftmost on ties, and re-ranks only
  // its two neighbours, as tiktoken does.
  thread_local std::vector<TokenId> parts;
  thread_local std::vector<Merge> pair_merges;
  parts.clear();
  pair_merges.clear();
  for (unsigned char b : piece) parts.push_back(byte_token_[b]);
  const auto merge_at = [&](std::size_t i) -> Merge {
    const Merge* m = find_merge(parts[i], parts[i + 1]);
    return m ? *m : Merge{kNoMerge, -1};
  };
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) pair_merges.push_back(merge_at(i));
  while (!pair_merges.empty()) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < pair_merges.size(); ++i)
      if (pair_merges[i].rank < pair_merges[best].rank) best = i;
    if (pair_merges[best].rank == kNoMerge) break;
    parts[best] = pair_merges[best].result;
    parts.erase(parts.begin() + std::ptrdiff_t(best) + 1);
    pair_merges.erase(pair_merges.begin() + std::ptrdiff_t(best));
    if (best < pair_merges.size()) pair_merges[best] = merge_at(best);
    if (best > 0) pair_merges[best - 1] = merge_at(best - 1);
  }
  ids.insert(ids.end(), parts.begin(), parts.end());
}

const std::string& ByteLevelBpe::token_bytes(TokenId id) const {
  if (id < 0 || std::size_t(id) >= bytes_by_id_.size() || bytes_by_id_[id].empty())
    throw std::out_of_range("byte-level BPE: token id " + std::to_string(id) +
                            " is not in the vocabulary of " + std::to_string(bytes_by_id_.size()));
  return bytes_by_id_[id];
}

std::string ByteLevelBpe::decode(std::span<const TokenId> ids, bool) const {
  std::string text;
  for (TokenId id : ids) text += token_bytes(id);
  return text;
}

std::string ByteLevelBpe::piece(TokenId id) const { return bytes_to_byte_level(token_bytes(id)); }

std::optional<TokenId> ByteLevelBpe::find_piece(std::string_view piece) const {
  const std::optional<std::string> bytes = byte_level_to_bytes(piece);
  if (!bytes) return std::nullopt;
  const auto it = id_by_bytes_.find(*bytes);
  if (it == id_by_bytes_.end()) return std::nullopt;
  return it->second;
}

}  // namespace bytegrad::tokenizer
