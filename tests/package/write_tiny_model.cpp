// Writes a tiny model directory for the package test: a byte-level BPE learned from a few
// sentences (with an end-of-text token) and a random two-layer Llama over its vocabulary.
//
//   write_tiny_model DIRECTORY
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "io/model_directory.h"
#include "nn/model_family.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"

using namespace bytegrad;
namespace fs = std::filesystem;

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::cerr << "usage: write_tiny_model DIRECTORY\n";
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  const std::vector<std::string> texts = {"the cat sat on the mat", "the dog sat on the log", "a cat and a dog"};
  const tokenizer::TrainedBpe trained =
      tokenizer::train_byte_level_bpe(texts, {.vocab_size = 300, .special_tokens = {"<|endoftext|>"}});
  const fs::path source = dir / "source_tokenizer.json";
  tokenizer::write_tokenizer_json(trained, source);
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(source);
  fs::remove(source);

  nn::ModelConfig config;
  config.vocab_size = int64_t(tok.vocab_size());
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.intermediate_size = 48;
  config.max_position_embeddings = 64;
  config.initializer_range = 0.2;
  Generator generator(21);
  const std::unique_ptr<nn::CausalLM> model = nn::build_causal_lm("llama", config, generator);
  io::save_pretrained_model(dir, *model, &tok);
  return 0;
} catch (const std::exception& error) {
  std::cerr << "write_tiny_model: " << error.what() << "\n";
  return 1;
}
