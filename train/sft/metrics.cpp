#include "train/sft/metrics.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace bytegrad::train {

SftMetricsLog::SftMetricsLog(const std::filesystem::path& path) : path_(path), out_(path, std::ios::trunc) {
  BYTEGRAD_CHECK(out_.good(), "sft metrics: cannot open '", path.string(), "' for writing");
}

void SftMetricsLog::write(const SftMetricsRecord& record) {
  const MetricsRecord& r = record.training;
  nlohmann::ordered_json line = {{"step", r.step},
                                 {"loss", r.loss},
                                 {"lr", r.lr},
                                 {"grad_norm", r.grad_norm},
                                 {"tokens_per_second", r.tokens_per_second},
                                 {"nll", record.nll},
                                 {"response_entropy", record.response_entropy}};
  if (record.kl) line["kl"] = *record.kl;
  if (record.eval_accuracy) line["eval_accuracy"] = *record.eval_accuracy;
  out_ << line.dump() << '\n';
  out_.flush();
  BYTEGRAD_CHECK(out_.good(), "sft metrics: writing '", path_.string(), "' failed");
}

}  // namespace bytegrad::train
