// Interoperability with independent Python implementations (tests/reference/train_formats.py,
// written from the format descriptions with torch): Python reads our safetensors files and
// writes ones we read, and its port of llama2.c's export.py produces the same .bin as ours.
//
// The reference needs Debian's /usr/bin/python3 with torch; without it these tests say so and
// skip.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/scratch_directory.h"
#include "tests/io/torch_reference.h"
#include "tests/test_util.h"
#include "io/llama2c_export.h"
#include "io/safetensors.h"

namespace bytegrad::io {
namespace {

using bytegrad::testing::check_close;
using namespace bytegrad::testing;

void run_reference(const std::string& arguments) { run_reference_script("train_formats.py", arguments); }

}  // namespace

TEST_CASE("python interop: torch reads our safetensors and writes one we read") {
  if (skip_without_torch("safetensors interop")) return;
  const std::string directory = scratch_directory("python_safetensors");
  const std::vector<double> values = {0, 1, -2.5, 3.25, 100, -0.125};
  io::TensorMap ours;
  for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16})
    ours.emplace(std::string(dtype_name(dtype)), from_vector(values, {3, 2}, {dtype, kCPU}));
  ours.emplace("int32", from_vector(std::vector<int32_t>{-7, 0, 2147483647}));
  ours.emplace("int64", from_vector(std::vector<int64_t>{-1, int64_t(1) << 40}, {1, 2}));
  ours.emplace("uint8", from_vector(std::vector<uint8_t>{0, 127, 255}));
  ours.emplace("bool", from_vector(std::vector<bool>{true, false, false}, {3}, {kBool, kCPU}));
  ours.emplace("empty", zeros({0, 3}));
  io::save_safetensors(directory + "/ours.safetensors", ours, {{"format", "pt"}});
  run_reference("safetensors-roundtrip '" + directory + "/ours.safetensors' '" + directory +
                "/theirs.safetensors'");

  const io::SafetensorsContents theirs = io::load_safetensors(directory + "/theirs.safetensors");
  CHECK(theirs.metadata == Metadata{{"writer", "torch"}});
  CHECK(theirs.tensors.size() == ours.size() + 1);
  std::vector<double> transformed;
  for (double value : values) transformed.push_back(2 * value + 1);
  for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
    const Tensor& tensor = theirs.tensors.at(std::string(dtype_name(dtype)));
    CHECK(tensor.dtype() == dtype);
    check_close(tensor, from_vector(transformed, {3, 2}), 0, 0);
  }
  check_close(theirs.tensors.at("int32"), from_vector(std::vector<int32_t>{-8, -1, 2147483646}), 0, 0);
  check_close(theirs.tensors.at("int64"),
              from_vector(std::vector<int64_t>{-2, (int64_t(1) << 40) - 1}, {1, 2}), 0, 0);
  check_close(theirs.tensors.at("uint8"), from_vector(std::vector<uint8_t>{255, 128, 0}), 0, 0);
  CHECK(theirs.tensors.at("bool").dtype() == kBool);
  check_close(theirs.tensors.at("bool"), from_vector(std::vector<double>{0, 1, 1}), 0, 0);
  CHECK(theirs.tensors.at("empty").shape() == Shape{0, 3});
  check_close(theirs.tensors.at("python/arange"),
              from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3}), 0, 0);
}

TEST_CASE("python interop: our llama2.c export equals llama2.c's export.py on random weights") {
  if (skip_without_torch("llama2.c export parity")) return;
  const std::string directory = scratch_directory("python_llama2c");
  nn::ModelConfig config;
  config.vocab_size = 11;
  config.hidden_size = 16;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.intermediate_size = 24;
  config.max_position_embeddings = 7;
  const nlohmann::json config_json = {{"vocab_size", 11}, {"hidden_size", 16},
                                      {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                                      {"num_key_value_heads", 2}, {"intermediate_size", 24},
                                      {"max_position_embeddings", 7}};
  write_text(directory + "/config.json", config_json.dump());

  Generator generator(2024);
  auto random = [&](const Shape& shape) { return randn(shape, {}, &generator); };
  const int64_t dim = 16, kv_dim = 8, hidden = 24;
  io::TensorMap weights = {{"model.embed_tokens.weight", random({11, dim})},
                       {"model.norm.weight", random({dim})}};
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    weights[p + "input_layernorm.weight"] = random({dim});
    weights[p + "post_attention_layernorm.weight"] = random({dim});
    weights[p + "self_attn.q_proj.weight"] = random({dim, dim});
    weights[p + "self_attn.k_proj.weight"] = random({kv_dim, dim});
    weights[p + "self_attn.v_proj.weight"] = random({kv_dim, dim});
    weights[p + "self_attn.o_proj.weight"] = random({dim, dim});
    weights[p + "mlp.gate_proj.weight"] = random({hidden, dim});
    weights[p + "mlp.up_proj.weight"] = random({hidden, dim});
    weights[p + "mlp.down_proj.weight"] = random({dim, hidden});
  }

  for (const bool shared : {false, true}) {
    INFO((shared ? "shared classifier" : "separate classifier"));
    if (shared)
      weights.erase("lm_head.weight");
    else
      weights["lm_head.weight"] = random({11, dim});
    io::save_safetensors(directory + "/model.safetensors", weights);
    io::export_llama2c(directory + "/ours.bin", weights, config);
    run_reference("llama2c '" + directory + "/model.safetensors' '" + directory + "/config.json' '" +
                  directory + "/theirs.bin'");

    const std::vector<char> ours = read_bytes(directory + "/ours.bin");
    const std::vector<char> theirs = read_bytes(directory + "/theirs.bin");
    REQUIRE(ours.size() == theirs.size());
    CHECK(std::memcmp(ours.data(), theirs.data(), 28) == 0);  // the header
    // Weights are copied, so equal bit for bit; the RoPE tables may differ in the last bit.
    size_t mismatches = 0;
    for (size_t offset = 28; offset < ours.size(); offset += 4) {
      float a, b;
      std::memcpy(&a, ours.data() + offset, 4);
      std::memcpy(&b, theirs.data() + offset, 4);
      if (std::fabs(a - b) > 1e-6f) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
}

}  // namespace bytegrad::io
