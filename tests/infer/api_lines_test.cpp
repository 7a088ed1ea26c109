// Lines of documentation compiled and run as written: the usage comment of infer/generate.h and
// the README's "Coming from PyTorch / Hugging Face" table. A line that stops compiling here is a
// line to fix there.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bytegrad.h"
#include "infer/generate.h"
#include "io/model_directory.h"
#include "nn/linear.h"
#include "nn/model_family.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "train/optimizer.h"

namespace bytegrad {
namespace {

namespace fs = std::filesystem;

// A model directory as `bytegrad train` writes one: a small BPE with an EOS and a random Llama.
fs::path small_model_directory() {
  const fs::path dir = fs::path(BYTEGRAD_BINARY_DIR) / "infer_tests" / "api_lines_model";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string> texts = {"the cat sat on the mat", "Hi there, the dog sat"};
  tokenizer::write_tokenizer_json(
      tokenizer::train_byte_level_bpe(texts, {.vocab_size = 280, .special_tokens = {"<|endoftext|>"}}),
      dir / "source_tokenizer.json");
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(dir / "source_tokenizer.json");
  nn::ModelConfig config;
  config.vocab_size = int64_t(tok.vocab_size());
  config.hidden_size = 16;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.intermediate_size = 24;
  config.max_position_embeddings = 32;
  Generator generator(5);
  io::save_pretrained_model(dir, *nn::build_causal_lm("llama", config, generator), &tok);
  fs::remove(dir / "source_tokenizer.json");
  return dir;
}

TEST_CASE("generate.h's usage lines compile as written: tokenizer ids in, text out") {
  const fs::path dir = small_model_directory();
  io::PretrainedModel pretrained = io::load_pretrained_model(dir);
  nn::CausalLM& model = *pretrained.model;
  const tokenizer::Tokenizer& tokenizer = *pretrained.tokenizer;
  const std::string text = "the cat";
  using namespace infer;

  GenerationOptions options;
  options.temperature = 0;                       // greedy
  options.stop_tokens = {*tokenizer.eos_id()};
  GenerationResult out = generate(model, tokenizer.encode(text, {.add_special_tokens = true}), options);
  std::string reply = tokenizer.decode(to_token_ids(out.tokens[0]));

  // The same as the batch API on int64 ids.
  const std::vector<tokenizer::TokenId> ids = tokenizer.encode(text, {.add_special_tokens = true});
  const GenerationResult batch = generate(model, {std::vector<int64_t>(ids.begin(), ids.end())}, options);
  CHECK(out.tokens == batch.tokens);
  CHECK(reply == tokenizer.decode(std::vector<tokenizer::TokenId>(batch.tokens[0].begin(), batch.tokens[0].end())));
  CHECK_THROWS_AS(to_token_ids(std::vector<int64_t>{int64_t(1) << 40}), Error);
}

// The README table's right-hand cells, row by row, each under its left-hand cell; `dir` (a
// model directory) and `gen` (a Generator) are the context the table assumes.
TEST_CASE("the README's PyTorch / Hugging Face table compiles and runs") {
  const std::string dir = small_model_directory().string();
  Generator gen(0);

  // x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
  Tensor x = from_vector<float>({1, 2, 3, 4}, {2, 2}).set_requires_grad();
  // class Net(nn.Module): ... self.fc = nn.Linear(2, 1) in __init__
  struct Net : nn::Module { nn::Linear fc; explicit Net(Generator& g) : fc(2, 1, true, g) { register_module("fc", &fc); } };
  // net = Net()
  Net net(gen);
  // loss = net.fc(x).pow(2).mean()
  Tensor loss = mean(pow(net.fc.forward(x), 2.0));
  // loss.backward()
  backward(loss);
  // optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2)
  train::AdamW optimizer(net.named_parameters(), {.learning_rate = 1e-2});
  // optimizer.step()
  optimizer.step();
  // model = AutoModelForCausalLM.from_pretrained(dir)
  io::PretrainedModel model = io::load_pretrained_model(dir);
  // tok = AutoTokenizer.from_pretrained(dir)
  tokenizer::Tokenizer tok = tokenizer::load_tokenizer(dir);
  // ids = tok("Hi")["input_ids"]
  std::vector<tokenizer::TokenId> ids = tok.encode("Hi", {.add_special_tokens = true});
  // out = model.generate(ids, max_new_tokens=20)
  infer::GenerationOptions options; options.max_gen_len = 20; infer::GenerationResult out = infer::generate(*model.model, ids, options);
  // text = tok.decode(out[0])
  std::string text = tok.decode(infer::to_token_ids(out.tokens[0]));

  CHECK(x.grad().defined());
  CHECK(optimizer.step_count() == 1);
  CHECK(out.tokens[0].size() <= 20);
  CHECK(text.size() >= out.tokens[0].size() / 4);
}

}  // namespace
}  // namespace bytegrad
