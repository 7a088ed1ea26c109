// ZeRO stage 1 (Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion
// Parameter Models", 2020): the optimizer's state sharded over the data-parallel ranks.
//
// Every rank holds the whole model and, after DataParallel has averaged it, the whole gradient.
// The parameters laid end to end are cut into equal flat shards (dist/flat_shards.h), and each
// rank runs the inner optimizer (AdamW or SGD, unchanged) over the parts of the parameters in
// its own shard only, as views into the parameters themselves: so it keeps moments for about
// 1/N of the elements. The updated shards are then all-gathered into every rank's parameters.
// The update of each element is the unsharded optimizer's, so the run takes the same steps.
//
// Checkpoints stay consolidated: state() gathers every rank's moments into tensors of the
// parameters' shapes, named as the unsharded optimizer names them, and load_state() takes this
// rank's shard of such tensors, so a run resumes on any number of ranks (or on one, unsharded).
#pragma once

#include <functional>
#include <memory>

#include "dist/communicator.h"
#include "dist/flat_shards.h"
#include "nn/causal_lm.h"
#include "train/optimizer.h"
#include "train/optimizer_settings.h"

namespace bytegrad::train {

class ShardedOptimizer final : public Optimizer {
 public:
  // Builds the optimizer of this rank's pieces: their names (their parameters'), and whether each decays.
  using InnerFactory = std::function<std::unique_ptr<Optimizer>(NamedTensors pieces, DecayFlags decays)>;

  // `decays.flags[i]`: whether parameter i decays. `world` must outlive the optimizer. Throws Error
  // when the parameters are too few to give every rank a shard.
  ShardedOptimizer(NamedTensors parameters, const DecayFlags& decays, dist::Communicator& world,
                   const InnerFactory& make_inner);

  NamedTensors state() const override;  // gathered from every rank: a collective call
  void load_state(const std::map<std::string, Tensor>& saved, const std::string& source) override;

  // Bytes of optimizer state this rank holds.
  int64_t state_bytes() const;

 private:
  void update(const std::vector<Gradient>& gradients) override;
  // The inner optimizer's state of this rank's pieces, by slot ("exp_avg", ...).
  std::vector<std::string> slots() const;

  dist::Communicator& world_;
  dist::FlatShards shards_;
  std::unique_ptr<Optimizer> inner_;  // over views of this rank's pieces of the parameters
};

// The optimizer `settings` name over `model`'s parameters, as make_optimizer builds it, with
// its state sharded over `world`'s ranks.
std::unique_ptr<ShardedOptimizer> make_sharded_optimizer(const OptimizerSettings& settings, const nn::CausalLM& model,
                                                         dist::Communicator& world);

}  // namespace bytegrad::train
