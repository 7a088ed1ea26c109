#include "train/optimizer.h"

#include <cmath>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "tensor/creation.h"

namespace bytegrad::train {

bool decays_by_default(const std::string& name, const Tensor& parameter,
                       const std::set<std::string>& embedding_names) {
  return parameter.dim() >= 2 && !embedding_names.contains(name);
}

Optimizer::Optimizer(NamedTensors parameters, double learning_rate)
    : parameters_(std::move(parameters)), learning_rate_(learning_rate) {
  for (const auto& [name, p] : parameters_)
    BYTEGRAD_CHECK(p.defined() && p.dtype() == DType::Float32 && p.device().is_cpu() && p.is_contiguous(),
                   "optimizer: parameter '", name, "' must be a contiguous float32 CPU tensor");
}

void Optimizer::step() {
  NoGradGuard no_grad;
  ++step_count_;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& [name, p] = parameters_[i];
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    BYTEGRAD_CHECK(grad.numel() == p.numel(), "optimizer: gradient of '", name, "' has ", grad.numel(),
                   " elements, the parameter ", p.numel());
    if (grad.dtype() != DType::Float32) grad = to(grad, DType::Float32);
    if (!grad.is_contiguous()) grad = contiguous(grad);
    update(i, grad.data<float>());
  }
}

void Optimizer::zero_grad() {
  for (auto& [name, p] : parameters_) p.zero_grad();
}

namespace {

std::vector<bool> default_decay_mask(const NamedTensors& parameters, const std::set<std::string>& embedding_names) {
  std::vector<bool> mask;
  for (const auto& [name, p] : parameters) mask.push_back(decays_by_default(name, p, embedding_names));
  return mask;
}

}  // namespace

AdamW::AdamW(NamedTensors parameters, const AdamWOptions& options, const std::set<std::string>& embedding_names)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options),
      decays_(default_decay_mask(parameters_, embedding_names)) {
  for (const auto& [name, p] : parameters_) {
    exp_avg_.push_back(zeros(p.shape()));
    exp_avg_sq_.push_back(zeros(p.shape()));
  }
}

NamedTensors AdamW::state() const {
  NamedTensors out;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    out.emplace_back(parameters_[i].first + ".exp_avg", exp_avg_[i]);
    out.emplace_back(parameters_[i].first + ".exp_avg_sq", exp_avg_sq_[i]);
  }
  return out;
}

void AdamW::update(size_t index, const float* grad) {
  float* p = parameters_[index].second.data<float>();
  float* m = exp_avg_[index].data<float>();
  float* v = exp_avg_sq_[index].data<float>();
  const int64_t n = parameters_[index].second.numel();
  const double t = double(step_count_);
  const float b1 = float(options_.beta1), b2 = float(options_.beta2);
  const float decay = decays_[index] ? float(1.0 - learning_rate_ * options_.weight_decay) : 1.0f;
  const float step_size = float(learning_rate_ / (1.0 - std::pow(options_.beta1, t)));
  const float inv_sqrt_bias2 = float(1.0 / std::sqrt(1.0 - std::pow(options_.beta2, t)));
  const float eps = float(options_.eps);
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    const float denom = std::sqrt(v[i]) * inv_sqrt_bias2 + eps;
    p[i] = p[i] * decay - step_size * m[i] / denom;
  }
}

Sgd::Sgd(NamedTensors parameters, const SgdOptions& options, const std::set<std::string>& embedding_names)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options),
      decays_(default_decay_mask(parameters_, embedding_names)) {
  for (const auto& [name, p] : parameters_) velocity_.push_back(zeros(p.shape()));
}

NamedTensors Sgd::state() const {
  NamedTensors out;
  for (size_t i = 0; i < parameters_.size(); ++i)
    out.emplace_back(parameters_[i].first + ".momentum_buffer", velocity_[i]);
  return out;
}

void Sgd::update(size_t index, const float* grad) {
  float* p = parameters_[index].second.data<float>();
  float* v = velocity_[index].data<float>();
  const int64_t n = parameters_[index].second.numel();
  const float mu = float(options_.momentum), lr = float(learning_rate_);
  const float wd = decays_[index] ? float(options_.weight_decay) : 0.0f;
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; ++i) {
    v[i] = mu * v[i] + grad[i] + wd * p[i];
    p[i] -= lr * v[i];
  }
}

}  // namespace bytegrad::train
