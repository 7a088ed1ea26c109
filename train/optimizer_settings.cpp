#include "train/optimizer_settings.h"

#include <set>

#include "base/error.h"
#include "train/config_section.h"

namespace bytegrad::train {

void read_optimizer_section(const nlohmann::json& config, const std::string& source, OptimizerSettings& settings,
                            double& grad_clip) {
  const ConfigSection s(config, "optimizer", source,
                        {"name", "lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "grad_clip"});
  s.read("name", settings.name);
  BYTEGRAD_CHECK(settings.name == "adamw" || settings.name == "sgd", source,
                 ": \"optimizer.name\" must be \"adamw\" or \"sgd\", got \"", settings.name, "\"");
  const bool adamw = settings.name == "adamw";
  double lr = settings.learning_rate();
  s.read("lr", lr);
  check_positive(source, "optimizer.lr", lr);
  settings.adamw.learning_rate = settings.sgd.learning_rate = lr;
  s.read("beta1", settings.adamw.beta1);
  s.read("beta2", settings.adamw.beta2);
  s.read("eps", settings.adamw.eps);
  double weight_decay = adamw ? settings.adamw.weight_decay : settings.sgd.weight_decay;
  s.read("weight_decay", weight_decay);
  settings.adamw.weight_decay = settings.sgd.weight_decay = weight_decay;
  s.read("momentum", settings.sgd.momentum);
  s.read("grad_clip", grad_clip);
  // The ranges torch.optim checks: a beta of 1 or more never forgets, a negative eps can divide
  // by zero, negative decay or clipping turns the update around.
  check_fraction(source, "optimizer.beta1", settings.adamw.beta1);
  check_fraction(source, "optimizer.beta2", settings.adamw.beta2);
  check_not_negative(source, "optimizer.eps", settings.adamw.eps);
  check_not_negative(source, "optimizer.weight_decay", weight_decay);
  check_not_negative(source, "optimizer.momentum", settings.sgd.momentum);
  check_not_negative(source, "optimizer.grad_clip", grad_clip);
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, const nn::CausalLM& model) {
  const std::vector<std::string> tables = model.embedding_parameter_names();
  return make_optimizer(settings, model.named_parameters(), std::set<std::string>(tables.begin(), tables.end()));
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, NamedTensors parameters,
                                          const std::set<std::string>& embedding_names) {
  DecayFlags decays = default_decay_mask(parameters, embedding_names);
  return make_optimizer(settings, std::move(parameters), std::move(decays));
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& settings, NamedTensors parameters,
                                          DecayFlags decays) {
  if (settings.name == "adamw") return std::make_unique<AdamW>(std::move(parameters), settings.adamw, std::move(decays));
  if (settings.name == "sgd") return std::make_unique<Sgd>(std::move(parameters), settings.sgd, std::move(decays));
  throw Error(concat("optimizer: \"", settings.name, "\" is not \"adamw\" or \"sgd\""));
}

}  // namespace bytegrad::train
