#include "train/optimizer.h"

#include <cmath>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "tensor/creation.h"
#include "tensor/fused_optimizers.h"
#include "tensor/views.h"

namespace bytegrad::train {

bool decays_by_default(const std::string& name, const Tensor& parameter,
                       const std::set<std::string>& embedding_names) {
  return parameter.dim() >= 2 && !embedding_names.contains(name);
}

Optimizer::Optimizer(NamedTensors parameters, double learning_rate)
    : parameters_(std::move(parameters)), learning_rate_(learning_rate) {
  for (const auto& [name, p] : parameters_) {
    BYTEGRAD_CHECK(p.defined() && p.dtype() == DType::Float32 && p.is_contiguous(),
                   "optimizer: parameter '", name, "' must be a contiguous float32 tensor");
    const Device device = parameters_.front().second.device();
    BYTEGRAD_CHECK(p.device() == device, "optimizer: parameter '", name, "' is on ", p.device(),
                   ", the first parameter on ", device, "; move the model to one device first");
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  ++step_count_;
  std::vector<Gradient> gradients;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& [name, p] = parameters_[i];
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    BYTEGRAD_CHECK(grad.numel() == p.numel(), "optimizer: gradient of '", name, "' has ", grad.numel(),
                   " elements, the parameter ", p.numel());
    if (grad.dtype() != DType::Float32) grad = to(grad, DType::Float32);
    if (!grad.is_contiguous()) grad = contiguous(grad);
    gradients.push_back({i, grad});
  }
  update(gradients);
}

void Optimizer::zero_grad() {
  for (auto& [name, p] : parameters_) p.zero_grad();
}

void Optimizer::load_state(const std::map<std::string, Tensor>& saved, const std::string& source) {
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : state()) {
    const auto found = saved.find(name);
    BYTEGRAD_CHECK(found != saved.end(), source, " has no tensor '", name, "'");
    BYTEGRAD_CHECK(found->second.shape() == tensor.shape(), source, ": '", name, "' has shape ",
                   shape_str(found->second.shape()), ", the optimizer ", shape_str(tensor.shape()));
    ops::copy_(tensor, found->second);
  }
}

DecayFlags default_decay_mask(const NamedTensors& parameters, const std::set<std::string>& embedding_names) {
  std::vector<bool> flags;
  for (const auto& [name, p] : parameters) flags.push_back(decays_by_default(name, p, embedding_names));
  return DecayFlags(std::move(flags));
}

AdamW::AdamW(NamedTensors parameters, const AdamWOptions& options, const std::set<std::string>& embedding_names)
    : AdamW(parameters, options, default_decay_mask(parameters, embedding_names)) {}

AdamW::AdamW(NamedTensors parameters, const AdamWOptions& options, DecayFlags decays)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options), decays_(std::move(decays.flags)) {
  BYTEGRAD_CHECK(decays_.size() == parameters_.size(), "AdamW: ", decays_.size(), " decay flags for ",
                 parameters_.size(), " parameters");
  for (const auto& [name, p] : parameters_) {
    exp_avg_.push_back(zeros_like(p));
    exp_avg_sq_.push_back(zeros_like(p));
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

void AdamW::update(const std::vector<Gradient>& gradients) {
  const double t = double(step_count_);
  const kernels::AdamWStep step{
      .beta1 = float(options_.beta1),
      .beta2 = float(options_.beta2),
      .eps = float(options_.eps),
      .step_size = float(learning_rate_ / (1.0 - std::pow(options_.beta1, t))),
      .inverse_bias_correction2 = float(1.0 / std::sqrt(1.0 - std::pow(options_.beta2, t))),
  };
  const float decay = float(1.0 - learning_rate_ * options_.weight_decay);
  std::vector<ops::AdamWTensors> parameters;
  for (const auto& [index, grad] : gradients)
    parameters.push_back({parameters_[index].second, grad, exp_avg_[index], exp_avg_sq_[index],
                          decays_[index] ? decay : 1.0f});
  ops::adamw_update(parameters, step);
}

Sgd::Sgd(NamedTensors parameters, const SgdOptions& options, const std::set<std::string>& embedding_names)
    : Sgd(parameters, options, default_decay_mask(parameters, embedding_names)) {}

Sgd::Sgd(NamedTensors parameters, const SgdOptions& options, DecayFlags decays)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options), decays_(std::move(decays.flags)) {
  BYTEGRAD_CHECK(decays_.size() == parameters_.size(), "SGD: ", decays_.size(), " decay flags for ",
                 parameters_.size(), " parameters");
  for (const auto& [name, p] : parameters_) velocity_.push_back(zeros_like(p));
}

NamedTensors Sgd::state() const {
  NamedTensors out;
  for (size_t i = 0; i < parameters_.size(); ++i)
    out.emplace_back(parameters_[i].first + ".momentum_buffer", velocity_[i]);
  return out;
}

void Sgd::update(const std::vector<Gradient>& gradients) {
  std::vector<ops::SgdTensors> parameters;
  for (const auto& [index, grad] : gradients)
    parameters.push_back({parameters_[index].second, grad, velocity_[index],
                          decays_[index] ? float(options_.weight_decay) : 0.0f});
  ops::sgd_update(parameters, float(learning_rate_), float(options_.momentum));
}

}  // namespace bytegrad::train
