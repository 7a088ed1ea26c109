// The config of `bytegrad soft-tokenizer train`: one JSON object, every section optional.
//
//   {"encoder":  {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
//                 "intermediate_size": 512, "learned_positions": true, "padding_mask": true,
//                 "projection": "linear", "max_bytes": 24},  nn/soft_encoder.h; output_size is
//                                                         the host's, max_bytes at least its longest token
//    "data":     {"true_bytes": true, "heldout_fraction": 0.05, "seed": 0},
//    "loss":     {"mse": 1, "cosine": 1, "contrastive": 0, "temperature": 0.05},
//    "optimizer": {"name": "adamw", "lr": 1e-3, ...},     train/optimizer_settings.h
//    "schedule": {"decay": "cosine", "warmup_steps": 50, "min_lr": 1e-4},
//    "training": {"steps": 2000, "batch_size": 256, "log_interval": 100, "eval_interval": 500,
//                 "checkpoint_interval": 0, "seed": 0},
//    "plug":     {"rescale_norms": false},
//    "host_data": {"paths": [...], "document_delimiter": "\n%\n", "eval_fraction": 0.02,
//                 "seed": 1337, "batch_size": 16, "seq_len": 64, "eval_batches": 8},
//    "finetune": {"steps": 0, "lr": 3e-4, "warmup_steps": 10, "freeze_host": true},
//    "output_dir": "runs/soft-tokenizer"}
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/optimizer_settings.h"
#include "train/schedule.h"
#include "train/soft_encoder/encoder_loss.h"
#include "train/soft_encoder/encoder_trainer.h"
#include "train/soft_encoder/host_plugging.h"
#include "train/soft_encoder/token_dataset.h"

namespace bytegrad::train {

struct SoftTokenizerConfig {
  nlohmann::json encoder = nlohmann::json::object();  // SoftEncoderConfig fields, read by the encoder
  TokenDatasetOptions data;
  EncoderLossWeights loss;
  OptimizerSettings optimizer;
  LearningRateSchedule schedule;
  EncoderTrainerOptions training;
  int64_t log_interval = 100;
  int64_t eval_interval = 500;       // 0: only at the end
  int64_t checkpoint_interval = 0;   // 0: only the final encoder
  bool rescale_norms = false;
  std::optional<HostTextOptions> host_data;  // without it the host's loss is not measured
  FinetuneOptions finetune;
  std::filesystem::path output_dir = "runs/soft-tokenizer";
};

// Parses `config` (after --set overrides); `source` names it in errors. Throws Error for an
// unknown section or key, a value of the wrong type, or fine-tuning without host_data.
SoftTokenizerConfig soft_tokenizer_config_from_json(const nlohmann::json& config, const std::string& source);

}  // namespace bytegrad::train
