#include "tools/cmd_run_args.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace bytegrad::tools {

RunArgs parse_run_args(const Args& args, bool allow_resume) {
  const std::string expected = allow_resume ? "--config FILE, --set KEY=VALUE, --resume DIR" : "--config FILE, --set KEY=VALUE";
  RunArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag != "--config" && flag != "--set" && !(allow_resume && flag == "--resume"))
      throw std::runtime_error("unknown option '" + flag + "' (expected " + expected + ")");
    if (i + 1 >= args.size()) throw std::runtime_error(flag + " needs a value");
    const std::string& value = args[++i];
    if (flag == "--config") out.config = value;
    else if (flag == "--set") out.overrides.push_back(value);
    else out.resume = value;
  }
  if (out.config.empty()) throw std::runtime_error("missing required option --config FILE");
  return out;
}

void print_data_summary(const train::CorpusTokens& data, const std::filesystem::path& output_dir) {
  std::printf("corpus: %zu documents, %.2f MB of text from %zu files\n", data.documents, double(data.text_bytes) / 1e6,
              data.files);
  if (data.tokenizer_trained)
    std::printf("tokenizer: byte-level BPE of %zu tokens trained in %.1f s -> %s\n", data.tokenizer.vocab_size(),
                data.tokenizer_seconds, (output_dir / "tokenizer.json").c_str());
  else
    std::printf("tokenizer: %zu tokens, loaded in %.1f s\n", data.tokenizer.vocab_size(), data.tokenizer_seconds);
  const int64_t tokens = data.train.size() + data.eval.size();
  std::printf("tokens: %lld train, %lld held out (%.2f bytes/token)\n", static_cast<long long>(data.train.size()),
              static_cast<long long>(data.eval.size()), double(data.text_bytes) / double(tokens));
}

std::string format_duration(double seconds) {
  char text[32];
  const int s = int(std::lround(std::max(0.0, seconds)));
  std::snprintf(text, sizeof text, "%d:%02d", s / 60, s % 60);
  return text;
}

}  // namespace bytegrad::tools
