// A tiny Llama trained as `bytegrad train` builds a run, for the distributed equivalence tests:
// the same seed, data and schedule, with `batch` rows per micro-batch and, given a communicator,
// its optimizer state (ZeRO-1) or its parameters too (ZeRO-3) sharded over the ranks.
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "nn/llama.h"
#include "tests/tiny_llama.h"
#include "train/optimizer_settings.h"
#include "train/sharded_optimizer.h"
#include "train/trainer.h"
#include "train/zero3.h"

namespace bytegrad::testing {

inline constexpr int64_t kTinyRunSteps = 20, kTinyRunSeqLen = 12;

// Documents of a learnable rule (each token is the previous plus its document's stride, mod 15)
// packed with EOS = 15.
inline std::vector<int32_t> rule_tokens() {
  std::vector<std::vector<int32_t>> documents;
  for (int32_t d = 0; d < 40; ++d) {
    std::vector<int32_t> doc;
    for (int32_t i = 0, t = d % 15; i < 12; ++i, t = (t + 1 + d % 3) % 15) doc.push_back(t);
    documents.push_back(doc);
  }
  return train::pack_documents(documents, 15, 0.0, 1).train;
}

enum class Sharding { None, Zero1, Zero3 };

struct TinyRun {
  Generator generator;
  nn::Llama model;
  std::unique_ptr<train::Zero3> zero3;
  std::unique_ptr<train::Optimizer> own_optimizer;
  train::Trainer trainer;

  static train::OptimizerSettings settings() {
    train::OptimizerSettings settings;
    settings.adamw = {.learning_rate = 1e-2, .weight_decay = 0.1};
    return settings;
  }

  TinyRun(int64_t batch, Sharding sharding = Sharding::None, dist::Communicator* world = nullptr)
      : generator(11),
        model(tiny_llama_config(16, 32, 32), generator),
        zero3(sharding == Sharding::Zero3 ? std::make_unique<train::Zero3>(model, *world, settings()) : nullptr),
        own_optimizer(sharding == Sharding::Zero1 ? std::unique_ptr<train::Optimizer>(
                                                        train::make_sharded_optimizer(settings(), model, *world))
                      : sharding == Sharding::None ? train::make_optimizer(settings(), model)
                                                   : nullptr),
        trainer(model, zero3 ? zero3->optimizer() : *own_optimizer,
                {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 3, .total_steps = kTinyRunSteps},
                train::TokenBatches(rule_tokens(), batch, kTinyRunSeqLen, "train"),
                train::TokenBatches(rule_tokens(), batch, kTinyRunSeqLen, "eval"), generator,
                {.steps = kTinyRunSteps, .grad_accum_steps = 2, .grad_clip = 1.0, .eval_batches = 2, .seed = 11}) {
    if (zero3) trainer.distribute(*zero3);
  }

  train::Optimizer& optimizer() { return zero3 ? zero3->optimizer() : *own_optimizer; }

  std::vector<double> losses() {
    std::vector<double> out;
    while (trainer.step() < kTinyRunSteps) out.push_back(trainer.train_step().loss);
    return out;
  }
};

// max |a - b| over max |b|: the relative error of a tensor as a whole.
inline double relative_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  double difference = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference = std::max(difference, double(std::abs(x[i] - y[i])));
    scale = std::max(scale, double(std::abs(y[i])));
  }
  return difference / scale;
}

}  // namespace bytegrad::testing
