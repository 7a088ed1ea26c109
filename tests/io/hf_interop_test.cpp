// Model directories shared with PyTorch (tests/reference/hf_model_dir.py, torch modules that
// compute as transformers' LlamaForCausalLM and GPT2LMHeadModel under the same names): a
// directory we save gives the same logits in torch, and a sharded directory written by Python
// loads into our model with torch's logits.
//
// The reference needs Debian's /usr/bin/python3 with torch; without it these tests say so and
// skip.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "tests/io/torch_reference.h"
#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "io/model_directory.h"
#include "io/safetensors.h"

namespace bytegrad::io {
namespace {

using bytegrad::testing::check_close;
using namespace bytegrad::testing;

void run_reference(const std::string& arguments) { run_reference_script("hf_model_dir.py", arguments); }

nn::ModelConfig small_config(const std::string& type) {
  nn::ModelConfig c;
  c.vocab_size = 50;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = type == "llama" ? 2 : 0;
  c.intermediate_size = type == "llama" ? 40 : 0;
  c.max_position_embeddings = 16;
  c.rope_theta = 500000.0;
  c.tie_word_embeddings = type == "gpt2";
  c.initializer_range = 0.2;  // larger weights than training's default, so that the logits differ a lot
  return c;
}

}  // namespace

TEST_CASE("hf interop: torch computes our saved models' logits") {
  if (skip_without_torch("model directory interop")) return;
  for (const std::string type : {"llama", "gpt2"}) {
    INFO(type);
    const std::string directory = scratch_directory("hf_interop_ours_" + type);
    Generator generator(11);
    const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm(type, small_config(type), generator);
    nn::CausalLM& model = *model_owner;
    model.eval();
    io::save_pretrained_model(directory + "/model", model, nullptr);
    const Tensor ids = from_vector<int64_t>({1, 7, 49, 3, 3, 0, 12, 8, 5, 44, 2, 9, 31, 30}, {2, 7});
    io::save_safetensors(directory + "/ids.safetensors", {{"ids", ids}});
    run_reference("logits '" + directory + "/model' '" + directory + "/ids.safetensors' '" + directory +
                  "/logits.safetensors'");
    const Tensor theirs = io::load_safetensors(directory + "/logits.safetensors").tensors.at("logits");
    check_close(model.forward(ids), theirs, 2e-5, 1e-4);
  }
}

TEST_CASE("hf interop: a sharded directory written by Python loads with torch's logits") {
  if (skip_without_torch("model directory interop")) return;
  for (const std::string type : {"llama", "gpt2"}) {
    INFO(type);
    const std::string directory = scratch_directory("hf_interop_theirs_" + type);
    run_reference("write-sharded " + type + " '" + directory + "'");
    const io::PretrainedModel loaded = io::load_pretrained_model(directory);
    CHECK(loaded.model->model_type() == type);
    const io::TensorMap expected = io::load_safetensors(directory + "/expected.safetensors").tensors;
    check_close(loaded.model->forward(expected.at("ids")), expected.at("logits"), 2e-5, 1e-4);
  }
}

}  // namespace bytegrad::io
