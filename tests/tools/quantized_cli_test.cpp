// Quantized model directories through the `bytegrad` program: `export --model DIR --weights
// int8|bfloat16` writes one, `generate` on it decodes in its format by default and prints what
// `generate --weights int8|bfloat16` prints on the float32 directory, token for token and
// log-prob for log-prob; `--weights float32` decodes its dequantized weights.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "bytegrad.h"
#include "io/model_directory.h"
#include "tests/cli_runner.h"
#include "tests/infer/small_models.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

fs::path scratch(const std::string& name) { return testing::cli_scratch("tools_tests", name); }
CommandResult run_bytegrad(const std::string& arguments) { return testing::run_bytegrad(arguments, "", "tools_tests"); }
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A float32 Llama directory with a byte-level BPE; rows of 64 and 128 values.
fs::path float32_directory() {
  const fs::path dir = scratch("quantized_source");
  const tokenizer::TrainedBpe trained = tokenizer::train_byte_level_bpe(
      std::vector<std::string>{"the cat sat on the mat", "the dog sat on the log", "a cat and a dog"},
      {.vocab_size = 300, .special_tokens = {"<|endoftext|>"}});
  tokenizer::write_tokenizer_json(trained, dir / "source_tokenizer.json");
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(dir / "source_tokenizer.json");
  fs::remove(dir / "source_tokenizer.json");
  const nn::ModelConfig config =
      testing::small_llama_config(int64_t(tok.vocab_size()), 64, 128, 64, /*tied=*/false, 0.2);
  Generator generator(5);
  const std::unique_ptr<nn::CausalLM> model = nn::build_causal_lm("llama", config, generator);
  io::save_pretrained_model(dir, *model, &tok);
  return dir;
}

std::string generate_command(const fs::path& dir, const std::string& extra) {
  return "generate --model '" + dir.string() + "' --prompt 'the cat' --temperature 0 --max-new-tokens 16 --logprobs " +
         extra;
}

}  // namespace

TEST_CASE("bytegrad export --weights writes a quantized directory that generate decodes as --weights does") {
  const fs::path source = float32_directory();
  const CommandResult exact = run_bytegrad(generate_command(source, ""));
  REQUIRE_MESSAGE(exact.status == 0, exact.err);
  CHECK(contains(exact.err, "float32 weights)"));
  for (const std::string weights : {"int8", "bfloat16"}) {
    INFO(weights);
    const fs::path out = scratch("quantized_" + weights);
    const CommandResult exported =
        run_bytegrad("export --model '" + source.string() + "' --weights " + weights + " --out '" + out.string() + "'");
    REQUIRE_MESSAGE(exported.status == 0, exported.err);
    CHECK(contains(exported.out, "with " + weights + " matrices -> " + out.string()));
    CHECK(fs::exists(out / "tokenizer.json"));
    const double ratio = double(fs::file_size(out / "model.safetensors")) / double(fs::file_size(source / "model.safetensors"));
    CHECK(ratio < (weights == "int8" ? 0.3 : 0.53));

    const CommandResult stored = run_bytegrad(generate_command(out, ""));
    const CommandResult converted = run_bytegrad(generate_command(source, "--weights " + weights));
    REQUIRE_MESSAGE(stored.status == 0, stored.err);
    REQUIRE_MESSAGE(converted.status == 0, converted.err);
    CHECK(contains(stored.err, weights + " weights, stored in the model directory"));
    CHECK(contains(converted.err, weights + " weights, converted from float32 at start"));
    CHECK(stored.out == converted.out);  // the text, the tokens and every log-prob

    const CommandResult dequantized = run_bytegrad(generate_command(out, "--weights float32"));
    REQUIRE_MESSAGE(dequantized.status == 0, dequantized.err);
    CHECK(contains(dequantized.err, "float32 weights)"));
  }
}

TEST_CASE("bytegrad export takes one source, and --weights only with --format hf") {
  const fs::path out = scratch("quantized_usage");
  const CommandResult neither = run_bytegrad("export --out '" + out.string() + "'");
  CHECK(neither.status == 2);
  CHECK(contains(neither.err, "give one of --checkpoint RUN_DIR and --model DIR"));
  const CommandResult llama2c = run_bytegrad("export --checkpoint x --format llama2c --weights int8 --out '" +
                                             (out / "m.bin").string() + "'");
  CHECK(llama2c.status == 2);
  CHECK(contains(llama2c.err, "--model and --weights go with --format hf"));
  const CommandResult unknown = run_bytegrad("export --model x --weights int4 --out '" + out.string() + "'");
  CHECK(unknown.status != 0);
  CHECK(contains(unknown.err, "int4"));
}

}  // namespace bytegrad::tools
