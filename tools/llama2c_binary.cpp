#include "tools/llama2c_binary.h"
#include "tools/wait_policy.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "tools/bench_python.h"

namespace bytegrad::tools {
namespace {

constexpr uint32_t kFirstCodePoint = 0x1000;
constexpr int64_t kMaxVocab = 0xD800 - kFirstCodePoint;  // stays below the UTF-16 surrogates

// U+0800 .. U+FFFF in UTF-8: 1110xxxx 10xxxxxx 10xxxxxx.
std::string utf8(uint32_t code_point) {
  return {char(0xE0 | (code_point >> 12)), char(0x80 | ((code_point >> 6) & 0x3F)),
          char(0x80 | (code_point & 0x3F))};
}

std::string piece(int64_t id) {
  return id == kLlama2cSpaceToken ? std::string(" ") : utf8(kFirstCodePoint + uint32_t(id));
}

std::string read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The ids whose pieces make up `text` (run.c's stdout without its final newline).
std::vector<int64_t> decode_pieces(const std::string& text, const std::string& command) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < text.size();) {
    const auto byte = uint8_t(text[i]);
    if (text[i] == ' ') {
      ids.push_back(kLlama2cSpaceToken);
      ++i;
      continue;
    }
    BYTEGRAD_CHECK((byte & 0xF0) == 0xE0 && i + 2 < text.size(), "bench generate: ", command,
                   " printed byte ", int(byte), " at offset ", i,
                   ", which is no piece of the benchmark's tokenizer");
    const uint32_t code_point = (uint32_t(byte & 0x0F) << 12) | (uint32_t(uint8_t(text[i + 1]) & 0x3F) << 6) |
                                (uint32_t(uint8_t(text[i + 2]) & 0x3F));
    BYTEGRAD_CHECK(code_point >= kFirstCodePoint, "bench generate: ", command, " printed U+",
                   code_point, ", which is no piece of the benchmark's tokenizer");
    ids.push_back(int64_t(code_point - kFirstCodePoint));
    i += 3;
  }
  return ids;
}

}  // namespace

void write_codepoint_tokenizer(const std::string& path, int64_t vocab_size) {
  BYTEGRAD_CHECK(vocab_size > kLlama2cSpaceToken && vocab_size <= kMaxVocab, "bench generate: a vocabulary of ",
                 vocab_size, " tokens does not fit the code point tokenizer (4 .. ", kMaxVocab, ")");
  std::ofstream file(path, std::ios::binary);
  const auto put = [&](const auto& value) { file.write(reinterpret_cast<const char*>(&value), sizeof(value)); };
  put(int32_t(3));  // max_token_length in bytes
  for (int64_t id = 0; id < vocab_size; ++id) {
    const std::string text = piece(id);
    put(float(0));  // merge scores: no two pieces concatenate to a third, so none are used
    put(int32_t(text.size()));
    file.write(text.data(), std::streamsize(text.size()));
  }
  BYTEGRAD_CHECK(file.good(), "bench generate: cannot write the tokenizer ", path);
}

Llama2cRun run_llama2c(const std::string& binary, const std::string& checkpoint,
                       const std::string& tokenizer, const std::vector<int64_t>& prompt,
                       int64_t steps, int threads) {
  BYTEGRAD_CHECK(prompt.size() >= 3 && prompt[0] == 1 && prompt[1] == kLlama2cSpaceToken,
                 "bench generate: a llama2.c prompt must start with BOS (1) and the space token (",
                 kLlama2cSpaceToken, ") and have a token after them");
  std::string text;
  for (size_t i = 2; i < prompt.size(); ++i) {
    BYTEGRAD_CHECK(prompt[i] > kLlama2cSpaceToken, "bench generate: prompt id ", prompt[i],
                   " has no piece that run.c encodes back to it (ids from 4 do)");
    text += piece(prompt[i]);
  }
  const std::string base = (std::filesystem::temp_directory_path() /
                            ("bytegrad-llama2c-" + std::to_string(getpid()))).string();
  const std::string out = base + ".out", err = base + ".err";
  const std::string command = caller_wait_policy_prefix() + "OMP_NUM_THREADS=" + std::to_string(threads) + " " + shell_quote(binary) + " " +
                              shell_quote(checkpoint) + " -z " + shell_quote(tokenizer) + " -t 0 -n " +
                              std::to_string(steps) + " -i " + shell_quote(text);
  const int status = std::system((command + " > " + shell_quote(out) + " 2> " + shell_quote(err)).c_str());
  std::string printed = read_text(out), report = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  BYTEGRAD_CHECK(status == 0, "bench generate: ", command, " failed (status ", status, "): ", report);
  const size_t rate_at = report.rfind("achieved tok/s: ");
  BYTEGRAD_CHECK(rate_at != std::string::npos, "bench generate: ", command,
                 " printed no \"achieved tok/s\" line: ", report);
  if (!printed.empty() && printed.back() == '\n') printed.pop_back();

  // It prints the pieces of positions 1 .. (the prompt's, the space stripped after BOS, then its own).
  const std::vector<int64_t> ids = decode_pieces(printed, command);
  const size_t forced = prompt.size() - 2;
  BYTEGRAD_CHECK(ids.size() >= forced && std::equal(prompt.begin() + 2, prompt.end(), ids.begin()),
                 "bench generate: ", command, " did not echo the prompt's tokens first");
  Llama2cRun run;
  run.tokens.assign(ids.begin() + int64_t(forced), ids.end());
  run.tokens_per_s = std::atof(report.c_str() + rate_at + std::strlen("achieved tok/s: "));
  run.stopped_at_bos = int64_t(run.tokens.size()) < steps - int64_t(prompt.size());
  return run;
}

}  // namespace bytegrad::tools
