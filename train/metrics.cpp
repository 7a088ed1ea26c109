#include "train/metrics.h"

#include <cmath>

#include "base/error.h"
#include "io/atomic_file.h"

namespace bytegrad::train {

MetricsLog::MetricsLog(const std::filesystem::path& path, bool append)
    : path_(path), out_(path, append ? std::ios::app : std::ios::trunc) {
  BYTEGRAD_CHECK(out_.good(), "metrics: cannot open '", path.string(), "' for writing");
}

namespace {

nlohmann::json number_or_null(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(); }

double number_or_nan(const nlohmann::json& json, const char* key, double missing) {
  if (!json.contains(key)) return missing;
  return json[key].is_number() ? json[key].get<double>() : NAN;
}

}  // namespace

nlohmann::ordered_json metrics_json(const MetricsRecord& record) {
  nlohmann::ordered_json line = {{"step", record.step},
                                 {"loss", number_or_null(record.loss)},
                                 {"lr", record.lr},
                                 {"grad_norm", number_or_null(record.grad_norm)},
                                 {"tokens_per_second", record.tokens_per_second}};
  if (record.resident_mib > 0) line["rss_mib"] = std::round(record.resident_mib * 10) / 10;
  if (record.eval_loss) line["eval_loss"] = number_or_null(*record.eval_loss);
  if (record.skipped) line["skipped"] = true;
  return line;
}

void MetricsLog::write(const MetricsRecord& record) {
  out_ << metrics_json(record).dump() << '\n';
  out_.flush();
  BYTEGRAD_CHECK(out_.good(), "metrics: writing '", path_.string(), "' failed");
}

void truncate_metrics(const std::filesystem::path& path, int64_t last_step) {
  if (!std::filesystem::exists(path)) return;
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), "metrics: cannot read '", path.string(), "'");
  std::string kept, text;
  while (std::getline(in, text)) {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    // A line cut short by a crash, or a step the resumed run takes again, goes.
    if (json.is_object() && json.contains("step") && json["step"].is_number_integer() &&
        json["step"].get<int64_t>() <= last_step)
      kept += text + '\n';
  }
  io::write_file_atomically(path.string(), kept.data(), kept.size());
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
                       json.contains("loss") && (json["loss"].is_number() || json["loss"].is_null()),
                   "metrics: ", path.string(), ":", line,
                   ": expected a JSON object with a numeric \"step\" and a numeric or null \"loss\"");
    MetricsRecord r;
    r.step = json["step"].get<int64_t>();
    r.loss = number_or_nan(json, "loss", NAN);
    r.lr = number_or_nan(json, "lr", 0.0);
    r.grad_norm = number_or_nan(json, "grad_norm", 0.0);
    r.tokens_per_second = number_or_nan(json, "tokens_per_second", 0.0);
    r.resident_mib = number_or_nan(json, "rss_mib", 0.0);
    if (json.contains("eval_loss")) r.eval_loss = number_or_nan(json, "eval_loss", NAN);
    r.skipped = json.contains("skipped") && json["skipped"].is_boolean() && json["skipped"].get<bool>();
    records.push_back(r);
  }
  return records;
}

}  // namespace bytegrad::train
