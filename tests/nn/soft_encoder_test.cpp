// The soft byte-to-token encoder (nn/soft_encoder.h) and a host fed another embedding table
// (nn/soft_embedding_lm.h).
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "bytegrad.h"
#include "nn/llama.h"
#include "nn/soft_embedding_lm.h"
#include "nn/soft_encoder.h"
#include "tests/tiny_llama.h"

using namespace bytegrad;
using namespace bytegrad::nn;

namespace {

SoftEncoderConfig small_config() {
  SoftEncoderConfig config;
  config.hidden_size = 8;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.intermediate_size = 16;
  config.max_bytes = 8;
  config.output_size = 6;
  return config;
}

double max_difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = bytegrad::to(a, kFloat64).to_vector<double>();
  const std::vector<double> y = bytegrad::to(b, kFloat64).to_vector<double>();
  REQUIRE(x.size() == y.size());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

}  // namespace

TEST_CASE("frame_bytes writes START, the bytes, END and right padding") {
  const Tensor rows = frame_bytes({"ab", ""}, 4, 5);
  CHECK(rows.to_vector<int64_t>() ==
        std::vector<int64_t>{kStartByte, 'a', 'b', kEndByte, kPadByte, kStartByte, kEndByte, kPadByte, kPadByte,
                             kPadByte});
  CHECK_THROWS_WITH(frame_bytes({"abcdef"}, 4), doctest::Contains("string 0 has 6 bytes, more than max_bytes 4"));
}

TEST_CASE("the same token padded to different lengths gets the same embedding") {
  for (const bool positions : {true, false}) {
    Generator generator(1);
    SoftEncoderConfig config = small_config();
    config.learned_positions = positions;
    SoftByteEncoder encoder(config, generator);
    const Tensor short_rows = encoder.forward(frame_bytes({"hi", "yes"}, 8, 5));
    const Tensor long_rows = encoder.forward(frame_bytes({"hi", "yes"}, 8, 10));
    CHECK(max_difference(short_rows, long_rows) < 1e-6);
  }
}

TEST_CASE("without the padding mask the pads change the embedding, as in the original") {
  Generator generator(1);
  SoftEncoderConfig config = small_config();
  config.padding_mask = false;
  SoftByteEncoder encoder(config, generator);
  CHECK(max_difference(encoder.forward(frame_bytes({"hi"}, 8, 4)), encoder.forward(frame_bytes({"hi"}, 8, 10))) >
        1e-4);
}

TEST_CASE("encoder gradients through the masked attention and the END pooling match central differences") {
  for (const std::string projection : {"linear", "mlp"}) {
    Generator generator(2);
    SoftEncoderConfig config = small_config();
    config.projection = projection;
    SoftByteEncoder encoder(config, generator);
    encoder.to(kFloat64);
    const Tensor rows = frame_bytes({"ab", "xyz", "q"}, 8, 7);  // pads in every row
    // The tensors differentiated: the byte table, the positions, the first layer's query and
    // value projections and the final norm; the rest of the model stays as it is.
    std::vector<Tensor*> slots = {&encoder.byte_embeddings.weight, &encoder.position_embeddings->weight,
                                  &encoder.layers[0].attn.q_proj.weight, &encoder.layers[0].attn.v_proj.weight,
                                  &encoder.norm.weight};
    std::vector<Tensor> inputs;
    std::vector<Tensor> kept;
    for (Tensor* slot : slots) {
      kept.push_back(*slot);
      inputs.push_back(slot->detach().set_requires_grad());
    }
    const GradcheckResult result = gradcheck(
        [&](const std::vector<Tensor>& in) {
          for (size_t k = 0; k < slots.size(); ++k) *slots[k] = in[k];
          return encoder.forward(rows);
        },
        inputs);
    for (size_t k = 0; k < slots.size(); ++k) *slots[k] = kept[k];
    CHECK_MESSAGE(result.passed, projection << ": " << result.message);
  }
}

TEST_CASE("the encoder config round-trips through JSON and rejects unknown keys") {
  SoftEncoderConfig config = small_config();
  config.projection = "mlp";
  const SoftEncoderConfig back = SoftEncoderConfig::from_json(config.to_json(), "config.json");
  CHECK(back.to_json() == config.to_json());
  CHECK_THROWS_WITH(SoftEncoderConfig::from_json({{"hidden_sise", 4}}, "enc.json"),
                    doctest::Contains("enc.json: unknown encoder config key \"hidden_sise\""));
  CHECK_THROWS_WITH(SoftEncoderConfig::from_json({{"output_size", 8}, {"projection", "conv"}}, "enc.json"),
                    doctest::Contains("projection \"conv\""));
}

TEST_CASE("a host given its own table as a soft table reproduces its logits exactly") {
  Generator generator(3);
  Llama host(testing::tiny_llama_config(40, 16, 32), generator);
  const Tensor ids = from_vector(std::vector<int64_t>{1, 5, 9, 39, 0, 2, 7, 7}, {2, 4});
  SoftEmbeddingLM soft(host, host.model.embed_tokens.weight.detach());
  CHECK(max_difference(soft.forward(ids), host.forward(ids)) == 0.0);
  // Packed rows run the host's own packed stack, and decoding through a cache advances it once.
  const Tensor embeds = soft.embed(ids);
  const Tensor positions = from_vector(std::vector<int64_t>{0, 1, 0, 1, 0, 1, 2, 3}, {2, 4});
  CHECK(max_difference(soft.hidden_states_packed(embeds, positions), host.hidden_states_packed(embeds, positions)) == 0.0);
  const NoGradGuard no_grad;
  KVCache cache = soft.make_cache();
  (void)soft.hidden_states(narrow(embeds, 1, 0, 3), 0, &cache);
  CHECK(cache.length == 3);
}

TEST_CASE("extra rows of a soft table are read as input and never predicted") {
  Generator generator(4);
  Llama host(testing::tiny_llama_config(40, 16, 32), generator);
  const Tensor table = cat({host.model.embed_tokens.weight.detach(), randn({2, 16}, {}, &generator)}, 0);
  SoftEmbeddingLM soft(host, table);
  const Tensor logits = soft.forward(from_vector(std::vector<int64_t>{3, 41, 4}, {1, 3}));
  CHECK(logits.size(-1) == 42);
  CHECK(std::isinf(select(select(select(logits, 0, 0), 0, 2), 0, 41).item<float>()));
  CHECK_THROWS_WITH(SoftEmbeddingLM(host, randn({39, 16})), doctest::Contains("must be floating [rows >= 40, 16]"));
}
