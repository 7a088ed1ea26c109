#include "train/sft/metrics.h"

#include <cmath>

#include "base/error.h"

namespace bytegrad::train {

SftMetricsLog::SftMetricsLog(const std::filesystem::path& path) : path_(path), out_(path, std::ios::trunc) {
  BYTEGRAD_CHECK(out_.good(), "sft metrics: cannot open '", path.string(), "' for writing");
}

void SftMetricsLog::write(const SftMetricsRecord& record) {
  nlohmann::ordered_json line = metrics_json(record.training);
  const auto number_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  line["nll"] = number_or_null(record.nll);
  line["response_entropy"] = number_or_null(record.response_entropy);
  if (record.kl) line["kl"] = number_or_null(*record.kl);
  if (record.eval_accuracy) line["eval_accuracy"] = *record.eval_accuracy;
  out_ << line.dump() << '\n';
  out_.flush();
  BYTEGRAD_CHECK(out_.good(), "sft metrics: writing '", path_.string(), "' failed");
}

}  // namespace bytegrad::train
