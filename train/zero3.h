// ZeRO stage 3 (Rajbhandari et al. 2020; PyTorch FSDP's full sharding): the parameters
// themselves sharded over the data-parallel ranks, besides their gradients and moments.
//
// The model is cut into units: each decoder layer (each module of a "layers" list) and the rest
// (embeddings, final norm, head). A unit's parameters, laid end to end, are cut into equal flat
// shards (dist/flat_shards.h); between uses a rank keeps only its shard of every unit, and the
// parameters' own memory is released (Storage::release):
//  - forward: a unit's forward hook all-gathers its parameters, and its end releases them;
//  - backward: the unit's nodes were recorded under a hook (autograd/node.h) that gathers the
//    parameters again before backward reaches them; when every parameter of the unit has its
//    gradient, the gradients are reduce-scattered (averaged over the ranks) into this rank's
//    shard, and the unit's parameters and gradients are released;
//  - the optimizer (optimizer()) updates this rank's shards, with moments for those alone.
// So a rank holds about 1/N of the parameters, gradients and moments, plus one unit whole while it
// runs. The steps are those of one process reading the whole batch (tested to 1e-5).
//
// Checkpoints and generation see the whole model inside a gather_all() scope (one all-gather per
// unit for the scope's life instead of one per layer per forward); the optimizer's state() and
// load_state() are consolidated (named and shaped as the unsharded optimizer's), so a ZeRO-3 run
// resumes on any number of ranks, sharded or not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "dist/flat_shards.h"
#include "nn/causal_lm.h"
#include "train/optimizer.h"
#include "train/optimizer_settings.h"

namespace bytegrad::train {

class Zero3 {
 public:
  // Shards `model`'s parameters over `world` (the model and `world` must outlive this object):
  // every rank must build it at the same point, with the same model. The values are rank 0's.
  // Without `settings` there is no optimizer (a sharded model for generation only).
  Zero3(nn::CausalLM& model, dist::Communicator& world, const OptimizerSettings& settings);
  Zero3(nn::CausalLM& model, dist::Communicator& world);
  // Removes the hooks (no collective call): the parameters stay released unless a Gathered
  // scope holds them, so use the model whole only inside one.
  ~Zero3();
  Zero3(const Zero3&) = delete;
  Zero3& operator=(const Zero3&) = delete;

  dist::Communicator& communicator() { return world_; }
  // The optimizer over this rank's shards; its state() is consolidated (a collective call).
  // Throws Error when built without optimizer settings.
  Optimizer& optimizer();

  // Before a step's first backward: the shard gradients start from zero.
  void begin_step();
  // After each backward pass: units that backward did not complete are reduced now (a parameter
  // without a gradient counts as zeros), everything is released, and the optimizer's pieces hold
  // the shard gradients accumulated so far.
  void finish_backward();
  // The L2 norm of the whole gradient (every rank's shards), clipped to max_norm as
  // train/grad_clip.h does (0: no clipping); returns the norm before clipping.
  double clip_grad_norm(double max_norm);

  // Every parameter whole while it lives (nested scopes gather once); released after. Every rank
  // must open and close it at the same points.
  class Gathered {
   public:
    explicit Gathered(Zero3& zero3);
    ~Gathered();
    Gathered(const Gathered&) = delete;
    Gathered& operator=(const Gathered&) = delete;

   private:
    Zero3& zero3_;
  };

  // Bytes this rank holds between steps: its shards of the parameters, of the gradients, and the
  // optimizer's state.
  int64_t parameter_shard_bytes() const;
  int64_t gradient_shard_bytes() const;
  int64_t optimizer_state_bytes() const;
  int64_t unit_count() const { return int64_t(units_.size()); }

  // Loads `state` (a whole model's tensors, as Module::load_state_dict takes them) into the
  // shards: every rank must call it.
  void load_model(const nn::StateDict& state);

 private:
  struct Unit;
  class ShardOptimizer;
  void make_optimizer_over_shards(const OptimizerSettings& settings);
  void gather(Unit& unit);
  void release(Unit& unit);
  void reduce_gradients(Unit& unit);

  nn::CausalLM& model_;
  dist::Communicator& world_;
  std::vector<std::pair<std::string, Tensor>> parameters_;  // each tied tensor once
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<std::pair<nn::Module*, size_t>> hooked_modules_;  // module, unit
  int gather_all_depth_ = 0;  // open Gathered scopes
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace bytegrad::train
