// tiktoken rank files: "base64(token bytes) rank" per line; the rank is the token id.
#include <charconv>
#include <stdexcept>

#include "tokenizer/base64.h"
#include "tokenizer/byte_level_bpe.h"
#include "tokenizer/file_text.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {

Tokenizer load_tiktoken(const std::filesystem::path& path, PretokenizerPattern pattern,
                        std::vector<SpecialToken> special_tokens) {
  const std::string source = path.string();
  const std::string text = read_file_bytes(path);
  ByteLevelBpe::Vocabulary bytes_by_id;
  std::size_t line_number = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto fail = [&](const std::string& what) {
      return std::runtime_error(source + ":" + std::to_string(line_number) + ": " + what +
                                " (expected 'base64-token rank')");
    };
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) throw fail("no space between token and rank");
    const std::optional<std::string> bytes = decode_base64(line.substr(0, space));
    if (!bytes || bytes->empty()) throw fail("token is not valid base64");
    const std::string_view rank_text = line.substr(space + 1);
    std::uint32_t rank = 0;
    const auto [ptr, ec] = std::from_chars(rank_text.data(), rank_text.data() + rank_text.size(), rank);
    if (ec != std::errc() || ptr != rank_text.data() + rank_text.size()) throw fail("rank is not an integer");
    if (rank >= (1u << 24)) throw fail("rank " + std::to_string(rank) + " is implausibly large");
    if (rank >= bytes_by_id.size()) bytes_by_id.resize(rank + 1);
    if (!bytes_by_id[rank].empty()) throw fail("rank " + std::to_string(rank) + " appears twice");
    bytes_by_id[rank] = *bytes;
  }
  if (bytes_by_id.empty()) throw std::runtime_error(source + ": no tokens in tiktoken file");
  auto model = std::make_shared<ByteLevelBpe>(ByteLevelBpe::from_ranks(std::move(bytes_by_id), pattern, source));
  return Tokenizer(std::move(model), std::move(special_tokens), {}, std::nullopt, std::nullopt, std::nullopt);
}

}  // namespace bytegrad::tokenizer
