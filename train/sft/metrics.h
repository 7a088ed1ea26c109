// The metrics log of a fine-tuning run: the training log's fields (train/metrics.h) plus what
// SFT adds, one JSON object per line, so read_metrics and the loss plot read it as they are:
//   {"step": 10, "loss": 0.82, "lr": 3e-4, "grad_norm": 1.1, "tokens_per_second": 2100.5,
//    "nll": 0.80, "response_entropy": 0.95, "kl": 0.2, "eval_accuracy": 0.41}
// kl appears when a reference model is used; eval_accuracy on the steps that evaluated.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>

#include "train/metrics.h"

namespace bytegrad::train {

struct SftMetricsRecord {
  MetricsRecord training;   // loss: the objective (nll + kl_coef * kl), averaged over micro-batches
  double nll = 0;           // mean negative log-likelihood of the response tokens
  double response_entropy = 0;  // mean next-token entropy at the response tokens
  std::optional<double> kl;     // mean KL to the reference at the response tokens
  std::optional<double> eval_accuracy;  // exact-match accuracy on held-out questions
};

class SftMetricsLog {
 public:
  // Truncates `path`; throws Error naming it when it cannot be opened.
  explicit SftMetricsLog(const std::filesystem::path& path);
  // Writes one line and flushes it.
  void write(const SftMetricsRecord& record);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace bytegrad::train
