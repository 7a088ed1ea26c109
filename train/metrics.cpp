#include "train/metrics.h"

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace bytegrad::train {

MetricsLog::MetricsLog(const std::filesystem::path& path, bool append)
    : path_(path), out_(path, append ? std::ios::app : std::ios::trunc) {
  BYTEGRAD_CHECK(out_.good(), "metrics: cannot open '", path.string(), "' for writing");
}

void MetricsLog::write(const MetricsRecord& record) {
  nlohmann::ordered_json line = {{"step", record.step},
                                 {"loss", record.loss},
                                 {"lr", record.lr},
                                 {"grad_norm", record.grad_norm},
                                 {"tokens_per_second", record.tokens_per_second}};
  if (record.eval_loss) line["eval_loss"] = *record.eval_loss;
  out_ << line.dump() << '\n';
  out_.flush();
  BYTEGRAD_CHECK(out_.good(), "metrics: writing '", path_.string(), "' failed");
}

std::vector<MetricsRecord> read_metrics(const std::filesystem::path& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), "metrics: cannot read '", path.string(), "'");
  std::vector<MetricsRecord> records;
  std::string text;
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (text.empty()) continue;
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    BYTEGRAD_CHECK(json.is_object() && json.contains("step") && json["step"].is_number() &&
                       json.contains("loss") && json["loss"].is_number(),
                   "metrics: ", path.string(), ":", line, ": expected a JSON object with numeric \"step\" and \"loss\"");
    MetricsRecord r;
    r.step = json["step"].get<int64_t>();
    r.loss = json["loss"].get<double>();
    r.lr = json.value("lr", 0.0);
    r.grad_norm = json.value("grad_norm", 0.0);
    r.tokens_per_second = json.value("tokens_per_second", 0.0);
    if (json.contains("eval_loss") && json["eval_loss"].is_number()) r.eval_loss = json["eval_loss"].get<double>();
    records.push_back(r);
  }
  return records;
}

}  // namespace bytegrad::train
