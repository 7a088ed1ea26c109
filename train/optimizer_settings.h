// Which optimizer a run uses and with what hyper-parameters, as a config's "optimizer" section
// gives them, and the one place that turns those settings and a model into an Optimizer.
//
//   "optimizer": {"name": "adamw", "lr": 3e-4, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8,
//                 "weight_decay": 0.1, "momentum": 0.9 (sgd), "grad_clip": 1.0}
#pragma once

#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/causal_lm.h"
#include "train/optimizer.h"

namespace bytegrad::train {

struct OptimizerSettings {
  std::string name = "adamw";  // "adamw" | "sgd"
  AdamWOptions adamw;
  SgdOptions sgd;

  // The chosen optimizer's learning rate (the schedule's peak).
  double learning_rate() const { return name == "adamw" ? adamw.learning_rate : sgd.learning_rate; }
};

// Reads config["optimizer"] into `settings` and its "grad_clip" into `grad_clip`, keeping their
// values for missing keys (the defaults of the chosen optimizer: "lr" and "weight_decay" fall
// back to its own). Throws Error naming `source` and the key for an unknown key, a name other
// than "adamw" or "sgd", or a learning rate that is not positive.
void read_optimizer_section(const nlohmann::json& config, const std::string& source, OptimizerSettings& settings,
                            double& grad_clip);

// The optimizer `settings` name over all of `model`'s parameters, with the model's embedding
// tables (and every vector) left out of weight decay.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, const nn::CausalLM& model);

// The same over any named parameters (a module that is not a language model, such as the soft
// encoder), with `embedding_names` left out of weight decay.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, NamedTensors parameters,
                                          const std::set<std::string>& embedding_names);

// The same with the decay of each parameter given.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, NamedTensors parameters,
                                          DecayFlags decays);

}  // namespace bytegrad::train
