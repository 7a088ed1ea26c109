// llama2.c export: header, weight order, the undoing of Hugging Face's q/k row permutation,
// the shared-classifier rule, and the configs run.c cannot reproduce.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "io/llama2c_export.h"

namespace bytegrad::io {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

nn::ModelConfig tiny_config() {
  nn::ModelConfig config;
  config.vocab_size = 6;
  config.hidden_size = 8;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.intermediate_size = 12;
  config.max_position_embeddings = 3;
  return config;
}

// Each weight filled with its own constant, except q/k whose rows hold their row index (so the
// permutation shows), keyed by Hugging Face name.
io::TensorMap labelled_weights(const nn::ModelConfig& config, bool with_classifier) {
  const int64_t dim = config.hidden_size, kv_dim = config.kv_heads() * config.head_size(),
                hidden = config.mlp_size();
  auto rows_numbered = [&](int64_t rows) {
    std::vector<float> values;
    for (int64_t r = 0; r < rows; ++r) values.insert(values.end(), size_t(dim), float(r));
    return from_vector(values, {rows, dim});
  };
  io::TensorMap weights = {{"model.embed_tokens.weight", full({config.vocab_size, dim}, 1)},
                       {"model.norm.weight", full({dim}, 2)}};
  if (with_classifier) weights["lm_head.weight"] = full({config.vocab_size, dim}, 3);
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const double base = 10 * (l + 1);
    weights[p + "input_layernorm.weight"] = full({dim}, base + 1);
    weights[p + "self_attn.q_proj.weight"] = rows_numbered(dim);
    weights[p + "self_attn.k_proj.weight"] = rows_numbered(kv_dim);
    weights[p + "self_attn.v_proj.weight"] = full({kv_dim, dim}, base + 4, {kBFloat16, kCPU});
    weights[p + "self_attn.o_proj.weight"] = full({dim, dim}, base + 5);
    weights[p + "post_attention_layernorm.weight"] = full({dim}, base + 6);
    weights[p + "mlp.gate_proj.weight"] = full({hidden, dim}, base + 7);
    weights[p + "mlp.up_proj.weight"] = full({hidden, dim}, base + 8);
    weights[p + "mlp.down_proj.weight"] = full({dim, hidden}, base + 9);
  }
  return weights;
}

struct Llama2cFile {
  int32_t header[7];
  std::vector<float> values;
  size_t cursor = 0;

  explicit Llama2cFile(const std::string& path) {
    const std::vector<char> bytes = read_bytes(path);
    REQUIRE(bytes.size() >= sizeof(header));
    std::memcpy(header, bytes.data(), sizeof(header));
    values.resize((bytes.size() - sizeof(header)) / sizeof(float));
    std::memcpy(values.data(), bytes.data() + sizeof(header), values.size() * sizeof(float));
  }
  // The next `count` floats must all equal `value`.
  void expect_constant(size_t count, float value, const char* what) {
    INFO(what);
    REQUIRE(cursor + count <= values.size());
    for (size_t i = 0; i < count; ++i) CHECK(values[cursor + i] == value);
    cursor += count;
  }
  // The next rows (of `dim` floats each) must hold these row labels.
  void expect_rows(const std::vector<float>& labels, size_t dim, const char* what) {
    for (float label : labels) expect_constant(dim, label, what);
  }
};

}  // namespace

TEST_CASE("llama2c export: header, weight order and un-permuted q/k rows") {
  const nn::ModelConfig config = tiny_config();
  const std::string path = scratch_directory("llama2c_order") + "/model.bin";
  io::export_llama2c(path, labelled_weights(config, true), config);
  Llama2cFile file(path);
  CHECK(std::vector<int32_t>(file.header, file.header + 7) == std::vector<int32_t>{8, 12, 2, 2, 1, -6, 3});
  file.expect_constant(6 * 8, 1, "embedding");
  file.expect_constant(8, 11, "layer 0 attention norm");
  file.expect_constant(8, 21, "layer 1 attention norm");
  // Head size 4: interleaved row 2i + p comes from rotate-half row p * 2 + i.
  for (int l = 0; l < 2; ++l) file.expect_rows({0, 2, 1, 3, 4, 6, 5, 7}, 8, "wq");
  for (int l = 0; l < 2; ++l) file.expect_rows({0, 2, 1, 3}, 8, "wk");
  file.expect_constant(4 * 8, 14, "layer 0 wv");
  file.expect_constant(4 * 8, 24, "layer 1 wv");
  file.expect_constant(8 * 8, 15, "layer 0 wo");
  file.expect_constant(8 * 8, 25, "layer 1 wo");
  file.expect_constant(8, 16, "layer 0 ffn norm");
  file.expect_constant(8, 26, "layer 1 ffn norm");
  file.expect_constant(12 * 8, 17, "layer 0 w1 (gate)");
  file.expect_constant(12 * 8, 27, "layer 1 w1 (gate)");
  file.expect_constant(8 * 12, 19, "layer 0 w2 (down)");
  file.expect_constant(8 * 12, 29, "layer 1 w2 (down)");
  file.expect_constant(12 * 8, 18, "layer 0 w3 (up)");
  file.expect_constant(12 * 8, 28, "layer 1 w3 (up)");
  file.expect_constant(8, 2, "final norm");
  // RoPE tables [seq_len=3, head_size/2=2]: position 0 has angle 0 (cos 1), then sin.
  CHECK(file.values[file.cursor] == 1.0f);
  CHECK(file.values[file.cursor + 2] == doctest::Approx(std::cos(1.0)));
  CHECK(file.values[file.cursor + 3] == doctest::Approx(std::cos(0.01)));
  file.cursor += 6;
  CHECK(file.values[file.cursor + 2] == doctest::Approx(std::sin(1.0)));
  file.cursor += 6;
  file.expect_constant(6 * 8, 3, "classifier");
  CHECK(file.cursor == file.values.size());
}

TEST_CASE("llama2c export: without lm_head the classifier is shared and vocab_size positive") {
  const nn::ModelConfig config = tiny_config();
  const std::string path = scratch_directory("llama2c_shared") + "/model.bin";
  io::export_llama2c(path, labelled_weights(config, false), config);
  Llama2cFile file(path);
  CHECK(file.header[5] == 6);
  const size_t per_layer = 8 + 8 * 8 + 2 * 4 * 8 + 8 * 8 + 8 + 3 * 12 * 8;
  CHECK(file.values.size() == 6 * 8 + 2 * per_layer + 8 + 2 * 3 * 2);
}

TEST_CASE("llama2c export: missing weights and configs run.c cannot run are named") {
  const std::string path = scratch_directory("llama2c_errors") + "/model.bin";
  nn::ModelConfig config = tiny_config();
  io::TensorMap weights = labelled_weights(config, true);
  weights.erase("model.layers.1.mlp.up_proj.weight");
  CHECK(error_of([&] { io::export_llama2c(path, weights, config); })
            .rfind(path + ": missing weight 'model.layers.1.mlp.up_proj.weight'", 0) == 0);
  weights = labelled_weights(config, true);
  weights["model.norm.weight"] = ones({9});
  CHECK(error_of([&] { io::export_llama2c(path, weights, config); })
            .rfind(path + ": weight 'model.norm.weight' has shape [9], expected [8]", 0) == 0);
  config.rope_theta = 500000;
  CHECK(error_of([&] { io::export_llama2c(path, labelled_weights(config, true), config); })
            .rfind(path + ": llama2.c's run.c uses RoPE theta 10000", 0) == 0);
  config = tiny_config();
  config.attention_bias = true;
  CHECK(error_of([&] { io::export_llama2c(path, labelled_weights(config, true), config); })
            .find("no attention or MLP biases") != std::string::npos);
  CHECK(entries(scratch_directory("llama2c_errors")).empty());
}

}  // namespace bytegrad::io

namespace bytegrad::io {
namespace {

// A version-2 file read as its bytes, walked in order.
struct Llama2cQ8File {
  std::vector<char> bytes;
  size_t cursor = 256;  // after the header

  explicit Llama2cQ8File(const std::string& path) : bytes(read_bytes(path)) { REQUIRE(bytes.size() >= 256); }
  template <typename T>
  T at(size_t offset) const {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
  }
  void expect_floats(size_t count, float value, const char* what) {
    INFO(what);
    REQUIRE(cursor + count * 4 <= bytes.size());
    for (size_t i = 0; i < count; ++i) CHECK(at<float>(cursor + 4 * i) == doctest::Approx(value));
    cursor += count * 4;
  }
  // A matrix of `rows` rows of one group each, row r holding label[r] in every column: int8 127
  // (0 for a zero row) and scale label / 127.
  void expect_matrix(const std::vector<float>& labels, size_t columns, const char* what) {
    INFO(what);
    REQUIRE(cursor + labels.size() * columns <= bytes.size());
    for (size_t r = 0; r < labels.size(); ++r)
      for (size_t c = 0; c < columns; ++c) CHECK(int(bytes[cursor + r * columns + c]) == (labels[r] == 0 ? 0 : 127));
    cursor += labels.size() * columns;
    for (const float label : labels) expect_floats(1, label / 127, what);
  }
};

}  // namespace

TEST_CASE("llama2c q8 export: runq.c's header, fp32 norms, then int8 groups with their scales") {
  const nn::ModelConfig config = tiny_config();
  const std::string path = scratch_directory("llama2c_q8") + "/model.bin";
  io::export_llama2c_q8(path, labelled_weights(config, true), config);  // group 64 backs off to dim 8
  Llama2cQ8File file(path);
  CHECK(file.at<uint32_t>(0) == 0x616b3432);
  CHECK(file.at<int32_t>(4) == 2);
  std::vector<int32_t> params(7);
  for (size_t i = 0; i < 7; ++i) params[i] = file.at<int32_t>(8 + 4 * i);
  CHECK(params == std::vector<int32_t>{8, 12, 2, 2, 1, 6, 3});
  CHECK(file.bytes[36] == 0);  // the classifier is not shared
  CHECK(file.at<int32_t>(37) == 8);
  file.expect_floats(8, 11, "layer 0 attention norm");
  file.expect_floats(8, 21, "layer 1 attention norm");
  file.expect_floats(8, 16, "layer 0 ffn norm");
  file.expect_floats(8, 26, "layer 1 ffn norm");
  file.expect_floats(8, 2, "final norm");
  file.expect_matrix(std::vector<float>(6, 1), 8, "embedding");
  for (int l = 0; l < 2; ++l) file.expect_matrix({0, 2, 1, 3, 4, 6, 5, 7}, 8, "wq");
  for (int l = 0; l < 2; ++l) file.expect_matrix({0, 2, 1, 3}, 8, "wk");
  file.expect_matrix(std::vector<float>(4, 14), 8, "layer 0 wv");
  file.expect_matrix(std::vector<float>(4, 24), 8, "layer 1 wv");
  file.expect_matrix(std::vector<float>(8, 15), 8, "layer 0 wo");
  file.expect_matrix(std::vector<float>(8, 25), 8, "layer 1 wo");
  file.expect_matrix(std::vector<float>(12, 17), 8, "layer 0 w1 (gate)");
  file.expect_matrix(std::vector<float>(12, 27), 8, "layer 1 w1 (gate)");
  // w2 [8, 12]: 96 values in 12 groups of 8, each constant.
  file.expect_matrix(std::vector<float>(12, 19), 8, "layer 0 w2 (down)");
  file.expect_matrix(std::vector<float>(12, 29), 8, "layer 1 w2 (down)");
  file.expect_matrix(std::vector<float>(12, 18), 8, "layer 0 w3 (up)");
  file.expect_matrix(std::vector<float>(12, 28), 8, "layer 1 w3 (up)");
  file.expect_matrix(std::vector<float>(6, 3), 8, "classifier");
  CHECK(file.cursor == file.bytes.size());
}

TEST_CASE("llama2c q8 export: a shared classifier is flagged and not written again") {
  const nn::ModelConfig config = tiny_config();
  const std::string path = scratch_directory("llama2c_q8_shared") + "/model.bin";
  io::export_llama2c_q8(path, labelled_weights(config, false), config, 4);
  Llama2cQ8File file(path);
  CHECK(file.bytes[36] == 1);
  CHECK(file.at<int32_t>(37) == 4);
  const size_t matrices = 6 * 8 + 2 * (8 * 8 + 2 * 4 * 8 + 8 * 8 + 3 * 12 * 8);  // int8 values
  CHECK(file.bytes.size() == 256 + 4 * (2 * 2 * 8 + 8) + matrices + 4 * matrices / 4);
}

}  // namespace bytegrad::io
