#include "train/zero3.h"

#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <set>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "tensor/creation.h"
#include "tensor/fused_optimizers.h"
#include "tensor/ops.h"

namespace bytegrad::train {
namespace {

// True for a module path that names one item of a "layers" list: "model.layers.3".
bool is_layer_path(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot + 1 == path.size()) return false;
  for (size_t i = dot + 1; i < path.size(); ++i)
    if (path[i] < '0' || path[i] > '9') return false;
  const std::string list = path.substr(0, dot);
  return list == "layers" || (list.size() > 7 && list.compare(list.size() - 7, 7, ".layers") == 0);
}

Tensor flat_part(const Tensor& tensor, int64_t offset, int64_t length) {
  return ops::narrow(ops::view(tensor, {tensor.numel()}), 0, offset, length);
}

}  // namespace

struct Zero3::Unit {
  std::string path;             // the module ("model.layers.0"), or "" for the parameters of no layer
  std::vector<size_t> members;  // indices into parameters_, in the model's order
  dist::FlatShards shards;
  Tensor values;  // this rank's shard of the members laid end to end [S]
  Tensor grads;   // this rank's shard of their averaged gradient [S]; undefined until the first
  bool gathered = false;
  int depth = 0;          // this unit's forwards on the stack
  size_t ready = 0;       // members whose gradient is complete in this backward pass
  bool reduced = false;   // the gradients of this backward pass are reduced
  std::shared_ptr<const std::function<void()>> regather;  // the backward pre-hook of its nodes

  std::vector<Tensor> tensors(const std::vector<std::pair<std::string, Tensor>>& parameters) const {
    std::vector<Tensor> out;
    for (size_t m : members) out.push_back(parameters[m].second);
    return out;
  }
};

// The optimizer over this rank's shards: the inner optimizer (AdamW or SGD) runs over pieces of
// the units' shards, named after their parameters; its state is consolidated per unit.
class Zero3::ShardOptimizer final : public Optimizer {
 public:
  ShardOptimizer(Zero3& zero3, NamedTensors pieces, std::unique_ptr<Optimizer> inner)
      : Optimizer(std::move(pieces), inner->learning_rate()), zero3_(zero3), inner_(std::move(inner)) {}

  NamedTensors state() const override {
    NamedTensors out;
    const NamedTensors inner_state = inner_->state();
    const std::map<std::string, Tensor> by_name(inner_state.begin(), inner_state.end());
    for (const std::string& slot : slots()) {
      for (const auto& unit : zero3_.units_) {
        const Tensor shard = zeros({unit->shards.shard_size()});
        for (const dist::ShardPiece& piece : unit->shards.pieces())
          ops::copy_(ops::narrow(shard, 0, piece.shard_offset, piece.length),
                     by_name.at(name_of(*unit, piece) + "." + slot));
        std::vector<Tensor> whole;
        for (size_t m : unit->members) whole.push_back(zeros(zero3_.parameters_[m].second.shape()));
        unit->shards.all_gather(zero3_.world_, shard, whole);
        for (size_t i = 0; i < whole.size(); ++i) out.emplace_back(zero3_.parameters_[unit->members[i]].first + "." + slot, whole[i]);
      }
    }
    return out;
  }

  void load_state(const std::map<std::string, Tensor>& saved, const std::string& source) override {
    NoGradGuard no_grad;
    const NamedTensors inner_state = inner_->state();
    const std::map<std::string, Tensor> by_name(inner_state.begin(), inner_state.end());
    for (const std::string& slot : slots())
      for (const auto& unit : zero3_.units_)
        for (const dist::ShardPiece& piece : unit->shards.pieces()) {
          const std::string name = name_of(*unit, piece);
          const Tensor& parameter = zero3_.parameters_[unit->members[piece.tensor]].second;
          const auto found = saved.find(name + "." + slot);
          BYTEGRAD_CHECK(found != saved.end(), source, " has no tensor '", name, ".", slot, "'");
          BYTEGRAD_CHECK(found->second.shape() == parameter.shape(), source, ": '", name, ".", slot, "' has shape ",
                         shape_str(found->second.shape()), ", the parameter ", shape_str(parameter.shape()));
          ops::copy_(by_name.at(name + "." + slot), flat_part(ops::contiguous(found->second), piece.tensor_offset, piece.length));
        }
  }

  int64_t state_bytes() const {
    int64_t bytes = 0;
    for (const auto& [name, tensor] : inner_->state()) bytes += tensor.numel() * int64_t(dtype_size(tensor.dtype()));
    return bytes;
  }

 private:
  void update(const std::vector<Gradient>&) override {
    inner_->set_learning_rate(learning_rate_);
    inner_->set_step_count(step_count_ - 1);  // inner step() counts this step again
    inner_->step();
  }

  std::string name_of(const Unit& unit, const dist::ShardPiece& piece) const {
    return zero3_.parameters_[unit.members[piece.tensor]].first;
  }

  // The inner optimizer's slots ("exp_avg", ...), from the names of its first piece's state.
  std::vector<std::string> slots() const {
    std::vector<std::string> slots;
    const std::string& first = inner_->parameters().front().first;
    for (const auto& [name, tensor] : inner_->state())
      if (name.compare(0, first.size() + 1, first + ".") == 0) slots.push_back(name.substr(first.size() + 1));
    return slots;
  }

  Zero3& zero3_;
  std::unique_ptr<Optimizer> inner_;
};

Zero3::Zero3(nn::CausalLM& model, dist::Communicator& world, const OptimizerSettings& settings) : Zero3(model, world) {
  make_optimizer_over_shards(settings);
}

Zero3::Zero3(nn::CausalLM& model, dist::Communicator& world) : model_(model), world_(world) {
  // Each tensor once (a tied table is one parameter), each the sole user of its memory, since
  // releasing a parameter releases its storage.
  std::set<const Storage*> seen;
  for (const auto& [name, parameter] : model.named_parameters()) {
    if (!seen.insert(parameter.storage().get()).second) continue;
    BYTEGRAD_CHECK(parameter.dtype() == kFloat32 && parameter.device().is_cpu() && parameter.offset() == 0 &&
                       parameter.is_contiguous() &&
                       size_t(parameter.numel()) * sizeof(float) == parameter.storage()->nbytes(),
                   "ZeRO-3: parameter '", name, "' must be a float32 CPU tensor owning all of its memory");
    parameters_.emplace_back(name, parameter);
  }
  for (const auto& [name, parameter] : parameters_) world_.broadcast(parameter, 0);

  // The units: the rest first, then each layer in the model's order.
  std::vector<std::pair<std::string, nn::Module*>> modules{{"", &model}};
  for (const auto& [path, module] : model.named_modules())
    if (is_layer_path(path)) modules.emplace_back(path, module);
  std::vector<std::vector<size_t>> members(modules.size());
  for (size_t p = 0; p < parameters_.size(); ++p) {
    size_t unit = 0;
    for (size_t u = 1; u < modules.size(); ++u)
      if (parameters_[p].first.compare(0, modules[u].first.size() + 1, modules[u].first + ".") == 0) unit = u;
    members[unit].push_back(p);
  }
  for (size_t u = 0; u < modules.size(); ++u) {
    if (members[u].empty()) continue;
    std::vector<int64_t> numels;
    for (size_t m : members[u]) numels.push_back(parameters_[m].second.numel());
    auto unit = std::unique_ptr<Unit>(new Unit{modules[u].first, members[u],
                                               dist::FlatShards(numels, world.rank(), world.world_size())});
    unit->values = unit->shards.pack(unit->tensors(parameters_));
    unit->gathered = true;  // the parameters are whole until released below
    Unit* raw = unit.get();
    unit->regather = std::make_shared<const std::function<void()>>([this, raw] { gather(*raw); });
    auto hooks = std::make_shared<nn::Module::ForwardHooks>();
    hooks->before = [this, raw] {
      if (raw->depth++ == 0) gather(*raw);
      push_backward_pre_hook(raw->regather);
    };
    hooks->after = [this, raw] {
      pop_backward_pre_hook();
      if (--raw->depth == 0 && gather_all_depth_ == 0) release(*raw);
    };
    modules[u].second->set_forward_hooks(hooks);
    hooked_modules_.emplace_back(modules[u].second, units_.size());
    for (size_t m : unit->members)
      parameters_[m].second.ensure_autograd_meta().on_grad_ready = [this, raw](const Tensor&) {
        if (++raw->ready == raw->members.size()) reduce_gradients(*raw);
      };
    units_.push_back(std::move(unit));
  }
  for (auto& unit : units_) release(*unit);
}

// The optimizer over pieces of the shards, each decaying as its parameter would.
void Zero3::make_optimizer_over_shards(const OptimizerSettings& settings) {
  const std::vector<std::string> tables = model_.embedding_parameter_names();
  const DecayFlags decays = default_decay_mask(parameters_, std::set<std::string>(tables.begin(), tables.end()));
  NamedTensors pieces;
  std::vector<bool> piece_decays;
  for (const auto& unit : units_)
    for (const dist::ShardPiece& piece : unit->shards.pieces()) {
      const size_t parameter = unit->members[piece.tensor];
      pieces.emplace_back(parameters_[parameter].first, ops::narrow(unit->values, 0, piece.shard_offset, piece.length));
      piece_decays.push_back(decays.flags[parameter]);
    }
  std::unique_ptr<Optimizer> inner = make_optimizer(settings, pieces, DecayFlags(std::move(piece_decays)));
  optimizer_ = std::make_unique<ShardOptimizer>(*this, std::move(pieces), std::move(inner));
}

Optimizer& Zero3::optimizer() {
  BYTEGRAD_CHECK(optimizer_ != nullptr, "ZeRO-3: this sharded model was built without an optimizer");
  return *optimizer_;
}

Zero3::~Zero3() {
  for (const auto& [module, unit] : hooked_modules_) module->set_forward_hooks(nullptr);
  for (auto& [name, parameter] : parameters_) parameter.ensure_autograd_meta().on_grad_ready = nullptr;
}

void Zero3::gather(Unit& unit) {
  if (unit.gathered) return;
  std::vector<Tensor> tensors = unit.tensors(parameters_);
  for (const Tensor& tensor : tensors) tensor.storage()->allocate();
  unit.shards.all_gather(world_, unit.values, tensors);
  unit.gathered = true;
}

void Zero3::release(Unit& unit) {
  if (!unit.gathered) return;
  for (const Tensor& tensor : unit.tensors(parameters_)) tensor.storage()->release();
  unit.gathered = false;
}

void Zero3::reduce_gradients(Unit& unit) {
  NoGradGuard no_grad;
  const int64_t shard = unit.shards.shard_size();
  const Tensor flat = zeros({shard * world_.world_size()});
  int64_t offset = 0;
  for (size_t m : unit.members) {
    Tensor& parameter = parameters_[m].second;
    const Tensor grad = parameter.grad();
    if (grad.defined()) ops::copy_(ops::narrow(flat, 0, offset, parameter.numel()), ops::reshape(grad, {parameter.numel()}));
    offset += parameter.numel();
    parameter.set_grad(Tensor());
  }
  const Tensor mine = empty({shard});
  world_.reduce_scatter(flat, mine, dist::ReduceOp::Average);
  unit.grads = unit.grads.defined() ? ops::binary(ops::BinaryOp::Add, unit.grads, mine) : mine;
  unit.ready = 0;
  unit.reduced = true;
  if (unit.depth == 0 && gather_all_depth_ == 0) release(unit);
}

void Zero3::begin_step() {
  for (auto& unit : units_) unit->grads = Tensor();
}

void Zero3::finish_backward() {
  for (auto& unit : units_)
    if (!unit->reduced) reduce_gradients(*unit);
  for (auto& unit : units_) {
    unit->reduced = false;
    unit->ready = 0;
    if (unit->depth == 0 && gather_all_depth_ == 0) release(*unit);
  }
  // The optimizer's pieces see the shard gradients accumulated so far.
  const NamedTensors& pieces = optimizer().parameters();
  size_t i = 0;
  for (const auto& unit : units_)
    for (const dist::ShardPiece& piece : unit->shards.pieces()) {
      Tensor view = pieces[i++].second;
      view.set_grad(ops::narrow(unit->grads, 0, piece.shard_offset, piece.length));
    }
}

double Zero3::clip_grad_norm(double max_norm) {
  NoGradGuard no_grad;
  std::vector<Tensor> gradients;
  for (const auto& [name, piece] : optimizer().parameters())
    if (piece.grad().defined()) gradients.push_back(piece.grad());
  const double squares = world_.average(ops::sum_of_squares(gradients)) * double(world_.world_size());
  const double norm = std::sqrt(squares);
  if (max_norm <= 0 || !std::isfinite(norm) || norm <= max_norm) return norm;
  ops::scale_(gradients, float(max_norm / (norm + 1e-6)));
  return norm;
}

void Zero3::load_model(const nn::StateDict& state) {
  const Gathered whole(*this);
  model_.load_state_dict(state);
  for (auto& unit : units_) ops::copy_(unit->values, unit->shards.pack(unit->tensors(parameters_)));
}

Zero3::Gathered::Gathered(Zero3& zero3) : zero3_(zero3) {
  if (zero3_.gather_all_depth_++ == 0)
    for (auto& unit : zero3_.units_) zero3_.gather(*unit);
}

Zero3::Gathered::~Gathered() {
  if (--zero3_.gather_all_depth_ == 0)
    for (auto& unit : zero3_.units_)
      if (unit->depth == 0) zero3_.release(*unit);
}

int64_t Zero3::parameter_shard_bytes() const {
  int64_t bytes = 0;
  for (const auto& unit : units_) bytes += unit->values.numel() * int64_t(sizeof(float));
  return bytes;
}

int64_t Zero3::gradient_shard_bytes() const { return parameter_shard_bytes(); }

int64_t Zero3::optimizer_state_bytes() const {
  return optimizer_ ? static_cast<const ShardOptimizer&>(*optimizer_).state_bytes() : 0;
}

}  // namespace bytegrad::train
