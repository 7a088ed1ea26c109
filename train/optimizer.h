// Optimizers: AdamW (Loshchilov & Hutter 2019, decoupled weight decay) and SGD with momentum.
// They update float32 parameters in place on the parameters' device, under a NoGradGuard: each
// step is one fused kernel call over every parameter (tensor/fused_optimizers.h), and the classes
// here keep the schedule and bookkeeping (step count, bias corrections, which parameters decay).
// Their state (moments, velocity, step count) is exposed by name so a checkpoint can save and
// restore it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bytegrad::train {

// A parameter as the optimizer sees it: its dotted name (from Module::named_parameters) and the
// live tensor.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Whether AdamW decays `parameter` by default: matrices of linear layers do; vectors (norm
// gains, biases) and the embedding tables named in `embedding_names` (the model says which:
// nn::CausalLM::embedding_parameter_names) do not, as in GPT-2/Llama training recipes: shrinking
// them only fights the normalisation or starves rare tokens.
bool decays_by_default(const std::string& name, const Tensor& parameter,
                       const std::set<std::string>& embedding_names);
// Which parameters AdamW or SGD decay, one flag per parameter in order: a type of its own, so
// that it is never mistaken for a braced list of embedding names.
struct DecayFlags {
  explicit DecayFlags(std::vector<bool> values) : flags(std::move(values)) {}
  std::vector<bool> flags;
};

// decays_by_default for each parameter, in order.
DecayFlags default_decay_mask(const NamedTensors& parameters, const std::set<std::string>& embedding_names);

class Optimizer {
 public:
  // Throws Error naming the parameter unless every one is a float32 contiguous tensor, all on
  // one device.
  Optimizer(NamedTensors parameters, double learning_rate);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update from the accumulated gradients; parameters without a gradient are left alone.
  void step();
  // Clears every parameter's gradient.
  void zero_grad();

  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double learning_rate) { learning_rate_ = learning_rate; }
  // Updates taken so far (AdamW's bias correction depends on it).
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t steps) { step_count_ = steps; }

  // The state tensors, named "<parameter>.<slot>" (e.g. "lm_head.weight.exp_avg"), each of its
  // parameter's shape. Here they are the live tensors; a sharded optimizer returns them gathered
  // from every rank (a collective call: every rank must make it).
  virtual NamedTensors state() const = 0;
  // Restores state() from `saved` (tensors by state()'s names and shapes; a sharded optimizer
  // keeps its own shard of each). Throws Error naming `source` and the tensor when one is
  // missing or mis-shaped.
  virtual void load_state(const std::map<std::string, Tensor>& saved, const std::string& source);

  const NamedTensors& parameters() const { return parameters_; }

 protected:
  // A parameter's position in parameters() and its gradient (contiguous float32, same size).
  struct Gradient {
    size_t index;
    Tensor grad;
  };
  // Updates the parameters that have a gradient, in one fused call; step_count() already counts
  // this step.
  virtual void update(const std::vector<Gradient>& gradients) = 0;

  NamedTensors parameters_;
  double learning_rate_;
  int64_t step_count_ = 0;
};

struct AdamWOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;  // applied to the parameters decays_by_default selects
};

// torch.optim.AdamW's update, term for term:
//   p <- p * (1 - lr * wd)
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
class AdamW : public Optimizer {
 public:
  // `embedding_names`: parameters left out of weight decay besides vectors (decays_by_default).
  AdamW(NamedTensors parameters, const AdamWOptions& options, const std::set<std::string>& embedding_names = {});
  // `decays.flags[i]`: whether parameter i decays.
  AdamW(NamedTensors parameters, const AdamWOptions& options, DecayFlags decays);
  NamedTensors state() const override;  // "<name>.exp_avg", "<name>.exp_avg_sq"

 private:
  void update(const std::vector<Gradient>& gradients) override;

  AdamWOptions options_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
  std::vector<bool> decays_;
};

struct SgdOptions {
  double learning_rate = 0.1;
  double momentum = 0.9;
  double weight_decay = 0.0;  // L2 added to the gradient, on the parameters decays_by_default selects
};

// torch.optim.SGD with momentum (no dampening, no Nesterov): v <- mu v + (g + wd p); p <- p - lr v.
class Sgd : public Optimizer {
 public:
  // `embedding_names`: parameters left out of weight decay besides vectors (decays_by_default).
  Sgd(NamedTensors parameters, const SgdOptions& options, const std::set<std::string>& embedding_names = {});
  // `decays.flags[i]`: whether parameter i decays.
  Sgd(NamedTensors parameters, const SgdOptions& options, DecayFlags decays);
  NamedTensors state() const override;  // "<name>.momentum_buffer"

 private:
  void update(const std::vector<Gradient>& gradients) override;

  SgdOptions options_;
  std::vector<Tensor> velocity_;
  std::vector<bool> decays_;
};

}  // namespace bytegrad::train
