#include "infer/generate.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "autograd/functions.h"
#include "base/error.h"
#include "infer/llama_decode_plan.h"
#include "nn/token_log_probs.h"
#include "tensor/finite.h"

namespace bytegrad::infer {
namespace {

using TokenRows = std::vector<std::vector<int64_t>>;

constexpr int64_t kPad = -1;  // a buffer position no token has filled yet

// Switches a module to eval mode (dropout off) and restores its mode when it goes out of scope.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(nn::Module& module) : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  nn::Module& module_;
  bool was_training_;
};

// tokens[:, begin:end] as an int64 tensor [B, end - begin] on `device`.
Tensor token_columns(const TokenRows& tokens, int64_t begin, int64_t end, Device device = kCPU) {
  std::vector<int64_t> ids;
  ids.reserve(tokens.size() * size_t(end - begin));
  for (const auto& row : tokens) ids.insert(ids.end(), row.begin() + begin, row.begin() + end);
  return from_vector(ids, {int64_t(tokens.size()), end - begin}).to(device);
}

// logits [B, S, V] predict the tokens at positions first .. first + S - 1: writes each one's
// log-probability into log_probs (seed 004: -cross_entropy(logits, tokens[:, first:first + S])).
void record_log_probs(const Tensor& logits, int64_t first, const TokenRows& tokens,
                      std::vector<std::vector<double>>& log_probs) {
  const int64_t steps = logits.size(1);
  const Tensor targets = token_columns(tokens, first, first + steps, logits.device());
  const std::vector<double> values = nn::token_log_probs(logits, targets).to_vector<double>();
  for (size_t b = 0; b < tokens.size(); ++b)
    std::copy_n(values.begin() + int64_t(b) * steps, steps, log_probs[b].begin() + first);
}

// How many tokens of `row` come before its first stop token (all of them when it has none).
int64_t tokens_before_stop(const std::vector<int64_t>& row, const std::vector<int64_t>& stop_tokens) {
  return std::find_first_of(row.begin(), row.end(), stop_tokens.begin(), stop_tokens.end()) - row.begin();
}

// Seed 004's final cut: each row from the prompt's end (or its start with echo) to at most
// max_gen_len new tokens, then before the first stop token (even one inside an echoed prompt).
GenerationResult cut_rows(const TokenRows& tokens, const std::vector<std::vector<double>>& log_probs,
                          const TokenRows& prompts, const GenerationOptions& options, int64_t total_len) {
  GenerationResult result;
  for (size_t b = 0; b < tokens.size(); ++b) {
    const int64_t prompt_len = int64_t(prompts[b].size());
    const int64_t start = options.echo ? 0 : prompt_len;
    const int64_t end = std::min(prompt_len + std::min(options.max_gen_len, total_len), total_len);
    const std::vector<int64_t> row(tokens[b].begin() + start, tokens[b].begin() + end);
    const int64_t kept = tokens_before_stop(row, options.stop_tokens);
    result.tokens.emplace_back(row.begin(), row.begin() + kept);
    if (options.logprobs)
      result.log_probs.emplace_back(log_probs[b].begin() + start, log_probs[b].begin() + start + kept);
  }
  return result;
}

void check_prompts(const std::vector<std::vector<int64_t>>& prompts, const GenerationOptions& options,
                   int64_t max_seq_len) {
  options.validate();
  BYTEGRAD_CHECK(!prompts.empty(), "generate: no prompts given");
  BYTEGRAD_CHECK(options.max_gen_len >= 0, "generate: max_gen_len must be >= 0, got ", options.max_gen_len);
  for (size_t b = 0; b < prompts.size(); ++b) {
    BYTEGRAD_CHECK(!prompts[b].empty(), "generate: prompt ", b, " is empty");
    BYTEGRAD_CHECK(int64_t(prompts[b].size()) <= max_seq_len, "generate: prompt ", b, " has ",
                   prompts[b].size(), " tokens, more than max_position_embeddings (", max_seq_len, ")");
  }
}

}  // namespace

GenerationResult generate(nn::CausalLM& model, const std::vector<std::vector<int64_t>>& prompt_tokens,
                          const GenerationOptions& options) {
  const int64_t max_seq_len = model.config().max_position_embeddings;
  check_prompts(prompt_tokens, options, max_seq_len);
  const size_t batch = prompt_tokens.size();
  auto prompt_len = [&](size_t b) { return int64_t(prompt_tokens[b].size()); };
  int64_t min_prompt_len = std::numeric_limits<int64_t>::max(), max_prompt_len = 0;
  for (size_t b = 0; b < batch; ++b) {
    min_prompt_len = std::min(min_prompt_len, prompt_len(b));
    max_prompt_len = std::max(max_prompt_len, prompt_len(b));
  }
  // max_gen_len may be any int64 ("as many as fit"): bounded first, so the sum cannot overflow.
  const int64_t total_len = std::min(max_seq_len, std::min(options.max_gen_len, max_seq_len) + max_prompt_len);

  NoGradGuard no_grad;
  EvalModeGuard eval_mode(model);
  const Device device = model.device();  // ids go there; the last logits come back to be sampled
  Generator generator(options.seed);
  nn::KVCache cache = model.make_cache(total_len);  // room for exactly the positions decoded

  // The token buffer [B, total_len]: each prompt, then what is generated; kPad where nothing is yet.
  TokenRows tokens(batch, std::vector<int64_t>(size_t(total_len), kPad));
  for (size_t b = 0; b < batch; ++b) std::copy(prompt_tokens[b].begin(), prompt_tokens[b].end(), tokens[b].begin());
  std::vector<std::vector<double>> log_probs(options.logprobs ? batch : 0, std::vector<double>(size_t(total_len), 0.0));
  std::vector<bool> eos_reached(batch, false);
  auto is_stop = [&](int64_t token) {
    return std::find(options.stop_tokens.begin(), options.stop_tokens.end(), token) != options.stop_tokens.end();
  };

  // Nothing to generate: the prompts' log-probabilities still come from one forward pass (or,
  // with converted weights, from the plan's steps below).
  if (options.logprobs && min_prompt_len == total_len && total_len > 1 && options.weights == kernels::cpu::WeightFormat::Float32) {
    const Tensor logits = model.forward(token_columns(tokens, 0, total_len, device));
    record_log_probs(narrow(logits, 1, 0, total_len - 1), 1, tokens, log_probs);
  }

  // One row decodes through a replayed plan once the general path has prefilled the cache; with
  // converted weights every position goes through one, a token at a time.
  std::optional<LlamaDecodePlan> plan;
  bool plan_allowed = true;
  const bool converted = options.weights != kernels::cpu::WeightFormat::Float32;
  if (converted) {
    BYTEGRAD_CHECK(batch == 1 && LlamaDecodePlan::supports(model, cache, options.weights, options.stored_weights), "generate: ",
                   kernels::cpu::weight_format_name(options.weights),
                   " weights need one prompt and a float32 Llama on the CPU, got ", batch, " prompts and a ",
                   model.model_type(), " model");
    plan.emplace(model, cache, options.weights, options.weight_group, options.stored_weights);
  }
  int64_t prev_pos = 0;
  for (int64_t cur_pos = converted ? 1 : min_prompt_len; cur_pos < total_len; ++cur_pos) {
    // The prefix at the first step, then the one token decided last step.
    Tensor logits = plan ? plan->step(tokens[0][size_t(prev_pos)]) : Tensor();
    if (plan && !converted && !plan->logits_finite()) {
      // Weights so large that products overflow (a diverged run) overflow differently in another
      // order of summation: the general path, the reference, redoes this step and the rest.
      cache.length -= 1;
      plan.reset();
      plan_allowed = false;
    }
    if (!plan) logits = model.forward(token_columns(tokens, prev_pos, cur_pos, device), prev_pos, &cache);  // [B, S, V]
    if (!plan && plan_allowed && batch == 1 && LlamaDecodePlan::supports(model, cache)) plan.emplace(model, cache);
    // Sampling runs on the CPU whatever the model's device: [B, V] is small, and the same logits
    // then pick the same tokens everywhere (one Philox stream, one order of summation).
    const Tensor last_logits = select(logits, 1, logits.size(1) - 1).to(kCPU);                      // [B, V]
    const std::vector<int64_t> next = next_tokens(last_logits, options, generator).to_vector<int64_t>();
    for (size_t b = 0; b < batch; ++b)
      if (cur_pos >= prompt_len(b)) tokens[b][size_t(cur_pos)] = next[b];  // else the prompt's token stays
    if (options.logprobs) record_log_probs(logits, prev_pos + 1, tokens, log_probs);
    for (size_t b = 0; b < batch; ++b) {
      if (cur_pos < prompt_len(b) || eos_reached[b]) continue;
      const int64_t token = tokens[b][size_t(cur_pos)];
      if (is_stop(token))
        eos_reached[b] = true;
      else if (options.on_token && cur_pos - prompt_len(b) < options.max_gen_len)
        options.on_token(int64_t(b), token);
    }
    prev_pos = cur_pos;
    if (std::all_of(eos_reached.begin(), eos_reached.end(), [](bool done) { return done; })) break;
  }

  return cut_rows(tokens, log_probs, prompt_tokens, options, total_len);
}

bool ended_by_context(int64_t prompt_length, int64_t generated, int64_t max_gen_len, int64_t context) {
  return generated < max_gen_len && prompt_length + generated >= context;
}

std::vector<tokenizer::TokenId> to_token_ids(std::span<const int64_t> ids) {
  std::vector<tokenizer::TokenId> out;
  out.reserve(ids.size());
  for (const int64_t id : ids) {
    BYTEGRAD_CHECK(id >= 0 && id <= std::numeric_limits<tokenizer::TokenId>::max(), "to_token_ids: id ", id,
                   " does not fit a tokenizer's int32 ids");
    out.push_back(tokenizer::TokenId(id));
  }
  return out;
}

}  // namespace bytegrad::infer
