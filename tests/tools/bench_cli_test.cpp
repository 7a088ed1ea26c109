// `bytegrad bench train` and `bench generate` on a CUDA device, end to end at their tiny shapes:
// on the emulated device of the test build (seconds), on a GPU in a real CUDA build. Where the
// build or machine has no CUDA device, `--device cuda` must fail naming the device instead.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "tests/cli_runner.h"

namespace bytegrad::tools {
namespace {

using testing::run_bytegrad;

// The whitespace-separated fields of the first line of `text` that begins with `prefix`, or
// none when no line does.
std::vector<std::string> row_starting_with(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string word; words >> word;) fields.push_back(word);
    return fields;
  }
  return {};
}

bool have_cuda() { return kernels::device_count(DeviceKind::CUDA) > 0; }

TEST_CASE("bench train --device cuda trains the tiny GPT-2 and reports tokens/s and MFU") {
  const auto result = run_bytegrad("bench train --device cuda --model tiny --steps 1 --no-torch");
  if (!have_cuda()) {
    CHECK(result.status != 0);
    CHECK(result.err.find("cuda:0") != std::string::npos);
    return;
  }
  INFO(result.out, result.err);
  REQUIRE(result.status == 0);
  CHECK(result.out.find("matmul precision 'medium' (bfloat16 inputs, float32 accumulation)") != std::string::npos);
  CHECK(result.out.find("MFU = tokens/s x (6 x parameters + 12 x layers x T x hidden) / 989 TFLOP/s") !=
        std::string::npos);
  // model, batch, steps, ours tok/s, torch tok/s, ratio, ours MFU, torch MFU, ours MiB, torch MiB
  const std::vector<std::string> row = row_starting_with(result.out, "tiny ");
  REQUIRE(row.size() == 10);
  CHECK(row[1] == "2x32");
  CHECK(std::stod(row[3]) > 0.0);
  CHECK(row[6].back() == '%');
  CHECK(row[4] == "-");  // --no-torch
  // The FLOPs per token the MFU uses: 6 x parameters + 12 x 2 layers x 32 positions x 64 hidden.
  const std::vector<std::string> step = row_starting_with(result.out, "  tiny ");
  REQUIRE(!step.empty());
  const size_t at = result.out.find("M parameters, ");
  REQUIRE(at != std::string::npos);
  const double flops = std::stod(result.out.substr(at + 14));
  const double parameters = 256 * 64 + 32 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64;  // tied head
  CHECK(flops == doctest::Approx(6 * parameters + 12 * 2 * 32 * 64).epsilon(1e-3));
}

TEST_CASE("bench train names an unknown matmul precision and the expected ones") {
  const auto result = run_bytegrad("bench train --model tiny --matmul-precision bf16 --no-torch");
  CHECK(result.status != 0);
  CHECK(result.err.find("'bf16' is unknown; expected highest (float32), high (TF32) or medium (bfloat16)") !=
        std::string::npos);
}

TEST_CASE("bench generate --device cuda decodes the tiny Llama and reports tokens/s") {
  const auto result = run_bytegrad("bench generate --device cuda --model tiny --repeats 1 --no-torch");
  if (!have_cuda()) {
    CHECK(result.status != 0);
    CHECK(result.err.find("cuda:0") != std::string::npos);
    return;
  }
  INFO(result.out, result.err);
  REQUIRE(result.status == 0);
  CHECK(result.out.find("greedy decoding at batch 1, cuda:0") != std::string::npos);
  CHECK(result.out.find("tiny, 28 new tokens") != std::string::npos);  // 32 positions - 4 prompt
  const std::vector<std::string> ours = row_starting_with(result.out, "  ours ");
  REQUIRE(ours.size() >= 2);
  CHECK(std::stod(ours[1]) > 0.0);
}

TEST_CASE("bench generate --device cuda refuses the CPU-only comparisons by name") {
  if (!have_cuda()) return;
  const auto result = run_bytegrad("bench generate --device cuda --model tiny --weights int8 --no-torch");
  CHECK(result.status != 0);
  CHECK(result.err.find("only float32 is measured") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::tools
