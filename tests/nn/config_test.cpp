// Model configs from JSON with Hugging Face's field names.
#include <doctest/doctest.h>

#include "nn/config.h"
#include "nn/model_family.h"
#include "tests/test_util.h"
#include "tests/tiny_llama.h"

namespace bytegrad::nn {
namespace {

bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

TEST_CASE("a Hugging Face Llama config.json reads as it is") {
  const ModelConfig config = model_config_from_json(nlohmann::json::parse(R"({
      "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "bfloat16",
      "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 2048,
      "intermediate_size": 5632, "max_position_embeddings": 2048, "num_attention_heads": 32,
      "num_hidden_layers": 22, "num_key_value_heads": 4, "rms_norm_eps": 1e-05,
      "rope_scaling": null, "rope_theta": 10000.0, "tie_word_embeddings": false,
      "use_cache": true, "vocab_size": 32000, "transformers_version": "4.35.0"})"),
                                                    "config.json");
  CHECK(config.hidden_size == 2048);
  CHECK(config.num_hidden_layers == 22);
  CHECK(config.kv_heads() == 4);
  CHECK(config.head_size() == 64);
  CHECK(config.mlp_size() == 5632);
  CHECK(config.norm_eps == 1e-5);
  CHECK(config.vocab_size == 32000);
}

TEST_CASE("GPT-2's own field names are aliases") {
  const ModelConfig config = model_config_from_json(nlohmann::json::parse(R"({
      "activation_function": "gelu_new", "n_embd": 768, "n_layer": 12, "n_head": 12,
      "n_positions": 1024, "n_ctx": 1024, "n_inner": null, "layer_norm_epsilon": 1e-05,
      "vocab_size": 50257, "attn_pdrop": 0.1, "embd_pdrop": 0.1, "resid_pdrop": 0.1})"),
                                                    "gpt2/config.json");
  CHECK(config.hidden_size == 768);
  CHECK(config.num_hidden_layers == 12);
  CHECK(config.kv_heads() == 12);
  CHECK(config.max_position_embeddings == 1024);
  CHECK(config.mlp_size() == 4 * 768);
  CHECK(config.hidden_act == "gelu_new");
  CHECK(config.residual_dropout == 0.1);
}

TEST_CASE("an unknown key is an error naming the file and the key") {
  const std::string message = testing::error_of([] {
    model_config_from_json(nlohmann::json::parse(R"({"hidden_size": 8, "hiden_layers": 2})"),
                           "model.json");
  });
  CHECK(message == "model.json: unknown model config key 'hiden_layers'");
}

TEST_CASE("a value of the wrong type is an error naming the key") {
  const std::string message = testing::error_of([] {
    model_config_from_json(nlohmann::json::parse(R"({"hidden_size": "eight"})"), "model.json");
  });
  CHECK(mentions(message, "model.json: model config key 'hidden_size'"));
}

TEST_CASE("a size must be an integer int64 holds: 1e30 and 128.5 are errors naming the key, 1e3 reads as 1000") {
  const auto error = [](const char* json) {
    return testing::error_of([&] { model_config_from_json(nlohmann::json::parse(json), "model.json"); });
  };
  const std::string base = R"("num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10)";
  CHECK(error((R"({"hidden_size": 1e30, )" + base + "}").c_str()) ==
        "model.json: model config key 'hidden_size': must be an integer of at most 9223372036854775807, got 1e+30");
  CHECK(error((R"({"hidden_size": 128.5, )" + base + "}").c_str()) ==
        "model.json: model config key 'hidden_size': must be an integer, got 128.5");
  CHECK(error((R"({"hidden_size": 18446744073709551615, )" + base + "}").c_str()).find("must be an integer of at most") !=
        std::string::npos);
  CHECK(model_config_from_json(nlohmann::json::parse(R"({"hidden_size": 1e3, )" + base + "}"), "m").hidden_size == 1000);
}

TEST_CASE("rope_theta, dropouts and parameter counts that overflow are checked") {
  const auto error = [](const std::string& extra) {
    return testing::error_of([&] {
      model_config_from_json(nlohmann::json::parse(R"({"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                                                      "vocab_size": 10)" + extra + "}"),
                             "model.json");
    });
  };
  CHECK(error(R"(, "rope_theta": 0)") == "model.json: rope_theta must be positive, not 0");
  CHECK(error(R"(, "resid_pdrop": 1.5)") == "model.json: resid_pdrop must be in [0, 1), not 1.5");
  CHECK(mentions(error(R"(, "vocab_size": 144115188075855873, "hidden_size": 64)"), "parameters, more than 64 bits can count"));
  CHECK(mentions(error(R"(, "num_hidden_layers": 1e18)"), "model.json: hidden_size 8, 1000000000000000000 layers"));
}

TEST_CASE("parameter_estimate is at least the parameters a model has and at most a third more") {
  for (const char* family : {"llama", "gpt2"}) {
    CAPTURE(family);
    nn::ModelConfig config = testing::tiny_llama_config(300, 64, 128);
    config.num_hidden_layers = 3;
    Generator generator(1);
    const auto model = build_causal_lm(family, config, generator);
    const double estimate = double(config.parameter_estimate("m")), actual = double(model->parameter_count());
    CHECK(estimate >= 0.97 * actual);
    CHECK(estimate <= 1.34 * actual);
  }
}

TEST_CASE("rope scaling is refused rather than ignored") {
  const std::string message = testing::error_of([] {
    model_config_from_json(nlohmann::json::parse(R"({"rope_scaling": {"type": "linear"}})"),
                           "model.json");
  });
  CHECK(mentions(message,
                 "model.json: model config key 'rope_scaling': rope scaling is not supported"));
}

TEST_CASE("key/value heads that do not divide the heads are an error") {
  const std::string message = testing::error_of([] {
    model_config_from_json(nlohmann::json::parse(R"({"vocab_size": 10, "hidden_size": 12,
        "num_hidden_layers": 1, "num_attention_heads": 6, "num_key_value_heads": 4})"),
                           "model.json");
  });
  CHECK(message == "model.json: num_key_value_heads 4 must divide num_attention_heads 6");
}

TEST_CASE("load_model_config names a file it cannot open") {
  const std::string message =
      testing::error_of([] { load_model_config("/nonexistent/config.json"); });
  CHECK(message == "/nonexistent/config.json: cannot open the model config");
}

}  // namespace
}  // namespace bytegrad::nn
