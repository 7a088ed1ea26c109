#include "tokenizer/sentencepiece_model.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

// SentencePiece rejects a model with an empty piece ("piece must not be empty"): an empty
// user-defined piece matches zero bytes, so the normalizer would stand still on it forever.
SentencePieceProto without_empty_pieces(SentencePieceProto proto, const std::string& source) {
  for (std::size_t id = 0; id < proto.pieces.size(); ++id)
    if (proto.pieces[id].text.empty())
      throw std::runtime_error(source + ": piece " + std::to_string(id) + " is empty (SentencePiece rejects empty pieces)");
  return proto;
}

std::vector<std::string> user_defined_pieces(const SentencePieceProto& proto) {
  std::vector<std::string> pieces;
  for (const auto& p : proto.pieces)
    if (p.type == SentencePieceProto::PieceType::kUserDefined) pieces.push_back(p.text);
  std::sort(pieces.begin(), pieces.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return pieces;
}

// How SentencePiece spells byte b: "<0x0A>".
std::string byte_piece(int b) {
  char text[8];
  std::snprintf(text, sizeof text, "<0x%02X>", b);
  return text;
}

// Whether text[at] comes right after another "▁".
bool follows_space(std::string_view text, std::size_t at) {
  return at >= kSentencePieceSpace.size() &&
         text.substr(at - kSentencePieceSpace.size(), kSentencePieceSpace.size()) == kSentencePieceSpace;
}

// unigram_model.cc: an unknown character scores this far below the worst piece.
constexpr float kUnknownPenalty = 10.0f;

// U+2047 DOUBLE QUESTION MARK between spaces: how SentencePiece decodes the unknown piece.
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";

}  // namespace

SentencePieceModel::SentencePieceModel(SentencePieceProto proto, const std::string& source)
    : proto_(without_empty_pieces(std::move(proto), source)),
      normalizer_(proto_, user_defined_pieces(proto_), source),
      user_defined_(user_defined_pieces(proto_)) {
  if (proto_.model_type != SentencePieceProto::ModelType::kBpe &&
      proto_.model_type != SentencePieceProto::ModelType::kUnigram)
    throw std::runtime_error(source + ": trainer_spec.model_type " + std::to_string(int(proto_.model_type)) +
                             " is not supported (expected unigram or BPE)");
  const int size = int(proto_.pieces.size());
  if (proto_.unk_id < 0 || proto_.unk_id >= size || proto_.pieces[proto_.unk_id].type != PieceType::kUnknown)
    throw std::runtime_error(source + ": trainer_spec.unk_id " + std::to_string(proto_.unk_id) +
                             " is not an UNKNOWN piece");
  min_score_ = std::numeric_limits<float>::max();
  max_score_ = std::numeric_limits<float>::lowest();
  byte_ids_.fill(-1);
  for (int id = 0; id < size; ++id) {
    const auto& p = proto_.pieces[id];
    all_ids_.emplace(p.text, id);
    if (p.type == PieceType::kNormal || p.type == PieceType::kUserDefined || p.type == PieceType::kUnused) {
      segment_ids_.emplace(p.text, id);
    }
    if (p.type == PieceType::kNormal) {
      min_score_ = std::min(min_score_, p.score);
      max_score_ = std::max(max_score_, p.score);
    }
    if (p.type == PieceType::kByte) {
      unsigned value = 0;
      if (p.text.size() != 6 || std::sscanf(p.text.c_str(), "<0x%2X>", &value) != 1 || byte_piece(int(value)) != p.text)
        throw std::runtime_error(source + ": pieces[" + std::to_string(id) + "] '" + p.text +
                                 "' has type BYTE but is not spelled <0xXX>");
      byte_ids_[value] = id;
    }
  }
  std::vector<std::pair<std::string, TokenId>> viterbi_pieces;
  bpe_by_words_ = proto_.escape_whitespaces && !proto_.treat_whitespace_as_suffix;
  for (const auto& [text, id] : segment_ids_) {
    if (proto_.pieces[id].type != PieceType::kUnused) viterbi_pieces.emplace_back(text, id);
    for (std::size_t at = text.find(kSentencePieceSpace, 1); at != std::string::npos;
         at = text.find(kSentencePieceSpace, at + 1))
      if (!follows_space(text, at)) bpe_by_words_ = false;
  }
  segment_trie_ = PieceTrie(viterbi_pieces);
  if (proto_.byte_fallback) {
    for (int b = 0; b < 256; ++b)
      if (byte_ids_[b] < 0)
        throw std::runtime_error(source + ": trainer_spec.byte_fallback is set but piece " + byte_piece(b) + " is missing");
  }
}

TokenId SentencePieceModel::segment_id(std::string_view segment) const {
  const auto it = segment_ids_.find(segment);
  return it == segment_ids_.end() ? -1 : it->second;
}

std::size_t SentencePieceModel::initial_symbol_length(std::string_view text) const {
  for (const std::string& symbol : user_defined_)
    if (text.starts_with(symbol)) return symbol.size();
  return decode_utf8(text, 0).length;
}

bool SentencePieceModel::emit(std::string_view segment, TokenId id, bool after_unknown,
                              std::vector<TokenId>& ids) const {
  const bool known = id >= 0;
  if (known) {
    ids.push_back(id);
  } else if (proto_.byte_fallback) {
    for (unsigned char b : segment) ids.push_back(byte_ids_[b]);
  } else if (!after_unknown) {
    ids.push_back(proto_.unk_id);  // a run of unknown segments is one unknown token
  }
  return !known;
}

void SentencePieceModel::encode(std::string_view text, std::vector<TokenId>& ids) const {
  encode_segment(text, /*at_text_start=*/true, ids);
}

void SentencePieceModel::encode_segment(std::string_view text, bool at_text_start, std::vector<TokenId>& ids) const {
  const std::string normalized = normalizer_.normalize(text, at_text_start);
  if (normalized.empty()) return;
  if (proto_.model_type == SentencePieceProto::ModelType::kBpe) encode_bpe(normalized, ids);
  else encode_unigram(normalized, ids);
}

void SentencePieceModel::encode_bpe(std::string_view normalized, std::vector<TokenId>& ids) const {
  if (!bpe_by_words_) return encode_bpe_word(normalized, ids);
  const auto encode_word = [&](std::string_view word) {
    if (bpe_words_.lookup(word, ids)) return;
    const std::size_t first = ids.size();
    encode_bpe_word(word, ids);
    bpe_words_.insert(word, std::span(ids).subspan(first));
  };
  // A word starts at each "▁" that follows another character.
  std::size_t word_start = 0;
  for (std::size_t at = normalized.find(kSentencePieceSpace, 1); at != std::string_view::npos;
       at = normalized.find(kSentencePieceSpace, at + kSentencePieceSpace.size())) {
    if (follows_space(normalized, at)) continue;
    encode_word(normalized.substr(word_start, at - word_start));
    word_start = at;
  }
  encode_word(normalized.substr(word_start));
}

void SentencePieceModel::encode_bpe_word(std::string_view normalized, std::vector<TokenId>& ids) const {
  // Symbols form a linked list over byte ranges of `normalized`; a candidate merge is any
  // adjacent pair whose concatenation is a piece, ranked by the piece's score, then leftmost.
  struct Symbol {
    std::size_t begin, length;
    int prev, next;
  };
  struct Candidate {
    float score;
    int left, right;
    std::size_t length;  // stale when the symbols no longer add up to this
    bool operator<(const Candidate& o) const { return score != o.score ? score < o.score : left > o.left; }
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> agenda;  // a max-heap by Candidate::operator<
  symbols.clear();
  agenda.clear();
  for (std::size_t pos = 0; pos < normalized.size();) {
    const std::size_t length = initial_symbol_length(normalized.substr(pos));
    symbols.push_back({pos, length, int(symbols.size()) - 1, int(symbols.size()) + 1});
    pos += length;
  }
  symbols.back().next = -1;
  const auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::size_t length = symbols[left].length + symbols[right].length;
    const TokenId id = segment_id(normalized.substr(symbols[left].begin, length));
    if (id < 0) return;
    agenda.push_back({proto_.pieces[id].score, left, right, length});
    std::push_heap(agenda.begin(), agenda.end());
  };
  for (int i = 0; i + 1 < int(symbols.size()); ++i) consider(i, i + 1);
  while (!agenda.empty()) {
    std::pop_heap(agenda.begin(), agenda.end());
    const Candidate top = agenda.back();
    agenda.pop_back();
    Symbol& left = symbols[top.left];
    Symbol& right = symbols[top.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != top.length) continue;
    left.length = top.length;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    right.length = 0;
    consider(left.prev, top.left);
    consider(top.left, left.next);
  }
  bool after_unknown = false;
  for (int i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view segment = normalized.substr(symbols[i].begin, symbols[i].length);
    const TokenId id = segment_id(segment);
    const bool usable = id >= 0 && proto_.pieces[id].type != PieceType::kUnused;
    after_unknown = emit(segment, usable ? id : -1, after_unknown, ids);
  }
}

void SentencePieceModel::encode_unigram(std::string_view normalized, std::vector<TokenId>& ids) const {
  // best[end] is the best segmentation of normalized[0, end): its score and its last segment.
  struct Best {
    float score = 0;
    int start = -1;
    TokenId id = -1;
  };
  const std::size_t size = normalized.size();
  thread_local std::vector<Best> best;
  best.assign(size + 1, Best{});
  best[0].start = 0;
  const float unknown_score = min_score_ - kUnknownPenalty;
  for (std::size_t start = 0; start < size;) {
    const float score_here = best[start].score;
    const std::size_t char_length = decode_utf8(normalized, start).length;
    bool has_single_character_piece = false;
    // Rounding matters for ties: like unigram_model.cc, a piece's path score is summed in double
    // and compared with, then stored as, the float of the best path so far.
    const auto offer = [&](std::size_t end, double score, TokenId id) {
      Best& target = best[end];
      if (target.start == -1 || score > double(target.score)) target = {float(score), int(start), id};
    };
    segment_trie_.common_prefixes(normalized.substr(start), [&](std::size_t length, TokenId id) {
      const bool user_defined = proto_.pieces[id].type == PieceType::kUserDefined;
      // User-defined pieces get a bonus that makes them win over any split of themselves.
      const double piece_score = user_defined ? double(length) * max_score_ - 0.1 : proto_.pieces[id].score;
      offer(start + length, piece_score + score_here, id);
      if (length == char_length) has_single_character_piece = true;
    });
    if (!has_single_character_piece) offer(start + char_length, double(unknown_score + score_here), proto_.unk_id);
    start += char_length;
  }
  thread_local std::vector<std::size_t> ends;  // segment ends, from the back
  ends.clear();
  for (std::size_t end = size; end > 0; end = std::size_t(best[end].start)) ends.push_back(end);
  bool after_unknown = false;
  for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
    const Best& segment = best[*it];
    const TokenId id = segment.id == proto_.unk_id ? -1 : segment.id;
    after_unknown = emit(normalized.substr(segment.start, *it - segment.start), id, after_unknown, ids);
  }
}

std::string SentencePieceModel::decode(std::span<const TokenId> ids, bool at_text_start) const {
  std::string text;
  bool strip_leading_space = at_text_start && proto_.add_dummy_prefix && !proto_.treat_whitespace_as_suffix;
  for (TokenId id : ids) {
    if (id < 0 || std::size_t(id) >= proto_.pieces.size())
      throw std::out_of_range("SentencePiece: token id " + std::to_string(id) + " is not in the vocabulary of " +
                              std::to_string(proto_.pieces.size()));
    const auto& p = proto_.pieces[id];
    std::string surface;
    switch (p.type) {
      case PieceType::kControl:
        continue;
      case PieceType::kUnknown:
        surface = kUnknownSurface;
        break;
      case PieceType::kByte:
        surface = std::string(1, char(std::stoi(p.text.substr(3, 2), nullptr, 16)));
        break;
      default:
        for (std::size_t pos = 0; pos < p.text.size();) {
          if (std::string_view(p.text).substr(pos).starts_with(kSentencePieceSpace)) {
            surface += ' ';
            pos += kSentencePieceSpace.size();
          } else {
            surface += p.text[pos++];
          }
        }
    }
    if (strip_leading_space && surface.starts_with(' ')) surface.erase(0, 1);
    strip_leading_space = false;
    text += surface;
  }
  return text;
}

std::string SentencePieceModel::piece(TokenId id) const {
  if (id < 0 || std::size_t(id) >= proto_.pieces.size())
    throw std::out_of_range("SentencePiece: token id " + std::to_string(id) + " is not in the vocabulary of " +
                            std::to_string(proto_.pieces.size()));
  return proto_.pieces[id].text;
}

std::optional<TokenId> SentencePieceModel::find_piece(std::string_view piece) const {
  const auto it = all_ids_.find(piece);
  if (it == all_ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace bytegrad::tokenizer
