// `bytegrad bench sharded-generate --model DIR [OPTIONS]`, under mpirun (or alone): greedy
// decoding from a model whose parameters are sharded over the ranks (ZeRO-3, train/zero3.h),
// gathered layer by layer at every token or once for the whole call, beside the unsharded
// model, in tokens/s (median of the repeats), and whether each gives the unsharded greedy tokens.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>

#include "infer/generate.h"
#include "io/model_directory.h"
#include "tools/cmd_run_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/zero3.h"

namespace bytegrad::tools {
namespace {

// Median seconds of `repeats` calls of `work` (after one warm-up call), and its last result.
std::pair<double, std::vector<int64_t>> median_run(const std::function<std::vector<int64_t>()>& work, int64_t repeats) {
  std::vector<int64_t> tokens = work();
  std::vector<double> seconds;
  for (int64_t i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    tokens = work();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {seconds[seconds.size() / 2], tokens};
}

}  // namespace

int run_bench_sharded_generate(const Args& args) {
  const Options options = parse_options(command_spec("bench sharded-generate"), args);
  const int64_t new_tokens = options.number<int64_t>("--tokens"), repeats = options.number<int64_t>("--repeats");
  BYTEGRAD_CHECK(new_tokens > 0 && repeats > 0, "bench sharded-generate: --tokens and --repeats must be positive");
  const std::unique_ptr<dist::Communicator> world = join_ranks();
  io::PretrainedModel pretrained = io::load_pretrained_model(options.get("--model"));
  BYTEGRAD_CHECK(pretrained.tokenizer && pretrained.tokenizer->eos_id(), "bench sharded-generate: ",
                 options.get("--model"), " has no tokenizer with an EOS token");
  std::vector<int64_t> prompt{*pretrained.tokenizer->eos_id()};
  for (const auto id : pretrained.tokenizer->encode(options.get("--prompt"))) prompt.push_back(id);
  nn::CausalLM& model = *pretrained.model;
  infer::GenerationOptions greedy;
  greedy.max_gen_len = new_tokens;
  greedy.temperature = 0;
  const auto generate = [&] { return infer::generate(model, {prompt}, greedy).tokens.front(); };

  // Named members, not a structured binding: clang before 16 cannot capture bindings in lambdas.
  const auto unsharded = median_run(generate, repeats);
  const double unsharded_seconds = unsharded.first;
  const auto& expected = unsharded.second;
  train::Zero3 zero3(model, *world);
  const auto [per_layer_seconds, per_layer] = median_run(generate, repeats);
  const auto [gathered_seconds, gathered] = median_run(
      [&] {
        const train::Zero3::Gathered whole(zero3);
        return generate();
      },
      repeats);

  std::printf("sharded generation: %s on %s, %lld greedy tokens, median of %lld\n", options.get("--model").c_str(),
              world->describe().c_str(), static_cast<long long>(expected.size()), static_cast<long long>(repeats));
  const auto row = [&](const char* what, double seconds, const std::vector<int64_t>* tokens) {
    std::printf("  %-44s %10.1f tokens/s", what, double(expected.size()) / seconds);
    if (tokens) std::printf("   greedy tokens as unsharded: %s", *tokens == expected ? "yes" : "NO");
    std::printf("\n");
  };
  row("unsharded (every rank holds the whole model)", unsharded_seconds, nullptr);
  row("ZeRO-3, each layer gathered at every token", per_layer_seconds, &per_layer);
  row("ZeRO-3, gathered once for the call", gathered_seconds, &gathered);
  return per_layer == expected && gathered == expected ? 0 : 1;
}

}  // namespace bytegrad::tools
