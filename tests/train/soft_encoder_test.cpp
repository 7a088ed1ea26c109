// The soft encoder's data, training and plugging into a host (train/soft_encoder/).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "bytegrad.h"
#include "io/model_directory.h"
#include "io/safetensors.h"
#include "io/soft_encoder_directory.h"
#include "nn/llama.h"
#include "nn/loss.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"
#include "train/optimizer_settings.h"
#include "train/data/token_stream.h"
#include "train/soft_encoder/encoder_trainer.h"
#include "train/soft_encoder/host_plugging.h"
#include "train/soft_encoder/soft_prompt.h"
#include "train/soft_encoder/token_dataset.h"
#include "train/soft_encoder/token_encoding.h"
#include "tests/scratch_directory.h"
#include "tests/tiny_llama.h"

using namespace bytegrad;
using bytegrad::testing::scratch_directory;

namespace {

// A byte-level BPE learned from a few lines: 256 bytes, the merges the lines allow (about 40) and
// <|endoftext|>.
tokenizer::Tokenizer tiny_tokenizer() {
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i) {
    texts.push_back("the cat sat on the mat and the dog sat on the log");
    texts.push_back("a bird in the hand is worth two in the bush " + std::to_string(i));
  }
  const tokenizer::TrainedBpe trained =
      tokenizer::train_byte_level_bpe(texts, {.vocab_size = 300, .special_tokens = {"<|endoftext|>"}});
  const std::string directory = scratch_directory("soft_encoder_tokenizer");
  tokenizer::write_tokenizer_json(trained, directory + "/tokenizer.json");
  return tokenizer::load_hf_tokenizer_json(directory + "/tokenizer.json");
}

nn::SoftEncoderConfig tiny_encoder_config(int64_t output_size, int64_t max_bytes) {
  nn::SoftEncoderConfig config;
  config.hidden_size = 32;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.intermediate_size = 64;
  config.max_bytes = max_bytes;
  config.output_size = output_size;
  return config;
}

}  // namespace

TEST_CASE("the token dataset pairs ordinary tokens with the host's rows and holds 5% out") {
  const tokenizer::Tokenizer tok = tiny_tokenizer();
  const int64_t vocab = int64_t(tok.vocab_size());
  REQUIRE(vocab > 290);
  Generator generator(0);
  nn::Llama host(testing::tiny_llama_config(vocab, 16, 32), generator);
  const Tensor table = train::host_input_table(host, "host");
  const train::TokenDataset data = train::make_token_dataset(tok, table, {}, "host");
  CHECK(int64_t(data.train_ids.size() + data.heldout_ids.size()) == vocab - 1);  // <|endoftext|> is special
  CHECK(data.heldout_ids.size() == size_t(std::llround(0.05 * double(vocab - 1))));
  CHECK_FALSE(data.encoded[size_t(tok.special_token_id("<|endoftext|>"))]);
  // The split depends on the seed only.
  CHECK(train::make_token_dataset(tok, table, {}, "host").heldout_ids == data.heldout_ids);
  CHECK(train::make_token_dataset(tok, table, {.seed = 1}, "host").heldout_ids != data.heldout_ids);
}

TEST_CASE("a tokenizer whose vocabulary differs from the host's table is an error naming both") {
  const tokenizer::Tokenizer tok = tiny_tokenizer();
  Generator generator(0);
  nn::Llama host(testing::tiny_llama_config(int64_t(tok.vocab_size()) + 10, 16, 32), generator);
  CHECK_THROWS_WITH(train::make_token_dataset(tok, train::host_input_table(host, "hostdir"), {}, "hostdir"),
                    doctest::Contains(concat("hostdir: the tokenizer has ", tok.vocab_size(),
                                             " tokens but the embedding table ", tok.vocab_size() + 10, " rows")
                                          .c_str()));
}

TEST_CASE("a host directory without an input embedding table is an error naming the tensor") {
  Generator generator(0);
  nn::Llama host(testing::tiny_llama_config(300, 16, 32), generator);
  const std::string directory = scratch_directory("soft_encoder_host_without_table");
  io::save_pretrained_model(directory, host, nullptr);
  io::TensorMap weights = io::load_safetensors(directory + "/model.safetensors").tensors;
  weights.erase("model.embed_tokens.weight");
  io::save_safetensors(directory + "/model.safetensors", weights);
  CHECK_THROWS_WITH(io::load_pretrained_model(directory), doctest::Contains("model.embed_tokens.weight"));
}

TEST_CASE("a short run on a tiny host reaches 90% nearest-neighbour accuracy on its training tokens") {
  const tokenizer::Tokenizer tok = tiny_tokenizer();
  Generator generator(0);
  nn::Llama host(testing::tiny_llama_config(int64_t(tok.vocab_size()), 16, 32), generator);
  const train::TokenDataset data = train::make_token_dataset(tok, train::host_input_table(host, "host"), {}, "host");
  nn::SoftByteEncoder encoder(tiny_encoder_config(16, data.max_bytes), generator);
  train::OptimizerSettings settings;
  settings.adamw.learning_rate = 3e-3;
  settings.adamw.weight_decay = 0.0;
  const auto optimizer = train::make_optimizer(settings, encoder.named_parameters(), {});
  const train::LearningRateSchedule schedule{.peak = 3e-3, .floor = 3e-4, .warmup_steps = 10, .total_steps = 200};
  train::EncoderTrainer trainer(encoder, *optimizer, schedule, data, {.mse = 1, .cosine = 1, .contrastive = 1},
                                {.steps = 200, .batch_size = 64});
  const double before = trainer.evaluate().nn_accuracy_train;
  for (int64_t step = 0; step < 200; ++step) trainer.train_step();
  const train::EncoderEvaluation after = trainer.evaluate();
  MESSAGE("nearest-neighbour accuracy ", before, " -> ", after.nn_accuracy_train, " (held-out ",
          after.nn_accuracy_heldout, ")");
  CHECK(after.nn_accuracy_train >= 0.9);
}

TEST_CASE("the host's held-out loss with its own table is its ordinary loss") {
  Generator generator(0);
  nn::Llama host(testing::tiny_llama_config(50, 16, 32), generator);
  host.eval();
  std::vector<int32_t> tokens;
  for (int i = 0; i < 400; ++i) tokens.push_back((i * 7 + i / 3) % 50);
  const train::TokenSource eval(tokens);
  const train::HostTextOptions text{.batch_size = 2, .seq_len = 8, .eval_batches = 3};
  const double own = train::host_heldout_loss(host, train::host_input_table(host, "host"), eval, text);
  train::TokenBatches batches(eval, 2, 8, "eval");
  double expected = 0;
  NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) {
    const train::TokenBatch batch = batches.next_tokens();
    expected += nn::cross_entropy(host.forward(batch.inputs), batch.targets).item<float>();
  }
  CHECK(own == doctest::Approx(expected / 3).epsilon(1e-12));
}

TEST_CASE("fine-tuning through a frozen host changes the encoder only and lowers the host's loss") {
  const tokenizer::Tokenizer tok = tiny_tokenizer();
  Generator generator(0);
  nn::Llama host(testing::tiny_llama_config(int64_t(tok.vocab_size()), 16, 32), generator);
  const train::TokenDataset data = train::make_token_dataset(tok, train::host_input_table(host, "host"), {}, "host");
  nn::SoftByteEncoder encoder(tiny_encoder_config(16, data.max_bytes), generator);
  std::vector<int32_t> ids;
  for (int i = 0; i < 30; ++i)
    for (tokenizer::TokenId id : tok.encode("the cat sat on the mat ")) ids.push_back(id);
  const train::TokenSource text_tokens(ids);
  const train::HostTextOptions text{.batch_size = 4, .seq_len = 16, .eval_batches = 2};
  const Tensor host_table_before = clone(host.model.embed_tokens.weight.detach());
  const double before = train::host_heldout_loss(host, train::soft_input_table(encoder, data, false), text_tokens, text);
  train::finetune_through_host(host, encoder, data, text_tokens, text,
                               {.steps = 30, .learning_rate = 3e-3, .warmup_steps = 2, .freeze_host = true}, nullptr);
  const double after = train::host_heldout_loss(host, train::soft_input_table(encoder, data, false), text_tokens, text);
  MESSAGE("host loss with the encoder's table ", before, " -> ", after);
  CHECK(after < before);
  CHECK(max(abs(host.model.embed_tokens.weight - host_table_before)).item<float>() == 0.0f);
  CHECK(host.model.embed_tokens.weight.requires_grad());
}

TEST_CASE("a saved encoder loads back to the same embeddings") {
  Generator generator(5);
  nn::SoftByteEncoder encoder(tiny_encoder_config(16, 12), generator);
  const std::string directory = scratch_directory("soft_encoder_roundtrip");
  io::save_soft_encoder(directory, encoder);
  const io::LoadedSoftEncoder loaded = io::load_soft_encoder(directory);
  const Tensor rows = nn::frame_bytes({"hello", " world"}, 12);
  CHECK(max(abs(loaded.encoder->forward(rows) - encoder.forward(rows))).item<float>() == 0.0f);
  CHECK_THROWS_WITH(io::load_soft_encoder(scratch_directory("soft_encoder_empty")), doctest::Contains("no config.json"));
}

TEST_CASE("a [[word]] of a prompt becomes one extra position embedded by the encoder") {
  const tokenizer::Tokenizer tok = tiny_tokenizer();
  Generator generator(6);
  nn::SoftByteEncoder encoder(tiny_encoder_config(16, 12), generator);
  const train::SoftPrompt prompt = train::encode_soft_prompt("the [[ glorp]] sat", tok, encoder, 300, false);
  std::vector<int64_t> expected;
  for (tokenizer::TokenId id : tok.encode("the ")) expected.push_back(id);
  expected.push_back(300);
  for (tokenizer::TokenId id : tok.encode(" sat")) expected.push_back(id);
  CHECK(prompt.ids == expected);
  REQUIRE(prompt.words == std::vector<std::string>{" glorp"});
  CHECK(max(abs(prompt.rows - encoder.forward(nn::frame_bytes({" glorp"}, 12)))).item<float>() == 0.0f);
  CHECK(train::encode_soft_prompt("no [[marker here", tok, encoder, 300, false).words.empty());
  CHECK_THROWS_WITH(train::encode_soft_prompt("[[averyveryverylongword]]", tok, encoder, 300, false),
                    doctest::Contains("more than the encoder's max_bytes 12"));
}
