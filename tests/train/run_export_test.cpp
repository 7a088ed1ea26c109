// A training run's output directory exported: its newest checkpoint becomes a Hugging Face
// model directory with the run's tokenizer (same logits), or a llama2.c .bin.
#include <doctest/doctest.h>

#include <fstream>

#include <filesystem>
#include <string>

#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "train/checkpoint.h"
#include "io/json_file.h"
#include "io/model_directory.h"
#include "nn/llama.h"
#include "train/run_export.h"
#include "train/training_checkpoint.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::check_close;
using bytegrad::testing::error_of;
using namespace bytegrad::testing;

const nlohmann::json kModelSection = {{"model_type", "llama"},      {"hidden_size", 16},
                                      {"num_hidden_layers", 1},     {"num_attention_heads", 2},
                                      {"intermediate_size", 24},    {"max_position_embeddings", 16},
                                      {"tie_word_embeddings", true}};

// A run directory as `bytegrad train` leaves it: run_config.json, the trained tokenizer.json and
// two checkpoints, the newer holding `model`'s weights.
nn::CausalLM& write_run(const std::string& run, Generator& generator, std::optional<nn::Llama>& model) {
  tokenizer::write_tokenizer_json(
      tokenizer::train_byte_level_bpe(std::vector<std::string>{"ab ab abc", "abc abd"},
                                      {.vocab_size = 259, .special_tokens = {"<|endoftext|>"}}),
      run + "/tokenizer.json");
  io::write_json(run + "/run_config.json", {{"model", kModelSection}, {"data", {{"paths", {"corpus"}}, {"bpe_vocab_size", 259}}}});
  nlohmann::json section = kModelSection;
  section["vocab_size"] = 259;
  const nn::ModelConfig config = nn::model_config_from_json(section, "test");
  const std::unique_ptr<nn::CausalLM> older_owner = nn::build_causal_lm("llama", config, generator);
  nn::CausalLM& older = *older_owner;
  save_checkpoint(run + "/" + checkpoint_name(5), older.state_dict(), {}, {{"step", 5}});
  model.emplace(config, generator);
  save_checkpoint(run + "/" + checkpoint_name(10), model->state_dict(), {}, {{"step", 10}});
  return *model;
}

}  // namespace

TEST_CASE("run export: the newest checkpoint becomes a model directory with the run's tokenizer") {
  const std::string run = scratch_directory("run_export_hf");
  Generator generator(2);
  std::optional<nn::Llama> holder;
  nn::CausalLM& model = write_run(run, generator, holder);
  CHECK(export_run_hf(run, run + "/model") == 10);
  const io::PretrainedModel loaded = io::load_pretrained_model(run + "/model");
  CHECK(loaded.model->config().vocab_size == 259);  // from the embedding, as the config left it out
  model.eval();
  const Tensor ids = from_vector<int64_t>({1, 2, 3, 258}, {1, 4});
  check_close(loaded.model->forward(ids), model.forward(ids), 0, 0);
  REQUIRE(loaded.tokenizer.has_value());
  const tokenizer::Tokenizer original = tokenizer::load_hf_tokenizer_json(run + "/tokenizer.json");
  CHECK(loaded.tokenizer->encode("abc abd ab") == original.encode("abc abd ab"));

  CHECK(export_run_llama2c(run, run + "/model.bin") == 10);
  // 7 header ints, then float32: embedding, per-layer weights, final norm, RoPE tables; tied head.
  const int64_t floats = 259 * 16 + (16 + 4 * 16 * 16 + 16 + 3 * 24 * 16) + 16 + 16 * (16 / 2 / 2) * 2;
  CHECK(int64_t(std::filesystem::file_size(run + "/model.bin")) == 7 * 4 + floats * 4);
}

TEST_CASE("run export: --weights int8 writes the checkpoint's matrices as int8 groups beside the tokenizer") {
  const std::string run = scratch_directory("run_export_int8");
  Generator generator(4);
  std::optional<nn::Llama> holder;
  nn::CausalLM& model = write_run(run, generator, holder);
  CHECK(export_run_hf(run, run + "/model-int8", {kernels::cpu::WeightFormat::Int8Groups, 64}) == 10);
  const io::PretrainedModel loaded = io::load_pretrained_model(run + "/model-int8");
  // Rows of 16 and 24 values: groups of 64 shrink to 8.
  CHECK(loaded.quantized.format == kernels::cpu::WeightFormat::Int8Groups);
  CHECK(loaded.quantized.group == 8);
  const io::TensorMap checkpoint = model.state_dict();
  for (const auto& [name, matrix] : loaded.quantized.matrices) {
    INFO(name);
    const QuantizedMatrix expected = quantize_matrix(checkpoint.at(name), kernels::cpu::WeightFormat::Int8Groups, 8, name);
    CHECK(matrix.values.to_vector<int8_t>() == expected.values.to_vector<int8_t>());
    CHECK(matrix.scales.to_vector<float>() == expected.scales.to_vector<float>());
  }
  CHECK(loaded.quantized.matrices.size() == 1 + 7);  // tied: the embedding and one layer's seven
  REQUIRE(loaded.tokenizer.has_value());
  CHECK(loaded.tokenizer->encode("abc abd ab") ==
        tokenizer::load_hf_tokenizer_json(run + "/tokenizer.json").encode("abc abd ab"));

  // From the model directory written above, back to float32: the dequantized values.
  export_model_hf(run + "/model-int8", run + "/model-float32", {});
  const io::PretrainedModel plain = io::load_pretrained_model(run + "/model-float32");
  CHECK(plain.quantized.empty());
  const Tensor ids = from_vector<int64_t>({1, 2, 3, 258}, {1, 4});
  check_close(plain.model->forward(ids), loaded.model->forward(ids), 0, 0);
  CHECK(error_of([&] { export_model_hf(run + "/model-int8", run + "/model-int8/", {}); })
            .find("the export would overwrite the model directory it reads") != std::string::npos);
}

namespace {

// One entry of llama2.c's tokenizer.bin as run.c reads it.
struct Llama2cToken {
  float score;
  std::string bytes;
};

std::vector<Llama2cToken> read_llama2c_tokenizer(const std::string& path, int64_t vocab_size, int32_t& max_length) {
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(&max_length), 4);
  std::vector<Llama2cToken> tokens(static_cast<size_t>(vocab_size));
  for (Llama2cToken& token : tokens) {
    int32_t length = 0;
    in.read(reinterpret_cast<char*>(&token.score), 4);
    in.read(reinterpret_cast<char*>(&length), 4);
    token.bytes.resize(size_t(length));
    in.read(token.bytes.data(), length);
  }
  REQUIRE(in.good());
  CHECK(in.peek() == std::char_traits<char>::eof());
  return tokens;
}

}  // namespace

TEST_CASE("run export: llama2c writes tokenizer.bin beside the weights, each token's decoded bytes") {
  const std::string run = scratch_directory("run_export_llama2c_tokenizer");
  Generator generator(3);
  std::optional<nn::Llama> holder;
  write_run(run, generator, holder);
  std::filesystem::create_directories(run + "/out");
  export_run_llama2c(run, run + "/out/model.bin");
  REQUIRE(llama2c_tokenizer_path(run + "/out/model.bin") == std::filesystem::path(run + "/out/tokenizer.bin"));
  int32_t max_length = 0;
  const std::vector<Llama2cToken> tokens = read_llama2c_tokenizer(run + "/out/tokenizer.bin", 259, max_length);
  const tokenizer::Tokenizer original = tokenizer::load_hf_tokenizer_json(run + "/tokenizer.json");
  CHECK(max_length == int32_t(std::string("<|endoftext|>").size()));
  CHECK(tokens[' '].bytes == " ");
  CHECK(tokens[0xE2].bytes == "\xE2");  // a lone byte of a multi-byte character, raw
  const tokenizer::TokenId merged = 256;  // the first merge
  CHECK(tokens[256].bytes == original.decode(std::span(&merged, 1)));
  CHECK(tokens[256].score > tokens[257].score);  // earlier merges rank higher
  CHECK(tokens[258].bytes == "<|endoftext|>");
  // The text run.c prints for a sequence of ids is the concatenation of their bytes: decode's.
  const std::vector<tokenizer::TokenId> ids = original.encode("abc abd ab");
  std::string printed;
  for (tokenizer::TokenId id : ids) printed += tokens[size_t(id)].bytes;
  CHECK(printed == "abc abd ab");
}

TEST_CASE("run export: a directory that is not a run is named") {
  const std::string directory = scratch_directory("run_export_errors");
  CHECK(error_of([&] { export_run_hf(directory, directory + "/model"); }).find(directory + ": no run_config.json") !=
        std::string::npos);
  io::write_json(directory + "/run_config.json", {{"model", kModelSection}, {"data", {{"paths", {"c"}}, {"bpe_vocab_size", 259}}}});
  CHECK(error_of([&] { export_run_hf(directory, directory + "/model"); }).find(directory + ": no checkpoint there") !=
        std::string::npos);
}

}  // namespace bytegrad::train
