// `bytegrad tokenizer-bench --text FILE --tokenizer PATH [--tokenizer PATH...] [--pattern NAME]
//                          [--repeat N]`
// Encoding speed on the lines of FILE: single-threaded, then batch-parallel over lines (OpenMP,
// all cores), in MB of input per second (best of N runs). For a SentencePiece .model it also runs
// `spm_encode --output_format=id` on the same file in the same run, and checks that both produce
// the same number of tokens. Each timed run starts from a freshly loaded tokenizer.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "tokenizer/file_text.h"
#include "tools/cmd_tokenizer_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class Run>
double best_seconds(int repeat, Run&& run) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const auto start = Clock::now();
    run();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

// Like best_seconds, but each run gets a freshly loaded tokenizer (loading is not timed), so that
// word caches start empty and a repeated run does not measure the previous run's work.
template <class Run>
double best_seconds_fresh(int repeat, const std::function<tokenizer::Tokenizer()>& load, Run&& run) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const tokenizer::Tokenizer tok = load();
    const auto start = Clock::now();
    run(tok);
    best = std::min(best, seconds_since(start));
  }
  return best;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// spm_encode's time and token count on `text_path`; the model load (timed on empty input) is
// subtracted so that both sides measure encoding only.
std::pair<double, std::size_t> run_spm_encode(const std::string& model, const std::string& text_path, int repeat) {
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "bytegrad-bench-spm.txt";
  const auto run = [&](const std::string& input) {
    const std::string command = "spm_encode --model='" + model + "' --output_format=id < '" + input + "' > '" + out.string() + "'";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  };
  const double load = best_seconds(repeat, [&] { run("/dev/null"); });
  const double total = best_seconds(repeat, [&] { run(text_path); });
  std::size_t tokens = 0;
  std::ifstream in(out);
  for (std::string id; in >> id;) ++tokens;
  std::filesystem::remove(out);
  return {std::max(total - load, 1e-9), tokens};
}

}  // namespace

int run_tokenizer_bench(const Args& args) {
  const Options options = parse_options(command_spec("tokenizer-bench"), args);
  const std::string text_path = options.get("--text");
  const std::vector<std::string> paths = options.values("--tokenizer");
  const int repeat = std::stoi(options.get("--repeat"));
  const std::string text = tokenizer::read_file_bytes(text_path);
  const std::vector<std::string> lines = split_lines(text);
  const double mb = text.size() / 1e6;
  std::printf("text: %s, %.2f MB, %zu lines; %d threads for batch; best of %d runs\n", text_path.c_str(), mb,
              lines.size(), omp_get_max_threads(), repeat);
  std::printf("%-48s %-16s %10s %12s\n", "tokenizer", "mode", "MB/s", "tokens");
  for (const std::string& path : paths) {
    const auto load = [&] { return load_tokenizer_at(path, options.value("--pattern")); };
    std::size_t tokens = 0;
    const double single = best_seconds_fresh(repeat, load, [&](const tokenizer::Tokenizer& tok) {
      tokens = 0;
      for (const std::string& line : lines) tokens += tok.encode(line).size();
    });
    std::printf("%-48s %-16s %10.1f %12zu\n", path.c_str(), "single-thread", mb / single, tokens);
    std::size_t batch_tokens = 0;
    const double batch = best_seconds_fresh(repeat, load, [&](const tokenizer::Tokenizer& tok) {
      batch_tokens = 0;
      for (const auto& ids : tok.encode_batch(lines)) batch_tokens += ids.size();
    });
    std::printf("%-48s %-16s %10.1f %12zu\n", path.c_str(), "batch-parallel", mb / batch, batch_tokens);
    if (std::filesystem::path(path).extension() == ".model") {
      const auto [spm_seconds, spm_tokens] = run_spm_encode(path, text_path, repeat);
      std::printf("%-48s %-16s %10.1f %12zu\n", path.c_str(), "spm_encode", mb / spm_seconds, spm_tokens);
      std::printf("  single-thread speed-up over spm_encode: %.1fx; token counts %s\n", spm_seconds / single,
                  spm_tokens == tokens ? "agree" : "DIFFER");
    }
  }
  return 0;
}

}  // namespace bytegrad::tools
