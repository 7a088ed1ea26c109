// `bytegrad score --model DIR`
// Reads JSONL from stdin, one {"prompt": ..., "response": ...} per line, and prints one JSON
// line per input: {"response_ids": [...], "log_probs": [...], "entropy": [...]}, for each
// response token its id, log p(token | prompt and the response before it) and the entropy of
// the model's distribution at that position. As in supervised fine-tuning (seed 003), the
// prompt is encoded with the tokenizer's special tokens (BOS) and the response without.
// Errors name the line.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "infer/finite_weights.h"
#include "infer/scoring.h"
#include "tensor/creation.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "io/model_directory.h"

namespace bytegrad::tools {
namespace {

using nlohmann::json;

struct ScoreRequest {
  std::string prompt;
  std::string response;
};

ScoreRequest parse_request(const std::string& line) {
  const json record = json::parse(line);  // throws json::parse_error
  if (!record.is_object()) throw std::runtime_error("expected a JSON object with \"prompt\" and \"response\"");
  for (const char* key : {"prompt", "response"})
    if (!record.contains(key) || !record[key].is_string())
      throw std::runtime_error(std::string("\"") + key + "\" must be a string");
  return {record["prompt"].get<std::string>(), record["response"].get<std::string>()};
}

// Scores the response tokens of prompt + response in one forward pass: the logits at
// position t predict token t + 1, so the response tokens are predicted from positions
// prompt_len - 1 .. total - 2.
json score(const nn::CausalLM& model, const tokenizer::Tokenizer& tok, const ScoreRequest& request) {
  const std::vector<tokenizer::TokenId> prompt = tok.encode(request.prompt, {.add_special_tokens = true});
  const std::vector<tokenizer::TokenId> response = tok.encode(request.response);
  if (prompt.empty()) throw std::runtime_error("the prompt encodes to no tokens, so nothing predicts the first response token");
  std::vector<int64_t> ids(prompt.begin(), prompt.end());
  ids.insert(ids.end(), response.begin(), response.end());
  const int64_t context = model.config().max_position_embeddings;
  if (int64_t(ids.size()) - 1 > context)
    throw std::runtime_error("prompt and response are " + std::to_string(ids.size()) +
                             " tokens, more than the context (" + std::to_string(context) + ") + 1");
  json out = {{"response_ids", std::vector<int64_t>(response.begin(), response.end())},
              {"log_probs", json::array()},
              {"entropy", json::array()}};
  if (response.empty()) return out;
  const int64_t inputs = int64_t(ids.size()) - 1;
  const Tensor input_ids = from_vector(std::vector<int64_t>(ids.begin(), ids.end() - 1), {1, inputs});
  const Tensor labels = from_vector(std::vector<int64_t>(ids.begin() + 1, ids.end()), {1, inputs});
  const infer::ResponseLogProbs scored = infer::get_response_log_probs(model, input_ids, labels, true);
  const int64_t first = int64_t(prompt.size()) - 1;
  const int64_t count = int64_t(response.size());
  out["log_probs"] = narrow(scored.log_probs, 1, first, count).to_vector<double>();
  out["entropy"] = narrow(scored.token_entropy, 1, first, count).to_vector<double>();
  return out;
}

}  // namespace

int run_score(const Args& args) {
  const Options cli = parse_options(command_spec("score"), args);
  const std::string directory = cli.get("--model");
  io::PretrainedModel pretrained = io::load_pretrained_model(directory);
  infer::require_finite_weights(*pretrained.model, directory);
  if (!pretrained.tokenizer) throw std::runtime_error(directory + ": no tokenizer.json or tokenizer.model");
  pretrained.model->eval();
  NoGradGuard no_grad;
  std::string line;
  for (int64_t number = 1; std::getline(std::cin, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json result;
    try {
      result = score(*pretrained.model, *pretrained.tokenizer, parse_request(line));
    } catch (const std::exception& e) {
      throw std::runtime_error("stdin line " + std::to_string(number) + ": " + e.what());
    }
    std::printf("%s\n", result.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace bytegrad::tools
