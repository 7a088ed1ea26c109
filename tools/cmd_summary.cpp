// `bytegrad summary --model DIR [--batch B] [--seq-len T]`
// What a model directory holds: its architecture (model_type and config), its parameters grouped
// by module (the modules outside the layers, then each layer with its direct children), their
// dtypes and bytes, and an estimate of the activation memory a forward pass at B x T tokens needs.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "io/model_directory.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {
namespace {

// 1234567 -> "1,234,567"
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n);
  for (int64_t at = int64_t(digits.size()) - 3; at > 0; at -= 3) digits.insert(size_t(at), ",");
  return digits;
}

std::string mebibytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

// Where a parameter is counted: its layer ("model.layers.3") with the child inside it
// ("self_attn"), or, outside the layers, its module ("model.embed_tokens") and no child.
struct ParameterPlace {
  std::string group;
  std::string child;
};

ParameterPlace place_of(const std::string& name) {
  std::vector<std::string> parts;
  for (size_t start = 0, dot; start <= name.size(); start = dot + 1) {
    dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    parts.push_back(name.substr(start, dot - start));
  }
  std::string prefix;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    prefix += (i ? "." : "") + parts[i];
    const bool is_index = !parts[i].empty() && parts[i].find_first_not_of("0123456789") == std::string::npos;
    if (is_index) return {prefix, parts[i + 1]};
  }
  return {prefix, ""};
}

// Scalars of the activations one forward pass records for backward, per layer and in the head.
struct ActivationCount {
  int64_t per_layer = 0;
  int64_t outside_layers = 0;
};

ActivationCount count_activations(const nn::ModelConfig& c, bool gated_mlp, int64_t batch, int64_t seq) {
  const int64_t tokens = batch * seq, d = c.hidden_size, heads = c.num_attention_heads;
  const int64_t q_width = heads * c.head_size(), kv_width = c.kv_heads() * c.head_size();
  ActivationCount count;
  count.per_layer = 2 * tokens * d                     // the two norms' outputs
                    + tokens * (q_width + 2 * kv_width)  // q, k, v
                    + 2 * batch * heads * seq * seq      // attention scores and probabilities
                    + tokens * q_width + tokens * d      // attention output, its projection
                    + (gated_mlp ? 4 : 2) * tokens * c.mlp_size()  // up (gate, activation, product)
                    + tokens * d                         // down projection
                    + 2 * tokens * d;                    // the two residual sums
  count.outside_layers = 2 * tokens * d + tokens * c.vocab_size;  // embeddings, final norm, logits
  return count;
}

void print_architecture(const nn::CausalLM& model) {
  const nn::ModelConfig& c = model.config();
  std::printf("architecture: %s\n", model.model_type().c_str());
  std::printf("  vocab_size %lld, hidden_size %lld, num_hidden_layers %lld, num_attention_heads %lld,\n",
              (long long)c.vocab_size, (long long)c.hidden_size, (long long)c.num_hidden_layers,
              (long long)c.num_attention_heads);
  std::printf("  num_key_value_heads %lld, head_dim %lld, intermediate_size %lld, max_position_embeddings %lld,\n",
              (long long)c.kv_heads(), (long long)c.head_size(), (long long)c.mlp_size(),
              (long long)c.max_position_embeddings);
  std::printf("  norm_eps %g, rope_theta %g, tie_word_embeddings %s, hidden_act %s\n", c.norm_eps, c.rope_theta,
              c.tie_word_embeddings ? "true" : "false", c.hidden_act.empty() ? "(the architecture's)" : c.hidden_act.c_str());
}

}  // namespace

int run_summary(const Args& args) {
  const Options options = parse_options(command_spec("summary"), args);
  const io::PretrainedModel pretrained = io::load_pretrained_model(options.get("--model"));
  const nn::CausalLM& model = *pretrained.model;
  print_architecture(model);

  // Parameters by group, in order of first appearance; dtypes and bytes.
  std::vector<std::string> groups;
  std::map<std::string, int64_t> group_count;
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> children;  // of each layer
  std::map<std::string, std::pair<int64_t, int64_t>> by_dtype;                    // tensors, scalars
  int64_t total = 0, bytes = 0;
  size_t activation_bytes_per_scalar = 4;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const ParameterPlace place = place_of(name);
    if (!group_count.count(place.group)) groups.push_back(place.group);
    group_count[place.group] += tensor.numel();
    if (!place.child.empty()) {
      auto& list = children[place.group];
      if (list.empty() || list.back().first != place.child) list.emplace_back(place.child, 0);
      list.back().second += tensor.numel();
    }
    auto& [tensors, scalars] = by_dtype[std::string(dtype_name(tensor.dtype()))];
    ++tensors;
    scalars += tensor.numel();
    total += tensor.numel();
    bytes += tensor.numel() * int64_t(dtype_size(tensor.dtype()));
    if (is_floating(tensor.dtype())) activation_bytes_per_scalar = dtype_size(tensor.dtype());
  }

  std::printf("\nparameters by module:\n");
  for (const std::string& group : groups) {
    std::printf("  %-32s %14s", group.c_str(), with_commas(group_count[group]).c_str());
    if (children.count(group)) {
      std::printf("  (");
      const auto& list = children[group];
      for (size_t i = 0; i < list.size(); ++i)
        std::printf("%s%s %s", i ? ", " : "", list[i].first.c_str(), with_commas(list[i].second).c_str());
      std::printf(")");
    }
    std::printf("\n");
  }
  std::printf("parameters: %s (%s)\n", with_commas(total).c_str(), mebibytes(double(bytes)).c_str());
  for (const auto& [dtype, counts] : by_dtype)
    std::printf("  %s: %lld tensors, %s scalars\n", dtype.c_str(), (long long)counts.first,
                with_commas(counts.second).c_str());

  const int64_t batch = std::stoll(options.get("--batch"));
  const int64_t seq = std::stoll(options.value("--seq-len").value_or(std::to_string(model.config().max_position_embeddings)));
  const ActivationCount count = count_activations(model.config(), model.model_type() == "llama", batch, seq);
  const double scalar = double(activation_bytes_per_scalar);
  const double layers = double(count.per_layer) * double(model.config().num_hidden_layers) * scalar;
  std::printf("\nactivation memory of a forward pass at batch %lld x %lld tokens (estimate, %zu-byte scalars):\n",
              (long long)batch, (long long)seq, activation_bytes_per_scalar);
  std::printf("  per layer %s, all %lld layers %s, embeddings + final norm + logits %s; total %s\n",
              mebibytes(double(count.per_layer) * scalar).c_str(), (long long)model.config().num_hidden_layers,
              mebibytes(layers).c_str(), mebibytes(double(count.outside_layers) * scalar).c_str(),
              mebibytes(layers + double(count.outside_layers) * scalar).c_str());
  std::printf("  counts what autograd keeps for backward: per layer the two norm outputs, q, k, v, the attention\n"
              "  scores and probabilities (batch x heads x T x T, no fused attention), the attention output and its\n"
              "  projection, the MLP intermediates and the residual sums; then embeddings, final norm and logits.\n"
              "  Not counted: parameters, gradients, optimizer state, workspace. Without grad (inference) about one\n"
              "  layer's worth plus the logits is live at a time.\n");
  return 0;
}

}  // namespace bytegrad::tools
