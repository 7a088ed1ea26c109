#include "train/training_checkpoint.h"

#include "autograd/grad_mode.h"
#include "tensor/ops.h"
#include "train/checkpoint.h"

namespace bytegrad::train {

void save_training_checkpoint(const std::string& directory, Trainer& trainer, const nlohmann::json& run_config) {
  TensorMap optimizer_state;
  for (const auto& [name, tensor] : trainer.optimizer().state()) optimizer_state[name] = tensor;
  const Generator& generator = trainer.model_generator();
  const nlohmann::json state = {{"step", trainer.step()},
                                {"optimizer_steps", trainer.optimizer().step_count()},
                                {"generator_seed", generator.seed()},
                                {"generator_offset", generator.offset()},
                                {"data_position", trainer.train_batches().position()},
                                {"config", run_config}};
  save_checkpoint(directory, trainer.model().module().state_dict(), optimizer_state, state);
}

nlohmann::json load_training_checkpoint(const std::string& directory, Trainer& trainer) {
  const Checkpoint checkpoint = load_checkpoint(directory);
  for (const char* key : {"step", "optimizer_steps", "generator_seed", "generator_offset", "data_position"})
    BYTEGRAD_CHECK(checkpoint.state.contains(key) && checkpoint.state[key].is_number_integer(), "resume: ",
                   directory, "/training_state.json has no integer \"", key, "\"");
  trainer.model().module().load_state_dict(checkpoint.model);
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : trainer.optimizer().state()) {
    const auto saved = checkpoint.optimizer.find(name);
    BYTEGRAD_CHECK(saved != checkpoint.optimizer.end(), "resume: ", directory,
                   "/optimizer.safetensors has no tensor '", name, "'");
    BYTEGRAD_CHECK(saved->second.shape() == tensor.shape(), "resume: ", directory, "/optimizer.safetensors: '", name,
                   "' has shape ", shape_str(saved->second.shape()), ", the optimizer ", shape_str(tensor.shape()));
    ops::copy_(tensor, saved->second);
  }
  const nlohmann::json& state = checkpoint.state;
  trainer.set_step(state["step"].get<int64_t>());
  trainer.optimizer().set_step_count(state["optimizer_steps"].get<int64_t>());
  trainer.model_generator().set_state(state["generator_seed"].get<uint64_t>(), state["generator_offset"].get<uint64_t>());
  trainer.train_batches().set_position(state["data_position"].get<int64_t>());
  return state.value("config", nlohmann::json::object());
}

}  // namespace bytegrad::train
