// The metrics log of a training run: one JSON object per line (JSONL), appended as the run goes,
// so a crash loses at most the line being written and other tools can tail it.
//   {"step": 10, "loss": 4.21, "lr": 0.003, "grad_norm": 0.93, "tokens_per_second": 5120.4,
//    "rss_mib": 101.3, "eval_loss": 4.30}
// eval_loss is present only on the steps that evaluated. A value that is not finite (a diverged
// step) is written as null, so every line stays valid JSON, and "skipped": true marks a step
// whose update was not applied (train/nonfinite.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace bytegrad::train {

struct MetricsRecord {
  int64_t step = 0;  // 1-based: the number of optimizer steps taken
  double loss = 0;   // mean training loss of the step's micro-batches
  double lr = 0;
  double grad_norm = 0;  // before clipping
  double tokens_per_second = 0;
  double resident_mib = 0;  // the process's resident memory after the step (base/process_memory.h)
  std::optional<double> eval_loss = std::nullopt;
  bool skipped = false;  // the loss or gradient norm was not finite and no update was applied
};

// The record as one JSON object, non-finite values as null; the SFT log adds its fields to it.
nlohmann::ordered_json metrics_json(const MetricsRecord& record);

class MetricsLog {
 public:
  // Opens `path` for appending (a resumed run continues its log), or truncates it when `append`
  // is false. Throws Error naming the path when it cannot be opened.
  MetricsLog(const std::filesystem::path& path, bool append);
  // Writes one line and flushes it.
  void write(const MetricsRecord& record);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

// Keeps the lines of the metrics file at `path` up to step `last_step` and drops the rest (the
// steps after the checkpoint a run resumes from, which it takes again), so that no step appears
// twice. The file is rewritten atomically; a missing file stays missing.
void truncate_metrics(const std::filesystem::path& path, int64_t last_step);

// Every record of a metrics file; a null loss, grad_norm or eval_loss reads as NaN. Throws Error
// naming the file and line when a line is not a JSON object with a numeric step and a numeric or
// null loss.
std::vector<MetricsRecord> read_metrics(const std::filesystem::path& path);

}  // namespace bytegrad::train
