// The generate, chat and score commands end to end: a tiny model directory (random weights,
// a BPE tokenizer trained here) is written in Hugging Face's layout, the built `bytegrad`
// binary runs on it, and its output must equal what the library API computes.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bytegrad.h"
#include "infer/generate.h"
#include "infer/scoring.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/chat.h"
#include "tokenizer/load.h"
#include "io/model_directory.h"
#include "tests/cli_runner.h"

namespace bytegrad::infer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::CommandResult;
using testing::read_whole_file;
using testing::run_bytegrad;

fs::path scratch(const std::string& name) { return testing::cli_scratch("infer_tests", name); }

// A model directory: a byte-level BPE learned from a few sentences (with an end-of-text and,
// unless `chat_markers` is off, ChatML's markers) and a random `model_type` model over its
// vocabulary.
fs::path tiny_model_directory(const std::string& model_type, bool chat_markers = true) {
  const fs::path dir = scratch("model_" + model_type + (chat_markers ? "" : "_plain"));
  const std::vector<std::string> texts = {"the cat sat on the mat", "the dog sat on the log", "a cat and a dog",
                                          "caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC"};
  const tokenizer::TrainedBpe trained = tokenizer::train_byte_level_bpe(
      texts, {.vocab_size = 300,
              .special_tokens = chat_markers ? std::vector<std::string>{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}
                                             : std::vector<std::string>{"<|endoftext|>"}});
  tokenizer::write_tokenizer_json(trained, dir / "source_tokenizer.json");
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(dir / "source_tokenizer.json");
  nn::ModelConfig config;
  config.vocab_size = int64_t(tok.vocab_size());
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = model_type == "llama" ? 2 : 0;
  config.intermediate_size = 48;
  config.max_position_embeddings = 64;
  config.initializer_range = 0.2;
  Generator generator(21);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm(model_type, config, generator);
  nn::CausalLM& model = *model_owner;
  io::save_pretrained_model(dir, model, &tok);
  fs::remove(dir / "source_tokenizer.json");
  return dir;
}

std::vector<int64_t> as_int64(const std::vector<tokenizer::TokenId>& ids) { return {ids.begin(), ids.end()}; }

TEST_CASE("bytegrad generate prints the tokens generate() chooses, with their log-probs") {
  for (const char* type : {"llama", "gpt2"}) {
    INFO(type);
    const fs::path dir = tiny_model_directory(type);
    const CommandResult run = run_bytegrad("generate --model '" + dir.string() +
                                           "' --prompt 'the cat' --temperature 0 --max-new-tokens 20 --logprobs");
    REQUIRE_MESSAGE(run.status == 0, run.err);
    CHECK(run.err.find("tokens/s") != std::string::npos);

    io::PretrainedModel pretrained = io::load_pretrained_model(dir);
    const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
    GenerationOptions options;
    options.temperature = 0;
    options.max_gen_len = 20;
    options.logprobs = true;
    options.stop_tokens = {*tok.eos_id()};
    const GenerationResult expected =
        generate(*pretrained.model, {as_int64(tok.encode("the cat", {.add_special_tokens = true}))}, options);

    // stdout: the text, a newline, then the JSON line.
    REQUIRE(run.out.size() >= 2);
    const size_t json_start = run.out.rfind('\n', run.out.size() - 2) + 1;
    const json printed = json::parse(run.out.substr(json_start));
    CHECK(printed["tokens"].get<std::vector<int64_t>>() == expected.tokens[0]);
    const auto log_probs = printed["log_probs"].get<std::vector<double>>();
    REQUIRE(log_probs.size() == expected.log_probs[0].size());
    for (size_t i = 0; i < log_probs.size(); ++i) CHECK(log_probs[i] == doctest::Approx(expected.log_probs[0][i]));
    const std::vector<tokenizer::TokenId> ids(expected.tokens[0].begin(), expected.tokens[0].end());
    CHECK(run.out.substr(0, json_start) == tok.decode(ids, {.skip_special_tokens = true}) + "\n");
  }
}

TEST_CASE("bench generate decodes ours passive and starts run.c with the caller's wait policy") {
  // A stand-in for run.c that writes down the policy it was started with, then fails (the
  // benchmark stops there, naming the command).
  const fs::path dir = scratch("fake_run_c");
  const fs::path seen = dir / "policy_seen", program = dir / "run";
  std::ofstream(program) << "#!/bin/sh\necho \"${OMP_WAIT_POLICY-unset}\" > '" << seen.string() << "'\nexit 3\n";
  fs::permissions(program, fs::perms::owner_all);
  const std::string arguments = "bench generate --model tiny --repeats 1 --no-torch --llama2c-run '" + program.string() + "'";

  const CommandResult unset = run_bytegrad(arguments, "", "cli_tests", "env -u OMP_WAIT_POLICY");
  CHECK(unset.status != 0);
  CHECK_MESSAGE(unset.out.find("OMP_WAIT_POLICY: ours passive, the others unset") != std::string::npos, unset.out);
  CHECK(read_whole_file(seen) == "unset\n");  // run.c at libgomp's default, its best on an idle machine

  const CommandResult chosen = run_bytegrad(arguments, "", "cli_tests", "OMP_WAIT_POLICY=active");
  CHECK(chosen.status != 0);
  CHECK_MESSAGE(chosen.out.find("OMP_WAIT_POLICY: ours active, the others active") != std::string::npos, chosen.out);
  CHECK(read_whole_file(seen) == "active\n");  // a policy the caller chose holds for every side
}

TEST_CASE("bytegrad generate decodes with passive OpenMP threads unless the caller chose a policy") {
  const fs::path dir = tiny_model_directory("llama");
  const std::string arguments = "generate --model '" + dir.string() + "' --prompt 'the cat' --temperature 0 --max-new-tokens 4";
  // The program restarts itself with the variable set; its speed line says what it ran under.
  const CommandResult restarted = run_bytegrad(arguments, "", "cli_tests", "env -u OMP_WAIT_POLICY");
  REQUIRE_MESSAGE(restarted.status == 0, restarted.err);
  CHECK_MESSAGE(restarted.err.find("OMP_WAIT_POLICY=passive;") != std::string::npos, restarted.err);
  const CommandResult chosen = run_bytegrad(arguments, "", "cli_tests", "OMP_WAIT_POLICY=active");
  REQUIRE_MESSAGE(chosen.status == 0, chosen.err);
  CHECK_MESSAGE(chosen.err.find("OMP_WAIT_POLICY=active;") != std::string::npos, chosen.err);
  CHECK(chosen.out == restarted.out);
}

TEST_CASE("bytegrad generate --echo prints the prompt first; a seed reproduces a sampled run") {
  const fs::path dir = tiny_model_directory("llama");
  const std::string model = "generate --model '" + dir.string() + "' --prompt 'a dog' --max-new-tokens 10 ";
  const CommandResult echoed = run_bytegrad(model + "--echo --temperature 0");
  REQUIRE_MESSAGE(echoed.status == 0, echoed.err);
  CHECK(echoed.out.rfind("a dog", 0) == 0);
  const CommandResult first = run_bytegrad(model + "--temperature 1 --top-p 1 --seed 5");
  const CommandResult again = run_bytegrad(model + "--temperature 1 --top-p 1 --seed 5");
  REQUIRE_MESSAGE(first.status == 0, first.err);
  CHECK(first.out == again.out);
}

TEST_CASE("bytegrad score prints the response log-probs and entropy the API computes") {
  const fs::path dir = tiny_model_directory("llama");
  const std::vector<std::pair<std::string, std::string>> examples = {
      {"the cat", " sat on the mat"}, {"a", " dog and a cat"}, {"caf\xC3\xA9", ""}};
  std::string input;
  for (const auto& [prompt, response] : examples) input += json{{"prompt", prompt}, {"response", response}}.dump() + "\n";
  const CommandResult run = run_bytegrad("score --model '" + dir.string() + "'", input);
  REQUIRE_MESSAGE(run.status == 0, run.err);

  io::PretrainedModel pretrained = io::load_pretrained_model(dir);
  pretrained.model->eval();
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  std::istringstream lines(run.out);
  for (const auto& [prompt, response] : examples) {
    INFO(prompt << " | " << response);
    std::string line;
    REQUIRE(std::getline(lines, line));
    const json printed = json::parse(line);
    const std::vector<int64_t> prompt_ids = as_int64(tok.encode(prompt, {.add_special_tokens = true}));
    const std::vector<int64_t> response_ids = as_int64(tok.encode(response));
    CHECK(printed["response_ids"].get<std::vector<int64_t>>() == response_ids);
    const auto log_probs = printed["log_probs"].get<std::vector<double>>();
    const auto entropy = printed["entropy"].get<std::vector<double>>();
    REQUIRE(log_probs.size() == response_ids.size());
    REQUIRE(entropy.size() == response_ids.size());
    // The API on the whole sequence: position prompt_len - 1 + i predicts response token i.
    std::vector<int64_t> all = prompt_ids;
    all.insert(all.end(), response_ids.begin(), response_ids.end());
    const int64_t n = int64_t(all.size()) - 1;
    if (n == 0 || response_ids.empty()) continue;
    NoGradGuard no_grad;
    const ResponseLogProbs expected = get_response_log_probs(
        *pretrained.model, from_vector(std::vector<int64_t>(all.begin(), all.end() - 1), {1, n}),
        from_vector(std::vector<int64_t>(all.begin() + 1, all.end()), {1, n}), true);
    const std::vector<double> lp = expected.log_probs.to_vector<double>();
    const std::vector<double> ent = expected.token_entropy.to_vector<double>();
    for (size_t i = 0; i < response_ids.size(); ++i) {
      CHECK(log_probs[i] == doctest::Approx(lp[prompt_ids.size() - 1 + i]).epsilon(1e-6));
      CHECK(entropy[i] == doctest::Approx(ent[prompt_ids.size() - 1 + i]).epsilon(1e-6));
      CHECK(log_probs[i] < 0);
    }
  }
}

TEST_CASE("bytegrad score names the line of a bad record") {
  const fs::path dir = tiny_model_directory("gpt2");
  const CommandResult run = run_bytegrad("score --model '" + dir.string() + "'",
                                         "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\"}\n");
  CHECK(run.status != 0);
  CHECK(run.err.find("line 2") != std::string::npos);
  CHECK(run.err.find("response") != std::string::npos);
  CHECK(std::count(run.out.begin(), run.out.end(), '\n') == 1);  // line 1 was scored before
}

TEST_CASE("bytegrad chat answers each line with the reply generate() gives the composed chat") {
  const fs::path dir = tiny_model_directory("llama");
  const CommandResult run = run_bytegrad("chat --model '" + dir.string() + "' --temperature 0 --max-new-tokens 8",
                                         "hello there\nthe cat\n");
  REQUIRE_MESSAGE(run.status == 0, run.err);

  // The same two turns through the API, with ChatML (the tokenizer has its markers).
  io::PretrainedModel pretrained = io::load_pretrained_model(dir);
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  GenerationOptions options;
  options.temperature = 0;
  options.max_gen_len = 8;
  options.stop_tokens = {*tok.eos_id(), tok.special_token_id("<|im_end|>")};
  std::vector<tokenizer::ChatMessage> history;
  std::string expected;
  for (const char* message : {"hello there", "the cat"}) {
    history.push_back({"user", message});
    const auto ids = tokenizer::encode_chat(tok, tokenizer::ChatLayout::kChatMl, history, true).ids;
    const GenerationResult reply = generate(*pretrained.model, {as_int64(ids)}, options);
    const std::string text =
        tok.decode(std::vector<tokenizer::TokenId>(reply.tokens[0].begin(), reply.tokens[0].end()),
                   {.skip_special_tokens = true});
    expected += text + "\n";
    history.push_back({"assistant", text});
  }
  CHECK(run.out == expected);
}

TEST_CASE("bytegrad chat on a quantized directory decodes in its format, as chat --weights on float32") {
  const fs::path dir = tiny_model_directory("llama");
  const fs::path quantized = scratch("model_llama_int8");
  const CommandResult exported =
      run_bytegrad("export --model '" + dir.string() + "' --weights int8 --out '" + quantized.string() + "'");
  REQUIRE_MESSAGE(exported.status == 0, exported.err);
  const std::string options = "' --temperature 0 --max-new-tokens 8";
  const CommandResult stored = run_bytegrad("chat --model '" + quantized.string() + options, "hello there\nthe cat\n");
  const CommandResult converted =
      run_bytegrad("chat --model '" + dir.string() + options + " --weights int8", "hello there\nthe cat\n");
  REQUIRE_MESSAGE(stored.status == 0, stored.err);
  REQUIRE_MESSAGE(converted.status == 0, converted.err);
  CHECK(stored.err.find("int8 weights, stored in the model directory") != std::string::npos);
  CHECK(converted.err.find("int8 weights, converted from float32 at start") != std::string::npos);
  CHECK(stored.out == converted.out);
}

TEST_CASE("bytegrad chat on a tokenizer without markers names what it lacks and how to train them in") {
  const fs::path dir = tiny_model_directory("llama", /*chat_markers=*/false);
  const CommandResult run = run_bytegrad("chat --model '" + dir.string() + "' --template chatml", "hello\n");
  CHECK(run.status != 0);
  CHECK(run.err.find("lacks <|im_start|>, <|im_end|>, which the chatml chat template needs") != std::string::npos);
  CHECK(run.err.find("\"chat_template\": \"chatml\"") != std::string::npos);
  CHECK(run.err.find("--template") == std::string::npos);  // no other template to suggest
}

TEST_CASE("bytegrad generate says when the model's context ended the output before --max-new-tokens") {
  const fs::path dir = tiny_model_directory("llama");
  const std::string model = "generate --model '" + dir.string() + "' --prompt 'the cat' --temperature 0 ";
  const CommandResult cut = run_bytegrad(model + "--max-new-tokens 500");
  REQUIRE_MESSAGE(cut.status == 0, cut.err);
  CHECK(cut.err.find("stopped at the model's context of 64 tokens") != std::string::npos);
  const CommandResult whole = run_bytegrad(model + "--max-new-tokens 5");
  REQUIRE_MESSAGE(whole.status == 0, whole.err);
  CHECK(whole.err.find("context") == std::string::npos);
}

TEST_CASE("bytegrad tokenizer-train reads a directory's text files and creates the --output folder") {
  const fs::path dir = scratch("tokenizer_train");
  fs::create_directories(dir / "corpus" / "nested");
  std::ofstream(dir / "corpus" / "a.txt") << "the cat sat on the mat\nthe cat sat\n";
  std::ofstream(dir / "corpus" / "nested" / "b.txt") << "the dog sat on the log\n";
  const fs::path output = dir / "new" / "folder" / "tokenizer.json";
  const CommandResult run = run_bytegrad("tokenizer-train --input '" + (dir / "corpus").string() +
                                         "' --vocab-size 270 --output '" + output.string() + "'");
  REQUIRE_MESSAGE(run.status == 0, run.err);
  const tokenizer::Tokenizer tok = tokenizer::load_hf_tokenizer_json(output);
  CHECK(tok.encode("the dog").size() < std::string("the dog").size());  // learned from nested/b.txt too

  fs::create_directories(dir / "empty");
  const CommandResult empty = run_bytegrad("tokenizer-train --input '" + (dir / "empty").string() +
                                           "' --vocab-size 270 --output '" + output.string() + "'");
  CHECK(empty.status != 0);
  CHECK(empty.err.find("no text files under '" + (dir / "empty").string() + "'") != std::string::npos);
}

TEST_CASE("bytegrad errors say the command's prefix once, even when the library's message has it") {
  const fs::path dir = tiny_model_directory("llama");
  const CommandResult run = run_bytegrad("generate --model '" + dir.string() + "' --prompt ''");
  CHECK(run.status != 0);
  CHECK(run.err == "bytegrad generate: prompt 0 is empty\n");
}

TEST_CASE("bytegrad info --model describes the model and its tokenizer") {
  const fs::path dir = tiny_model_directory("llama");
  const CommandResult run = run_bytegrad("info --model '" + dir.string() + "'");
  REQUIRE_MESSAGE(run.status == 0, run.err);
  CHECK(run.out.find("model " + dir.string() + ": llama, 2 layers, hidden 32, 4 heads (2 key/value)") !=
        std::string::npos);
  CHECK(run.out.find("BOS none, EOS <|endoftext|>") != std::string::npos);
  CHECK(run.out.find("chat templates: chatml") != std::string::npos);
  const CommandResult missing = run_bytegrad("info --model /nonexistent");
  CHECK(missing.status != 0);
  CHECK(missing.err.find("/nonexistent") != std::string::npos);
}

TEST_CASE("bytegrad generate rejects a bad number and a directory without a model") {
  const CommandResult bad = run_bytegrad("generate --model /nonexistent --prompt x --temperature warm");
  CHECK(bad.status != 0);
  CHECK(bad.err.find("--temperature") != std::string::npos);
  const CommandResult missing = run_bytegrad("generate --model /nonexistent --prompt x");
  CHECK(missing.status != 0);
  CHECK(missing.err.find("/nonexistent") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::infer
