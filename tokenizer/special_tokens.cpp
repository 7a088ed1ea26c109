#include "tokenizer/special_tokens.h"

#include <algorithm>
#include <stdexcept>

namespace bytegrad::tokenizer {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

SpecialTokenMatcher::SpecialTokenMatcher(std::vector<SpecialToken> tokens) : tokens_(std::move(tokens)) {
  for (const SpecialToken& t : tokens_) {
    if (t.text.empty())
      throw std::invalid_argument("special token " + std::to_string(t.id) + " has empty text");
    first_bytes_.set(static_cast<unsigned char>(t.text[0]));
    any_of_kind_[t.special] = true;
  }
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const SpecialToken& a, const SpecialToken& b) { return a.text.size() > b.text.size(); });
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    index_by_id_.emplace(tokens_[i].id, i);
    id_by_text_.emplace(tokens_[i].text, tokens_[i].id);
  }
}

const SpecialToken* SpecialTokenMatcher::find(TokenId id) const {
  const auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

const SpecialToken* SpecialTokenMatcher::find(std::string_view text) const {
  const auto it = id_by_text_.find(text);
  return it == id_by_text_.end() ? nullptr : find(it->second);
}

std::vector<TextSegment> SpecialTokenMatcher::split(std::string_view text, bool match_special) const {
  std::vector<TextSegment> segments;
  if (!any_of_kind_[false] && !(match_special && any_of_kind_[true])) {
    if (!text.empty()) segments.push_back({text, nullptr});
    return segments;
  }
  std::size_t plain_start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const SpecialToken* found = nullptr;
    if (first_bytes_.test(static_cast<unsigned char>(text[pos]))) {
      for (const SpecialToken& t : tokens_) {
        if ((t.special && !match_special) || text.compare(pos, t.text.size(), t.text) != 0) continue;
        found = &t;
        break;
      }
    }
    if (!found) {
      ++pos;
      continue;
    }
    std::size_t plain_end = pos;
    if (found->lstrip)
      while (plain_end > plain_start && is_space(text[plain_end - 1])) --plain_end;
    if (plain_end > plain_start) segments.push_back({text.substr(plain_start, plain_end - plain_start), nullptr});
    segments.push_back({text.substr(pos, found->text.size()), found});
    pos += found->text.size();
    if (found->rstrip)
      while (pos < text.size() && is_space(text[pos])) ++pos;
    plain_start = pos;
  }
  if (plain_start < text.size()) segments.push_back({text.substr(plain_start), nullptr});
  return segments;
}

}  // namespace bytegrad::tokenizer
