#include "tokenizer/file_text.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bytegrad::tokenizer {

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return std::move(bytes).str();
}

}  // namespace bytegrad::tokenizer
