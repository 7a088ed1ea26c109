// `bytegrad info [--model DIR]`: what this build contains and which devices it sees; with
// --model, the model directory's architecture, parameter count and tokenizer (its size, BOS/EOS
// and the chat templates it can compose).
#include <omp.h>

#include <cstdio>
#include <string>

#include "io/model_directory.h"
#include "kernels/backend.h"
#if defined(BYTEGRAD_WITH_CUDA)
#include "kernels/cuda/device_query.h"
#endif
#include "tokenizer/chat.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

extern "C" char* openblas_get_config();
extern "C" char* openblas_get_corename();

namespace bytegrad::tools {
namespace {

// "<|endoftext|> (256)", or "none".
std::string describe_token(const tokenizer::Tokenizer& tok, std::optional<tokenizer::TokenId> id) {
  return id ? tok.id_to_piece(*id) + " (" + std::to_string(*id) + ")" : "none";
}

void print_model(const std::string& directory) {
  const io::PretrainedModel pretrained = io::load_pretrained_model(directory);
  const nn::CausalLM& model = *pretrained.model;
  const nn::ModelConfig& c = model.config();
  std::printf("model %s: %s, %lld layers, hidden %lld, %lld heads (%lld key/value), mlp %lld, vocab %lld, "
              "context %lld, %lld parameters\n",
              directory.c_str(), model.model_type().c_str(), static_cast<long long>(c.num_hidden_layers),
              static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_attention_heads),
              static_cast<long long>(c.kv_heads()), static_cast<long long>(c.mlp_size()),
              static_cast<long long>(c.vocab_size), static_cast<long long>(c.max_position_embeddings),
              static_cast<long long>(model.parameter_count()));
  if (!pretrained.tokenizer) {
    std::printf("tokenizer: none (no tokenizer.json or tokenizer.model in %s)\n", directory.c_str());
    return;
  }
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  std::string templates;
  for (tokenizer::ChatLayout layout :
       {tokenizer::ChatLayout::kLlama3, tokenizer::ChatLayout::kChatMl, tokenizer::ChatLayout::kLlama2})
    if (tokenizer::missing_chat_markers(tok, layout).empty())
      templates += (templates.empty() ? "" : ", ") + std::string(tokenizer::chat_layout_name(layout));
  std::printf("tokenizer: %zu tokens, BOS %s, EOS %s, chat templates: %s\n", tok.vocab_size(),
              describe_token(tok, tok.bos_id()).c_str(), describe_token(tok, tok.eos_id()).c_str(),
              templates.empty() ? "none (no chat markers)" : templates.c_str());
}

}  // namespace

int run_info(const Args& args) {
  const Options cli = parse_options(command_spec("info"), args);
  std::printf("bytegrad (C++20)\n");
  std::printf("cpu: %d OpenMP threads; BLAS: %s (kernels: %s)\n", omp_get_max_threads(),
              openblas_get_config(), openblas_get_corename());
#if defined(BYTEGRAD_WITH_CUDA)
  const int gpus = kernels::device_count(DeviceKind::CUDA);
  std::printf("cuda backend: %s; %d device(s) visible\n", kernels::cuda::backend_variant(), gpus);
  for (int index = 0; index < gpus; ++index)
    std::printf("  cuda:%d: %s\n", index, kernels::cuda::device_description(index).c_str());
#else
  std::printf("cuda backend: none (configure with -DBYTEGRAD_CUDA=ON where nvcc exists, or "
              "-DBYTEGRAD_CUDA_EMULATION=ON to run the CUDA kernels on the CPU)\n");
#endif
  if (const auto model = cli.value("--model")) print_model(*model);
  return 0;
}

}  // namespace bytegrad::tools
