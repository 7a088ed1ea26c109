#include "train/sharded_optimizer.h"

#include "autograd/grad_mode.h"
#include "tensor/creation.h"
#include "tensor/views.h"

namespace bytegrad::train {
namespace {

std::vector<Tensor> tensors_of(const NamedTensors& named) {
  std::vector<Tensor> tensors;
  for (const auto& [name, tensor] : named) tensors.push_back(tensor);
  return tensors;
}

// Elements [offset, offset + length) of `tensor` flattened: a contiguous view sharing its memory.
Tensor flat_part(const Tensor& tensor, int64_t offset, int64_t length) {
  return ops::narrow(ops::view(tensor, {tensor.numel()}), 0, offset, length);
}

}  // namespace

ShardedOptimizer::ShardedOptimizer(NamedTensors parameters, const DecayFlags& decays, dist::Communicator& world,
                                   const InnerFactory& make_inner)
    : Optimizer(std::move(parameters), 0.0), world_(world),
      shards_(dist::numels_of(tensors_of(parameters_)), world.rank(), world.world_size()) {
  BYTEGRAD_CHECK(decays.flags.size() == parameters_.size(), "ZeRO-1: ", decays.flags.size(), " decay flags for ",
                 parameters_.size(), " parameters");
  NamedTensors pieces;
  std::vector<bool> piece_decays;
  for (const dist::ShardPiece& piece : shards_.pieces()) {
    const auto& [name, parameter] = parameters_[piece.tensor];
    pieces.emplace_back(name, flat_part(parameter, piece.tensor_offset, piece.length));
    piece_decays.push_back(decays.flags[piece.tensor]);
  }
  inner_ = make_inner(std::move(pieces), DecayFlags(std::move(piece_decays)));
  learning_rate_ = inner_->learning_rate();
}

void ShardedOptimizer::update(const std::vector<Gradient>& gradients) {
  std::vector<Tensor> grads(parameters_.size());
  for (const Gradient& gradient : gradients) grads[gradient.index] = gradient.grad;
  const NamedTensors& pieces = inner_->parameters();
  for (size_t i = 0; i < pieces.size(); ++i) {
    const dist::ShardPiece& piece = shards_.pieces()[i];
    Tensor view = pieces[i].second;
    const Tensor& grad = grads[piece.tensor];
    view.set_grad(grad.defined() ? flat_part(grad, piece.tensor_offset, piece.length) : Tensor());
  }
  inner_->set_learning_rate(learning_rate_);
  inner_->set_step_count(step_count_ - 1);  // inner step() counts this step again
  inner_->step();
  inner_->zero_grad();
  // The pieces were updated in place inside this rank's parameters; every rank's now reach all.
  shards_.all_gather(world_, shards_.pack(tensors_of(parameters_)), tensors_of(parameters_));
}

std::vector<std::string> ShardedOptimizer::slots() const {
  std::vector<std::string> slots;
  const std::string& first = inner_->parameters().front().first;
  for (const auto& [name, tensor] : inner_->state())
    if (name.compare(0, first.size() + 1, first + ".") == 0) slots.push_back(name.substr(first.size() + 1));
  return slots;
}

NamedTensors ShardedOptimizer::state() const {
  NamedTensors out;
  const NamedTensors inner_state = inner_->state();
  const std::map<std::string, Tensor> by_name(inner_state.begin(), inner_state.end());
  for (const std::string& slot : slots()) {
    std::vector<Tensor> full;
    for (const auto& [name, parameter] : parameters_) full.push_back(zeros(parameter.shape(), {kFloat32, parameter.device()}));
    const Tensor shard = zeros({shards_.shard_size()}, {kFloat32, parameters_.front().second.device()});
    for (size_t i = 0; i < shards_.pieces().size(); ++i) {
      const dist::ShardPiece& piece = shards_.pieces()[i];
      ops::copy_(ops::narrow(shard, 0, piece.shard_offset, piece.length),
                 by_name.at(inner_->parameters()[i].first + "." + slot));
    }
    shards_.all_gather(world_, shard, full);
    for (size_t p = 0; p < parameters_.size(); ++p) out.emplace_back(parameters_[p].first + "." + slot, full[p]);
  }
  return out;
}

void ShardedOptimizer::load_state(const std::map<std::string, Tensor>& saved, const std::string& source) {
  NoGradGuard no_grad;
  const NamedTensors inner_state = inner_->state();
  const std::map<std::string, Tensor> by_name(inner_state.begin(), inner_state.end());
  for (const std::string& slot : slots()) {
    for (size_t i = 0; i < shards_.pieces().size(); ++i) {
      const dist::ShardPiece& piece = shards_.pieces()[i];
      const auto& [name, parameter] = parameters_[piece.tensor];
      const auto found = saved.find(name + "." + slot);
      BYTEGRAD_CHECK(found != saved.end(), source, " has no tensor '", name, ".", slot, "'");
      BYTEGRAD_CHECK(found->second.shape() == parameter.shape(), source, ": '", name, ".", slot, "' has shape ",
                     shape_str(found->second.shape()), ", the parameter ", shape_str(parameter.shape()));
      ops::copy_(by_name.at(name + "." + slot),
                 flat_part(ops::contiguous(found->second), piece.tensor_offset, piece.length));
    }
  }
}

int64_t ShardedOptimizer::state_bytes() const {
  int64_t bytes = 0;
  for (const auto& [name, tensor] : inner_->state()) bytes += tensor.numel() * int64_t(dtype_size(tensor.dtype()));
  return bytes;
}

std::unique_ptr<ShardedOptimizer> make_sharded_optimizer(const OptimizerSettings& settings, const nn::CausalLM& model,
                                                         dist::Communicator& world) {
  const std::vector<std::string> tables = model.embedding_parameter_names();
  const NamedTensors parameters = model.named_parameters();
  const DecayFlags decays = default_decay_mask(parameters, std::set<std::string>(tables.begin(), tables.end()));
  return std::make_unique<ShardedOptimizer>(
      parameters, decays, world, [&settings](NamedTensors pieces, DecayFlags piece_decays) {
        return make_optimizer(settings, std::move(pieces), std::move(piece_decays));
      });
}

}  // namespace bytegrad::train
