// Model directories in Hugging Face's layout: saving and loading give back the same model (same
// logits) and tokenizer, and a directory that does not fit says which file and why.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "io/json_file.h"
#include "io/model_directory.h"

namespace bytegrad::io {
namespace {

using bytegrad::testing::check_close;
using bytegrad::testing::error_of;
using namespace bytegrad::testing;

nn::ModelConfig tiny_config(bool tied, const std::string& type = "llama") {
  nn::ModelConfig c;
  c.vocab_size = 300;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = type == "gpt2" ? 0 : 2;  // GPT-2 has no grouped key/value heads
  c.intermediate_size = 24;
  c.max_position_embeddings = 16;
  c.tie_word_embeddings = tied;
  return c;
}

Tensor some_ids() { return from_vector<int64_t>({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}, {2, 6}); }

// A byte-level BPE learned on a few sentences, with "<|endoftext|>" after its 256 + merges.
tokenizer::Tokenizer tiny_tokenizer(const std::string& directory) {
  const std::vector<std::string> texts = {"the cat sat on the mat", "the dog sat on the log", "a cat and a dog"};
  const tokenizer::TrainedBpe trained =
      tokenizer::train_byte_level_bpe(texts, {.vocab_size = 290, .special_tokens = {"<|endoftext|>"}});
  tokenizer::write_tokenizer_json(trained, directory + "/tokenizer.json");
  return tokenizer::load_hf_tokenizer_json(directory + "/tokenizer.json");
}

}  // namespace

TEST_CASE("pretrained model: save then load gives the same logits, for Llama (tied or not) and GPT-2") {
  for (const auto& [type_name, tied] : {std::pair{"llama", false}, std::pair{"llama", true}, std::pair{"gpt2", true}}) {
    const std::string type = type_name;
    INFO(type << (tied ? " tied" : " untied"));
    const std::string directory = scratch_directory("pretrained_roundtrip_" + type + (tied ? "_tied" : ""));
    Generator generator(7);
    const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm(type, tiny_config(tied, type), generator);
    nn::CausalLM& model = *model_owner;
    model.eval();
    io::save_pretrained_model(directory, model, nullptr);
    CHECK(entries(directory) == std::vector<std::string>{"config.json", "model.safetensors"});
    const nlohmann::json config = io::read_json(directory + "/config.json");
    CHECK(config["model_type"] == type);
    CHECK(config["architectures"][0] == (type == "llama" ? "LlamaForCausalLM" : "GPT2LMHeadModel"));

    const io::PretrainedModel loaded = io::load_pretrained_model(directory);
    CHECK(loaded.model->model_type() == type);
    CHECK(loaded.model->config().kv_heads() == (type == "llama" ? 2 : 4));
    CHECK(!loaded.tokenizer.has_value());
    check_close(loaded.model->forward(some_ids()), model.forward(some_ids()), 0, 0);
  }
}

TEST_CASE("pretrained model: the tokenizer is written as tokenizer.json and read back with its EOS") {
  const std::string source = scratch_directory("pretrained_tokenizer_source");
  const tokenizer::Tokenizer tok = tiny_tokenizer(source);
  const std::string directory = scratch_directory("pretrained_tokenizer");
  Generator generator(1);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm("llama", tiny_config(true), generator);
  nn::CausalLM& model = *model_owner;
  io::save_pretrained_model(directory, model, &tok);
  // The merge list recovered from the loaded vocabulary is the one the trainer wrote.
  CHECK(io::read_json(directory + "/tokenizer.json")["model"]["merges"] ==
        io::read_json(source + "/tokenizer.json")["model"]["merges"]);
  const io::PretrainedModel loaded = io::load_pretrained_model(directory);
  REQUIRE(loaded.tokenizer.has_value());
  const std::string text = "the cat and the dog sat<|endoftext|>";
  CHECK(loaded.tokenizer->encode(text, {.parse_special = true}) == tok.encode(text, {.parse_special = true}));
  REQUIRE(loaded.tokenizer->eos_id().has_value());
  CHECK(*loaded.tokenizer->eos_id() == tok.special_token_id("<|endoftext|>"));
  CHECK(io::read_json(directory + "/config.json")["eos_token_id"] == tok.special_token_id("<|endoftext|>"));
}

TEST_CASE("pretrained model: GPT-2 checkpoints' bare names and mask buffers load as transformers loads them") {
  const std::string directory = scratch_directory("pretrained_gpt2_names");
  Generator generator(3);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm("gpt2", tiny_config(true, "gpt2"), generator);
  nn::CausalLM& model = *model_owner;
  io::save_pretrained_model(directory, model, nullptr);
  io::TensorMap bare;
  for (const auto& [name, tensor] : model.state_dict()) bare[name.substr(std::string("transformer.").size())] = tensor;
  bare["h.0.attn.bias"] = full({1, 1, 16, 16}, 1.0);
  bare["lm_head.weight"] = model.state_dict().at("transformer.wte.weight");
  io::save_safetensors(directory + "/model.safetensors", bare);
  const io::PretrainedModel loaded = io::load_pretrained_model(directory);
  check_close(loaded.model->forward(some_ids()), model.forward(some_ids()), 0, 0);
}

TEST_CASE("pretrained model: errors name the directory or file and what does not fit") {
  const std::string directory = scratch_directory("pretrained_errors");
  CHECK(error_of([&] { io::load_pretrained_model(directory + "/absent"); }).find("absent: no model directory") !=
        std::string::npos);
  CHECK(error_of([&] { io::load_pretrained_model(directory); }).find(directory + ": no config.json") != std::string::npos);

  Generator generator(1);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm("llama", tiny_config(false), generator);
  nn::CausalLM& model = *model_owner;
  io::save_pretrained_model(directory, model, nullptr);
  nlohmann::json config = io::read_json(directory + "/config.json");
  config["hidden_size"] = 32;
  io::write_json(directory + "/config.json", config);
  const std::string wrong_shape = error_of([&] { io::load_pretrained_model(directory); });
  CHECK(wrong_shape.find(directory + ": the weights do not fit") != std::string::npos);
  CHECK(wrong_shape.find("model.embed_tokens.weight") != std::string::npos);

  config["model_type"] = "mistral";
  io::write_json(directory + "/config.json", config);
  CHECK(error_of([&] { io::load_pretrained_model(directory); }).find("config.json: model_type 'mistral' is not supported") !=
        std::string::npos);

  std::filesystem::remove(directory + "/model.safetensors");
  config["model_type"] = "llama";
  io::write_json(directory + "/config.json", config);
  CHECK(error_of([&] { io::load_pretrained_model(directory); }).find("no model.safetensors") != std::string::npos);
}

}  // namespace bytegrad::io
