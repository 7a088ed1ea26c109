// The config of a fine-tuning run (`bytegrad sft --config FILE`), a JSON object of sections:
//   "model":      a model directory (config.json, model.safetensors, tokenizer.json), e.g. the
//                 "model" directory `bytegrad train` writes.
//   "data":       "train" (a JSONL file, train/sft/data.h), "eval" (held-out JSONL questions,
//                 optional), "append_eos" (end prompt/response examples with EOS; default true),
//                 "chat_layout" ("llama2" | "chatml" | "llama3", for "messages" examples).
//   "optimizer":  "name" ("adamw" | "sgd"), "lr", "beta1", "beta2", "eps", "weight_decay",
//                 "momentum" (sgd), "grad_clip".
//   "schedule":   "decay" ("cosine" | "linear" | "constant"), "warmup_steps", "min_lr".
//   "training":   "steps", "batch_size", "grad_accum_steps", "seed", "log_interval",
//                 "on_nonfinite" ("stop" | "skip", train/nonfinite.h).
//   "kl":         "coef": > 0 adds coef * KL(model || reference) with the reference a frozen
//                 copy of the starting model (default 0: no reference is loaded).
//   "eval":       "interval" (steps between accuracy checks; 0: only before and after),
//                 "examples" (held-out questions used; 0: all), "max_new_tokens".
//   "output_dir": metrics.jsonl, loss.svg and the fine-tuned model directory ("model") go here.
// Every key but model and data.train is optional with the defaults below; unknown keys and
// values of the wrong type are errors naming the file and the key. Overrides are applied as
// for `bytegrad train` (train/run_config.h apply_overrides).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/matmul_precision.h"
#include "train/optimizer_settings.h"
#include "train/schedule.h"
#include "train/sft/data.h"
#include "train/sft/trainer.h"

namespace bytegrad::train {

struct SftConfig {
  std::filesystem::path model;
  std::filesystem::path train_data;
  std::filesystem::path eval_data;  // empty: no held-out questions
  SftFormat format;
  OptimizerSettings optimizer{.adamw = {.learning_rate = 3e-4, .weight_decay = 0.0}, .sgd = {}};
  LearningRateSchedule schedule{.peak = 3e-4, .floor = 3e-5, .warmup_steps = 10, .total_steps = 100};
  SftOptions training;
  int64_t log_interval = 10;
  int64_t eval_interval = 0;
  int64_t eval_examples = 200;
  int64_t max_new_tokens = 16;
  std::filesystem::path output_dir = "runs/sft";
  Device device = kCPU;  // where the model (and the KL reference) are fine-tuned ("device": "cuda")
  kernels::MatmulPrecision matmul_precision = kernels::MatmulPrecision::Highest;  // as RunConfig's
};

// Reads a parsed config; `source` names it in errors.
SftConfig sft_config_from_json(const nlohmann::json& config, const std::string& source);

// Reads `path`, applies `overrides`, and parses the result; the final JSON goes to `resolved`.
SftConfig load_sft_config(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                          nlohmann::json& resolved);

}  // namespace bytegrad::train
