// `bytegrad tokenize --tokenizer PATH [--pattern NAME] [--add-special] [--parse-special]
//                    [--format ids|pieces|json] [--decode [--skip-special]]`
// Encodes UTF-8 text from stdin and prints the ids space-separated (or the pieces, or a JSON
// object with both); with --decode, reads ids from stdin and prints their text.
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "tools/cmd_tokenizer_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {
namespace {

using tokenizer::TokenId;

int decode_stdin(const tokenizer::Tokenizer& tok, bool skip_special) {
  std::vector<TokenId> ids;
  std::string word;
  while (std::cin >> word) {
    std::size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || id < 0 || id > INT32_MAX)
      throw std::runtime_error("stdin: '" + word + "' is not a token id (expected non-negative integers)");
    ids.push_back(TokenId(id));
  }
  std::cout << tok.decode(ids, {.skip_special_tokens = skip_special});
  return 0;
}

void print_encoded(const tokenizer::Tokenizer& tok, const std::vector<TokenId>& ids, const std::string& format) {
  if (format == "ids") {
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << '\n';
  } else if (format == "pieces") {
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << tok.id_to_piece(ids[i]);
    std::cout << '\n';
  } else if (format == "json") {
    nlohmann::json pieces = nlohmann::json::array();
    for (TokenId id : ids) pieces.push_back(tok.id_to_piece(id));
    // Byte-level pieces are valid UTF-8; SentencePiece pieces too. Replace anything else.
    std::cout << nlohmann::json{{"ids", ids}, {"pieces", pieces}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    throw std::runtime_error("--format '" + format + "' is not one of ids, pieces, json");
  }
}

}  // namespace

int run_tokenize(const Args& args) {
  const Options options = parse_options(command_spec("tokenize"), args);
  const tokenizer::Tokenizer tok = load_tokenizer_from_args(options);
  if (options.flag("--decode")) return decode_stdin(tok, options.flag("--skip-special"));
  const std::string text(std::istreambuf_iterator<char>(std::cin), {});
  const std::vector<TokenId> ids =
      tok.encode(text, {.add_special_tokens = options.flag("--add-special"), .parse_special = options.flag("--parse-special")});
  print_encoded(tok, ids, options.get("--format"));
  return 0;
}

}  // namespace bytegrad::tools
