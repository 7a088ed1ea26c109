#include "infer/llama_decode_plan.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <string>

#include "base/error.h"
#include "base/half.h"
#include "kernels/cpu/cached_attention.h"
#include "kernels/cpu/gemv.h"
#include "tensor/creation.h"

namespace bytegrad::infer {
namespace {

using kernels::cpu::RowBlock;
using kernels::cpu::WeightFormat;

// The stored matrices the plan streams, when they are in its format.
const QuantizedWeights* usable(const QuantizedWeights* stored, WeightFormat format) {
  return stored && format != WeightFormat::Float32 && stored->format == format ? stored : nullptr;
}

bool plain_float32(const Tensor& t) {
  return t.defined() && t.dtype() == kFloat32 && t.device() == kCPU && t.is_contiguous();
}

// Why a plan cannot decode `model` with `cache`, or empty when it can. Parameters that `stored`
// holds may be released: the plan streams the stored matrices instead.
std::string unsupported_reason(const nn::CausalLM& model, const nn::KVCache& cache, const QuantizedWeights* stored) {
  const auto* llama = dynamic_cast<const nn::Llama*>(&model);
  if (!llama) return "the model is not a Llama";
  const nn::ModelConfig& config = llama->config();
  if (config.attention_bias || config.mlp_bias) return "the model has biases";
  for (const auto& [name, tensor] : llama->named_parameters()) {
    if (stored && stored->matrices.count(name)) continue;
    if (!plain_float32(tensor)) return "weight " + name + " is not a contiguous float32 tensor on the CPU";
    // A plan reads the weights for the whole call: a sharded model must be gathered for it.
    if (!tensor.storage()->resident()) return "weight " + name + " is released (a sharded model not gathered)";
  }
  if (int64_t(cache.layers.size()) != config.num_hidden_layers) return "the cache does not fit the model's layers";
  for (const nn::KVCache::Layer& layer : cache.layers) {
    if (!layer.keys.defined()) continue;  // the plan allocates it
    if (!plain_float32(layer.keys) || !plain_float32(layer.values)) return "the KV cache is not float32 on the CPU";
    if (layer.keys.size(0) != 1) return "the KV cache holds a batch of " + std::to_string(layer.keys.size(0));
  }
  return "";
}

// The Int8Groups group: `group` halved until it divides every row length (at least 1).
int64_t fitting_group(int64_t group, const nn::ModelConfig& config) {
  const int64_t lengths[] = {config.hidden_size, config.mlp_size(), config.num_attention_heads * config.head_size()};
  return fitting_int8_group(group, lengths);
}

// Names the size of a plan's steps, for step_threads_for: plans of one shape take about as long a
// step, so what one measured holds for the next.
std::string step_shape(const nn::ModelConfig& config, WeightFormat format) {
  return concat(config.hidden_size, "x", config.num_hidden_layers, " mlp ", config.mlp_size(), " heads ",
                config.num_attention_heads, "/", config.kv_heads(), " vocab ", config.vocab_size, " ",
                kernels::cpu::weight_format_name(format));
}

}  // namespace

bool LlamaDecodePlan::supports(const nn::CausalLM& model, const nn::KVCache& cache, WeightFormat format,
                               const QuantizedWeights* stored) {
  return unsupported_reason(model, cache, usable(stored, format)).empty();
}

LlamaDecodePlan::LlamaDecodePlan(const nn::CausalLM& model, nn::KVCache& cache, WeightFormat format,
                                 int64_t group, const QuantizedWeights* stored)
    : model_([&]() -> const nn::Llama& {
        const std::string reason = unsupported_reason(model, cache, usable(stored, format));
        BYTEGRAD_CHECK(reason.empty(), "LlamaDecodePlan: ", reason);
        return dynamic_cast<const nn::Llama&>(model);
      }()),
      cache_(cache),
      format_(format),
      group_(format != WeightFormat::Int8Groups ? 0
             : usable(stored, format)          ? usable(stored, format)->group
                                               : fitting_group(group, model.config())),
      stored_(usable(stored, format)),
      threads_(step_threads_for(step_shape(model.config(), format), kernels::cpu::sharing_threads() > 1)) {
  const nn::ModelConfig& config = model_.config();
  hidden_ = config.hidden_size;
  heads_ = config.num_attention_heads;
  kv_heads_ = config.kv_heads();
  head_dim_ = config.head_size();
  mlp_ = config.mlp_size();
  vocab_ = config.vocab_size;
  eps_ = config.norm_eps;
  // Every matrix converted below, so that the addresses taken from converted_ stay valid.
  converted_.reserve(size_t(7 * model_.model.layers.size() + 2));
  for (int64_t i = 0; i < model_.model.layers.size(); ++i) {
    const nn::LlamaDecoderLayer& l = model_.model.layers[i];
    // The layer's matrices by their names in the model's state dict (nn/llama.h).
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    const auto layer_matrix = [&](const char* name, const Tensor& weight) { return matrix(prefix + name, weight); };
    layers_.push_back({l.input_layernorm.weight.data<float>(),
                       layer_matrix("self_attn.q_proj.weight", l.self_attn.q_proj.weight),
                       layer_matrix("self_attn.k_proj.weight", l.self_attn.k_proj.weight),
                       layer_matrix("self_attn.v_proj.weight", l.self_attn.v_proj.weight),
                       layer_matrix("self_attn.o_proj.weight", l.self_attn.o_proj.weight),
                       l.post_attention_layernorm.weight.data<float>(),
                       layer_matrix("mlp.gate_proj.weight", l.mlp.gate_proj.weight),
                       layer_matrix("mlp.up_proj.weight", l.mlp.up_proj.weight),
                       layer_matrix("mlp.down_proj.weight", l.mlp.down_proj.weight)});
  }
  embedding_ = matrix("model.embed_tokens.weight", model_.model.embed_tokens.weight);
  // Tied: the embedding.
  classifier_ = model_.lm_head ? matrix("lm_head.weight", model_.lm_head->weight) : embedding_;
  final_norm_ = model_.model.norm.weight.data<float>();

  for (nn::KVCache::Layer& layer : cache_.layers)
    if (!layer.keys.defined()) {
      layer.keys = empty({1, kv_heads_, cache_.capacity, head_dim_}, {kFloat32, kCPU});
      layer.values = empty({1, kv_heads_, cache_.capacity, head_dim_}, {kFloat32, kCPU});
    }
  // The angles of nn::RotaryEmbedding: frequency i turns by position * theta^(-2i / D), in float64.
  const int64_t half = head_dim_ / 2;
  cos_.resize(size_t(cache_.capacity * half));
  sin_.resize(cos_.size());
  for (int64_t position = 0; position < cache_.capacity; ++position)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = double(position) * std::pow(config.rope_theta, -2.0 * double(i) / double(head_dim_));
      cos_[size_t(position * half + i)] = float(std::cos(angle));
      sin_[size_t(position * half + i)] = float(std::sin(angle));
    }
  x_.resize(size_t(hidden_));
  xb_.resize(size_t(hidden_));
  q_.resize(size_t(heads_ * head_dim_));
  attended_.resize(q_.size());
  hidden_layer_.resize(size_t(mlp_));
  up_.resize(size_t(mlp_));
  scores_.resize(size_t(heads_ * cache_.capacity));
  logits_ = empty({1, 1, vocab_}, {kFloat32, kCPU});
}

kernels::cpu::WeightRows LlamaDecodePlan::matrix(const std::string& name, const Tensor& weight) {
  if (format_ == WeightFormat::Float32) return {WeightFormat::Float32, weight.data<float>(), nullptr, 0};
  if (stored_) {
    const auto found = stored_->matrices.find(name);
    BYTEGRAD_CHECK(found != stored_->matrices.end(), "LlamaDecodePlan: the stored ",
                   kernels::cpu::weight_format_name(format_), " weights have no ", name);
    BYTEGRAD_CHECK(found->second.values.shape() == weight.shape(), "LlamaDecodePlan: the stored ", name, " is ",
                   shape_str(found->second.values.shape()), ", the model's ", shape_str(weight.shape()));
    return found->second.weight_rows();
  }
  return converted_.emplace_back(quantize_matrix(weight, format_, group_, name)).weight_rows();
}

void LlamaDecodePlan::embed(int64_t token) {
  const WeightRows row = embedding_.from_row(token, hidden_);
  for (int64_t i = 0; i < hidden_; ++i) {
    switch (format_) {
      case WeightFormat::Float32: x_[size_t(i)] = static_cast<const float*>(row.values)[i]; break;
      case WeightFormat::BFloat16:
        x_[size_t(i)] = float(std::bit_cast<BFloat16>(static_cast<const uint16_t*>(row.values)[i]));
        break;
      case WeightFormat::Int8Groups:
        x_[size_t(i)] = float(static_cast<const int8_t*>(row.values)[i]) * row.scales[i / group_];
        break;
    }
  }
}

void LlamaDecodePlan::rms_norm(const float* weight) {
  double sum_of_squares = 0;  // in float64, as the RMSNorm kernel of the general path
  for (int64_t i = 0; i < hidden_; ++i) sum_of_squares += double(x_[size_t(i)]) * double(x_[size_t(i)]);
  const float inverse = float(1.0 / std::sqrt(sum_of_squares / double(hidden_) + eps_));
  for (int64_t i = 0; i < hidden_; ++i) xb_[size_t(i)] = x_[size_t(i)] * inverse * weight[i];
}

void LlamaDecodePlan::rotate(float* head_vectors, int64_t heads, int64_t position) const {
  // Half-split pairs (x[i], x[i + D/2]) turned by the angle of frequency i.
  const int64_t half = head_dim_ / 2;
  const float* cos = cos_.data() + position * half;
  const float* sin = sin_.data() + position * half;
  for (int64_t h = 0; h < heads; ++h) {
    float* v = head_vectors + h * head_dim_;
    for (int64_t i = 0; i < half; ++i) {
      const float a = v[i], b = v[i + half];
      v[i] = a * cos[i] - b * sin[i];
      v[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

void LlamaDecodePlan::layer(size_t index, int64_t position) {
  const Layer& w = layers_[index];
  nn::KVCache::Layer& cache = cache_.layers[index];
  const int64_t capacity = cache_.capacity;
  float* keys = cache.keys.data<float>();  // [1, kv_heads, capacity, head_dim]
  float* values = cache.values.data<float>();
  auto at_position = [&](float* buffer, int64_t g) { return buffer + (g * capacity + position) * head_dim_; };

  // q, k and v from one job; each key/value head's rows land at this position in the cache.
  rms_norm(w.attention_norm);
  std::vector<RowBlock>& blocks = qkv_blocks_;
  blocks.clear();  // its capacity stays: no allocation after the first step
  blocks.push_back({w.wq, heads_ * head_dim_, q_.data()});
  for (int64_t g = 0; g < kv_heads_; ++g) blocks.push_back({w.wk.from_row(g * head_dim_, hidden_), head_dim_, at_position(keys, g)});
  for (int64_t g = 0; g < kv_heads_; ++g) blocks.push_back({w.wv.from_row(g * head_dim_, hidden_), head_dim_, at_position(values, g)});
  kernels::cpu::gemv_blocks(blocks, hidden_, xb_.data(), false);
  rotate(q_.data(), heads_, position);
  for (int64_t g = 0; g < kv_heads_; ++g) rotate(at_position(keys, g), 1, position);

  kernels::cpu::cached_attention(q_.data(), keys, values, heads_, kv_heads_, head_dim_, capacity, position + 1,
                                 scores_.data(), attended_.data());
  const RowBlock output{w.wo, hidden_, x_.data()};
  kernels::cpu::gemv_blocks({&output, 1}, heads_ * head_dim_, attended_.data(), true);  // x += Wo attended

  rms_norm(w.mlp_norm);
  kernels::cpu::swiglu_gemv(w.gate, w.up, mlp_, hidden_, xb_.data(), hidden_layer_.data(), up_.data());
  const RowBlock down{w.down, hidden_, x_.data()};
  kernels::cpu::gemv_blocks({&down, 1}, mlp_, hidden_layer_.data(), true);  // x += Wdown hidden
}

const Tensor& LlamaDecodePlan::step(int64_t token) {
  BYTEGRAD_CHECK(token >= 0 && token < vocab_, "LlamaDecodePlan: token ", token, " is outside the vocabulary of ",
                 vocab_);
  cache_.check_room("LlamaDecodePlan", 1);
  const int64_t position = cache_.length;
  const auto start = std::chrono::steady_clock::now();
  {
    const kernels::cpu::SerialScope serial(!threads_.share_next());
    embed(token);
    for (size_t i = 0; i < layers_.size(); ++i) layer(i, position);
    rms_norm(final_norm_);
    const RowBlock head{classifier_, vocab_, logits_.data<float>()};
    kernels::cpu::gemv_blocks({&head, 1}, hidden_, xb_.data(), false);
  }
  threads_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  cache_.length += 1;
  return logits_;
}

bool LlamaDecodePlan::logits_finite() const {
  // A float is NaN or +-inf exactly when its exponent bits are all ones. Tested on the bits with
  // an integer OR, which the compiler vectorises; a float sum would not be (reordering float
  // additions changes their result, so without -ffast-math they stay one add at a time: 15 us
  // for 32000 logits, against 1 us this way).
  const auto* bits = static_cast<const uint32_t*>(logits_.data_ptr());
  constexpr uint32_t kExponent = 0x7f800000u;
  uint32_t not_finite = 0;
  for (int64_t i = 0; i < vocab_; ++i) not_finite |= uint32_t((bits[i] & kExponent) == kExponent);
  return not_finite == 0;
}

}  // namespace bytegrad::infer
