// `bytegrad bench weights --config FILE --model DIR [--documents N] [--new-tokens N]`: what
// streaming a Llama's weights as bfloat16 or int8 groups (kernels/cpu/weight_rows.h) costs in
// quality, on the held-out documents of the run that trained it (the run config's corpus,
// eval_fraction and seed, split as training splits them: train/data/token_stream.h).
//   held-out loss: each document as training packs it (EOS, its tokens, EOS), up to the model's
//     context, scored token by token: the mean negative log-likelihood in nats per token, with
//     float32 weights (the general path) and each converted format (every position through a
//     LlamaDecodePlan, infer::generate with echo and logprobs);
//   greedy agreement: from each document's first 8 tokens, --new-tokens tokens decoded greedily
//     in each format; how many equal float32's, position by position, and how many lead up to
//     the first difference.
// Each --quantized DIR (a quantized model directory exported from the same model, e.g. by
// `bytegrad export --weights int8`) adds a row decoded from its stored matrices, loaded as they
// are: it should repeat its format's converted row.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "infer/generate.h"
#include "io/model_directory.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/data/token_stream.h"
#include "train/data/word_stream.h"
#include "train/run_config.h"

namespace bytegrad::tools {
namespace {

using kernels::cpu::WeightFormat;
constexpr int64_t kGreedyPrompt = 8;

struct Quality {
  double nll_sum = 0;
  int64_t scored = 0;
  std::vector<std::vector<int64_t>> greedy;  // per document
};

Quality measure(nn::CausalLM& model, const std::vector<std::vector<int64_t>>& documents, WeightFormat weights,
                int64_t new_tokens, const QuantizedWeights* stored = nullptr) {
  Quality quality;
  infer::GenerationOptions options;
  options.temperature = 0;
  options.weights = weights;
  options.stored_weights = stored;
  for (const std::vector<int64_t>& ids : documents) {
    options.max_gen_len = 0;
    options.echo = options.logprobs = true;
    const infer::GenerationResult scored = infer::generate(model, {ids}, options);
    for (size_t i = 1; i < scored.log_probs[0].size(); ++i) quality.nll_sum -= scored.log_probs[0][i];
    quality.scored += int64_t(scored.log_probs[0].size()) - 1;
    options.max_gen_len = new_tokens;
    options.echo = options.logprobs = false;
    const std::vector<int64_t> prompt(ids.begin(), ids.begin() + std::min<int64_t>(kGreedyPrompt, int64_t(ids.size())));
    quality.greedy.push_back(infer::generate(model, {prompt}, options).tokens[0]);
  }
  return quality;
}

}  // namespace

int run_bench_weights(const Args& args) {
  const Options options = parse_options(command_spec("bench weights"), args);
  const int64_t max_documents = options.number<int64_t>("--documents"), new_tokens = options.number<int64_t>("--new-tokens");
  BYTEGRAD_CHECK(max_documents > 0 && new_tokens > 0, "bench weights: --documents and --new-tokens must be positive");
  nlohmann::json resolved;
  const train::RunConfig config = train::load_run_config(options.get("--config"), {}, resolved);
  const std::vector<std::string> texts = train::read_word_documents(config.data.memory_map, config.data.corpus);
  const train::DocumentSplit split = train::split_documents(texts.size(), config.data.eval_fraction, config.trainer.seed);
  io::PretrainedModel pretrained = io::load_pretrained_model(options.get("--model"));
  BYTEGRAD_CHECK(pretrained.tokenizer && pretrained.tokenizer->eos_id(), "bench weights: ", options.get("--model"),
                 " has no tokenizer with an EOS token");
  const int64_t eos = *pretrained.tokenizer->eos_id(), context = pretrained.model->config().max_position_embeddings;

  std::vector<std::vector<int64_t>> documents;
  for (size_t i = 0; i < split.eval.size() && int64_t(documents.size()) < max_documents; ++i) {
    std::vector<int64_t> ids = {eos};  // what precedes a document in the packed stream
    for (const auto id : pretrained.tokenizer->encode(texts[split.eval[i]])) ids.push_back(id);
    ids.push_back(eos);
    ids.resize(size_t(std::min<int64_t>(int64_t(ids.size()), context)));
    documents.push_back(std::move(ids));
  }
  std::printf("%s on %zu held-out documents of %s (%zu held out), greedy runs of %lld tokens from %lld\n",
              options.get("--model").c_str(), documents.size(), options.get("--config").c_str(), split.eval.size(),
              (long long)new_tokens, (long long)kGreedyPrompt);
  std::printf("%-17s %14s %9s %24s %20s\n", "weights", "held-out loss", "change", "greedy tokens as float32",
              "before a difference");
  const Quality exact = measure(*pretrained.model, documents, WeightFormat::Float32, new_tokens);
  const auto print_row = [&](const std::string& label, const Quality& q) {
    int64_t same = 0, leading = 0, total = 0;
    for (size_t d = 0; d < q.greedy.size(); ++d) {
      const std::vector<int64_t>&a = q.greedy[d], &b = exact.greedy[d];
      for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) same += a[i] == b[i];
      leading += std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin();
      total += int64_t(b.size());
    }
    const double loss = q.nll_sum / double(q.scored), base = exact.nll_sum / double(exact.scored);
    std::printf("%-17s %14.5f %+9.5f %15lld/%-8lld %12lld/%-8lld\n", label.c_str(), loss, loss - base, (long long)same,
                (long long)total, (long long)leading, (long long)total);
  };
  for (const WeightFormat format : {WeightFormat::Float32, WeightFormat::BFloat16, WeightFormat::Int8Groups})
    print_row(kernels::cpu::weight_format_name(format),
              format == WeightFormat::Float32 ? exact : measure(*pretrained.model, documents, format, new_tokens));
  for (const std::string& directory : options.values("--quantized")) {
    io::PretrainedModel quantized = io::load_pretrained_model(directory);
    BYTEGRAD_CHECK(!quantized.quantized.empty(), "bench weights: ", directory,
                   " is not a quantized model directory (config.json has no quantization_config)");
    BYTEGRAD_CHECK(quantized.model->config().vocab_size == pretrained.model->config().vocab_size, "bench weights: ",
                   directory, " has a vocabulary of ", quantized.model->config().vocab_size, ", ",
                   options.get("--model"), " one of ", pretrained.model->config().vocab_size);
    const WeightFormat format = quantized.quantized.format;
    print_row(kernels::cpu::weight_format_name(format) + ", stored",
              measure(*quantized.model, documents, format, new_tokens, &quantized.quantized));
    std::printf("  (stored: %s)\n", directory.c_str());
  }
  std::printf("loss in nats per token over %lld scored tokens\n", (long long)exact.scored);
  return 0;
}

}  // namespace bytegrad::tools
