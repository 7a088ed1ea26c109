// Decoding from a quantized model directory (io/quantized_weights.h): the plan streams the
// stored matrices as they are, and what it computes is bit for bit what the float32 directory
// gives with the same format converted at start (generate --weights); --weights float32 on a
// quantized directory is the general path on its dequantized weights.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bytegrad.h"
#include "infer/generate.h"
#include "infer/llama_decode_plan.h"
#include "io/model_directory.h"
#include "io/quantized_weights.h"
#include "tests/infer/small_models.h"
#include "tests/scratch_directory.h"
#include "tests/test_util.h"

namespace bytegrad::infer {
namespace {

using kernels::cpu::WeightFormat;
using testing::SmallModel;

// Rows of 128 and 352 values: int8 groups of 64 shrink to 32 (352 = 11 * 32), in the plan's
// conversion and in the export alike.
nn::ModelConfig quantized_config(bool tied) { return testing::small_llama_config(256, 128, 352, 48, tied, 0.1); }

// The float32 directory and the `format` one of the same random Llama, loaded back.
struct Directories {
  io::PretrainedModel float32, quantized;
};

Directories save_and_load(const std::string& name, WeightFormat format, bool tied) {
  SmallModel small("llama", quantized_config(tied), 29);
  const std::string plain = testing::scratch_directory(name + "_float32");
  const std::string packed = testing::scratch_directory(name + "_" + kernels::cpu::weight_format_name(format));
  io::save_pretrained_model(plain, small.model, nullptr);
  const QuantizedWeights quantized = io::quantize_model_weights(small.model, format, 64);
  io::save_pretrained_model(packed, small.model, nullptr, &quantized);
  return {io::load_pretrained_model(plain), io::load_pretrained_model(packed)};
}

int64_t argmax_of(const Tensor& logits) { return argmax(flatten(logits)).item<int64_t>(); }

}  // namespace

TEST_CASE("a quantized directory's plan steps bit for bit as the float32 directory's converted plan") {
  for (const WeightFormat format : {WeightFormat::Int8Groups, WeightFormat::BFloat16})
    for (const bool tied : {false, true}) {
      INFO(kernels::cpu::weight_format_name(format) << std::string(tied ? " tied" : " untied"));
      Directories d = save_and_load("quantized_plan", format, tied);
      NoGradGuard no_grad;
      nn::KVCache converted_cache = d.float32.model->make_cache(), stored_cache = d.quantized.model->make_cache();
      LlamaDecodePlan converted(*d.float32.model, converted_cache, format, 64);
      LlamaDecodePlan stored(*d.quantized.model, stored_cache, format, 64, &d.quantized.quantized);
      CHECK(converted.converted_matrices() == 2 * 7 + (tied ? 1 : 2));
      CHECK(stored.converted_matrices() == 0);  // nothing converted: the directory's matrices as they are
      CHECK(stored.group() == converted.group());
      CHECK(stored.group() == (format == WeightFormat::Int8Groups ? 32 : 0));
      int64_t token = 1;
      for (int step = 0; step < 30; ++step) {
        INFO("step " << step);
        const Tensor& expected = converted.step(token);
        const Tensor& actual = stored.step(token);
        testing::check_close(actual, expected, 0, 0);
        token = argmax_of(expected);
      }
    }
}

TEST_CASE("generate from a quantized directory gives the tokens and log-probs of generate --weights on float32") {
  for (const WeightFormat format : {WeightFormat::Int8Groups, WeightFormat::BFloat16}) {
    INFO(kernels::cpu::weight_format_name(format));
    Directories d = save_and_load("quantized_generate", format, false);
    GenerationOptions options;
    options.temperature = 0;
    options.max_gen_len = 24;
    options.logprobs = true;
    options.weights = format;
    const std::vector<int64_t> prompt = {1, 30, 77, 5};
    const GenerationResult expected = generate(*d.float32.model, {prompt}, options);
    options.stored_weights = &d.quantized.quantized;
    const GenerationResult actual = generate(*d.quantized.model, {prompt}, options);
    CHECK(actual.tokens == expected.tokens);
    CHECK(actual.log_probs == expected.log_probs);  // exactly: the same products in the same order
  }
}

TEST_CASE("float32 decoding of an int8 directory is the general path on its dequantized weights") {
  Directories d = save_and_load("quantized_as_float32", WeightFormat::Int8Groups, false);
  nn::CausalLM& model = *d.quantized.model;
  GenerationOptions options;
  options.temperature = 0;
  options.max_gen_len = 16;
  options.stored_weights = &d.quantized.quantized;  // in another format than float32: unused
  const std::vector<int64_t> prompt = {4, 8, 15, 16};
  const std::vector<int64_t> decoded = generate(model, {prompt}, options).tokens[0];
  // The general path, a whole forward pass per token and no cache.
  NoGradGuard no_grad;
  model.eval();
  std::vector<int64_t> sequence = prompt;
  for (int64_t i = 0; i < options.max_gen_len; ++i) {
    const Tensor logits = model.forward(from_vector(sequence, {1, int64_t(sequence.size())}));
    sequence.push_back(argmax_of(select(select(logits, 0, 0), 0, logits.size(1) - 1)));
  }
  CHECK(decoded == std::vector<int64_t>(sequence.begin() + int64_t(prompt.size()), sequence.end()));
}

TEST_CASE("a quantized directory loaded without float32 matrices decodes the same, and restores them on request") {
  for (const WeightFormat format : {WeightFormat::Int8Groups, WeightFormat::BFloat16}) {
    INFO(kernels::cpu::weight_format_name(format));
    Directories d = save_and_load("quantized_released", format, false);
    const std::string directory =
        testing::scratch_directory("quantized_released_" + kernels::cpu::weight_format_name(format));
    io::save_pretrained_model(directory, *d.quantized.model, nullptr, &d.quantized.quantized);
    io::PretrainedModel lean = io::load_pretrained_model(directory, {.float32_matrices = false});
    REQUIRE(lean.quantized.format == format);
    for (const auto& [name, parameter] : lean.model->named_parameters()) {
      INFO(name);
      // The matrices are held only as stored; the norms as float32.
      CHECK(parameter.storage()->resident() == (parameter.dim() == 1));
      CHECK(lean.quantized.matrices.count(name) == (parameter.dim() == 2 ? 1u : 0u));
    }
    GenerationOptions options;
    options.temperature = 0;
    options.max_gen_len = 20;
    options.logprobs = true;
    options.weights = format;
    const std::vector<int64_t> prompt = {9, 2, 71};
    options.stored_weights = &d.quantized.quantized;
    const GenerationResult expected = generate(*d.quantized.model, {prompt}, options);
    options.stored_weights = &lean.quantized;
    const GenerationResult actual = generate(*lean.model, {prompt}, options);
    CHECK(actual.tokens == expected.tokens);
    CHECK(actual.log_probs == expected.log_probs);
    // Anything else reaching a released matrix is an error, until the float32 values are back.
    const Tensor ids = from_vector(std::vector<int64_t>{9, 2, 71}, {1, 3});
    CHECK(testing::error_of([&] { lean.model->forward(ids); }).find("its memory is released") != std::string::npos);
    io::restore_float32_matrices(lean);
    testing::check_close(lean.model->forward(ids), d.quantized.model->forward(ids), 0, 0);
  }
}

TEST_CASE("stored matrices of another format are not used: the plan converts the float32 weights") {
  Directories d = save_and_load("quantized_other_format", WeightFormat::Int8Groups, true);
  NoGradGuard no_grad;
  nn::KVCache cache = d.quantized.model->make_cache();
  CHECK(LlamaDecodePlan(*d.quantized.model, cache, WeightFormat::BFloat16, 64, &d.quantized.quantized)
            .converted_matrices() == 15);
  // A stored set that lacks a matrix is named.
  QuantizedWeights partial = d.quantized.quantized;
  partial.matrices.erase("model.layers.1.mlp.up_proj.weight");
  nn::KVCache other = d.quantized.model->make_cache();
  CHECK(testing::error_of([&] { LlamaDecodePlan(*d.quantized.model, other, WeightFormat::Int8Groups, 64, &partial); })
            .find("LlamaDecodePlan: the stored int8 weights have no model.layers.1.mlp.up_proj.weight") !=
        std::string::npos);
}

}  // namespace bytegrad::infer
