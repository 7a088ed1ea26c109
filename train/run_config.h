// The config of a training run (`bytegrad train --config FILE`), a JSON object of sections:
//   "model":      Hugging Face config fields (nn/config.h) plus "model_type": "llama" | "gpt2";
//                 vocab_size may be left out: it is then the tokenizer's vocabulary size.
//   "init_from":  a pretrained model directory (io/model_directory.h) to start from: the
//                 model section is then its config.json (a "model" section, if given, overrides
//                 single fields such as dropout) and, unless data names one, its tokenizer.
//   "data":       "paths" (files or directories of text), "document_delimiter" (splits files
//                 into documents, e.g. "\n%\n"), "eval_fraction" (documents held out), and the
//                 tokenizer: "tokenizer" (a path load_tokenizer reads) or "bpe_vocab_size" (train
//                 a byte-level BPE of that size on the corpus, with EOS "<|endoftext|>"). A
//                 trained BPE also gets "special_tokens" (a list of added tokens) and the markers
//                 of "chat_template" ("chatml" | "llama3", tokenizer/chat.h chat_markers), so
//                 that `bytegrad chat` can compose that layout with the trained model.
//                 Or, instead of "paths", token shards as `bytegrad prep` writes them (train/
//                 token_shards.h): "shards" (paths or globs such as "data/train_*.bin") and
//                 "eval_shards" (held-out shards; without them the last eval_fraction of the
//                 shard tokens is held out); the tokenizer is "tokenizer", init_from's, or the
//                 tokenizer.json that prep wrote beside the first shard.
//                 A T-Free model ("model_type": "tfree", nn/tfree.h) has no tokenizer: its
//                 data is "paths" or "memory_map" (a MemoryMap prefix from `bytegrad prep`),
//                 "document_delimiter", "eval_fraction" and "dictionary_words" (train/data/
//                 word_stream.h), or, to fine-tune, "segments" and "eval_segments" (JSONL
//                 segment lists, train/data/word_segments.h); its model section gives
//                 vocab_size (the hashed rows V).
//   "optimizer":  "name" ("adamw" | "sgd"), "lr", "beta1", "beta2", "eps", "weight_decay",
//                 "momentum" (sgd), "grad_clip".
//   "schedule":   "decay" ("cosine" | "linear" | "constant"), "warmup_steps", "min_lr".
//   "training":   "steps", "batch_size", "seq_len", "grad_accum_steps", "seed", "log_interval"
//                 (steps between progress lines), "on_nonfinite" ("stop" | "skip": what a step
//                 whose loss or gradient norm is NaN or infinite does, train/nonfinite.h).
//   "eval":       "interval", "batches".   "sample": "interval", "tokens", "temperature", "prompt".
//   "checkpoint": "interval" (0: only at the end), "keep_last" (the newest checkpoints kept as
//                 output_dir/checkpoint-STEP; older ones are removed).
//   "distributed": how ranks started by mpirun share the work (dist/): "bucket_mb" (gradients
//                 averaged per bucket of this many MiB, 25), "zero_stage" (0: every rank holds
//                 everything; 1: the optimizer's moments are sharded over the ranks; 3: the
//                 parameters, gradients and moments are, train/zero3.h).
//   "output_dir": metrics.jsonl, loss.svg, the tokenizer, checkpoints and, at the end, the model
//                 in Hugging Face's layout (output_dir/model) go here.
// Every key but model's is optional with the defaults of the structs below; unknown keys and
// values of the wrong type are errors naming the file and the key. A key whose value is null
// counts as absent, so that `--set data.paths=null` removes one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/matmul_precision.h"
#include "nn/config.h"
#include "train/optimizer_settings.h"
#include "train/schedule.h"
#include "train/data/text_corpus.h"
#include "train/trainer.h"

namespace bytegrad::train {

struct DataConfig {
  CorpusOptions corpus;                  // text to tokenize, or
  std::vector<std::string> shards;       // token shard paths or globs (tokenized already)
  std::vector<std::string> eval_shards;  // held-out shard paths or globs
  std::string tokenizer;       // a tokenizer path, or empty to train a BPE
  int64_t bpe_vocab_size = 0;  // > 0 when training a BPE
  std::vector<std::string> special_tokens;  // added to a trained BPE after "<|endoftext|>"
  std::string chat_template;                // "chatml" | "llama3": its markers join a trained BPE
  double eval_fraction = 0.05;
  // T-Free runs ("model_type": "tfree") read words, not tokens: "paths" or "memory_map" (the
  // prefix of a MemoryMap, with or without its aligned chunk index), and keep the
  // "dictionary_words" most frequent training words (plus the special words) in the decoding
  // dictionary saved with the model.
  std::string memory_map;
  int64_t dictionary_words = 50000;
  // Or T-Free fine-tuning: JSONL files of segment lists with has_loss (train/data/word_segments.h).
  std::string segments, eval_segments;
};

// The "distributed" section: what data-parallel ranks share and how (train/distributed_run.h).
struct DistributedConfig {
  double bucket_mb = 25;  // gradient bucket size, as PyTorch DDP's bucket_cap_mb
  int64_t zero_stage = 0;  // 0: replicated; 1: optimizer moments sharded; 3: parameters too
};

struct RunConfig {
  std::string model_type = "llama";
  std::filesystem::path init_from;  // a model directory to start from, or empty
  nlohmann::json model;  // the "model" section without model_type, for nn::model_config_from_json
  DataConfig data;
  OptimizerSettings optimizer;
  LearningRateSchedule schedule;  // peak from optimizer.lr, total_steps from training.steps
  TrainerOptions trainer;
  int64_t batch_size = 8;
  int64_t seq_len = 64;
  int64_t log_interval = 10;
  int64_t keep_last_checkpoints = 3;
  std::string sample_prompt;  // empty: sampling starts from EOS, i.e. a fresh document
  DistributedConfig distributed;
  std::filesystem::path output_dir = "runs/default";
  // Where the model, its gradients and the optimizer's state live ("device": "cuda"); batches
  // are read on the CPU and moved there. Checkpoints are device-independent.
  Device device = kCPU;
  // How float32 products on a GPU may round their inputs ("matmul_precision": "medium" for
  // bfloat16 tensor cores); set for the whole process when the run starts.
  kernels::MatmulPrecision matmul_precision = kernels::MatmulPrecision::Highest;
};

// Applies "--set" overrides to a config's JSON: each "a.b.c=VALUE" sets json[a][b][c] to VALUE
// parsed as JSON, or to the string VALUE when it is not JSON. Throws Error naming the override
// when it has no '=' or an empty key.
void apply_overrides(nlohmann::json& config, const std::vector<std::string>& overrides);

// Reads a parsed config; `source` names it in errors.
RunConfig run_config_from_json(const nlohmann::json& config, const std::string& source);

// The JSON of the config file at `path` with `overrides` applied. Throws Error naming the path
// when it cannot be read or is not JSON.
nlohmann::json load_run_config_json(const std::filesystem::path& path, const std::vector<std::string>& overrides);

// Reads `path`, applies `overrides`, and parses the result. Returns the final JSON in `resolved`
// (to record beside the run's outputs).
RunConfig load_run_config(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                          nlohmann::json& resolved);

}  // namespace bytegrad::train
