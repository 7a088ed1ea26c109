#include "train/config_section.h"

namespace bytegrad::train {

kernels::MatmulPrecision read_matmul_precision(const nlohmann::json& config, const std::string& source) {
  if (!config.contains("matmul_precision")) return kernels::MatmulPrecision::Highest;
  BYTEGRAD_CHECK(config["matmul_precision"].is_string(), source,
                 ": \"matmul_precision\" must be a string (\"highest\", \"high\", \"medium\")");
  try {
    return kernels::parse_matmul_precision(config["matmul_precision"].get<std::string>());
  } catch (const Error& e) {
    throw Error(concat(source, ": \"matmul_precision\": ", e.what()));
  }
}

Device read_device(const nlohmann::json& config, const std::string& source) {
  if (!config.contains("device")) return kCPU;
  BYTEGRAD_CHECK(config["device"].is_string(), source, ": \"device\" must be a string (\"cpu\", \"cuda\", \"cuda:1\")");
  try {
    return Device::parse(config["device"].get<std::string>());
  } catch (const Error& e) {
    throw Error(concat(source, ": \"device\": ", e.what()));
  }
}

std::string join_keys(const std::set<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

ConfigSection::ConfigSection(const nlohmann::json& config, const std::string& name, const std::string& source,
                             const std::set<std::string>& keys)
    : name_(name), source_(source) {
  if (!config.contains(name)) return;
  value_ = config[name];
  BYTEGRAD_CHECK(value_.is_object(), source, ": \"", name, "\" must be an object");
  for (const auto& [key, v] : value_.items())
    BYTEGRAD_CHECK(keys.count(key), source, ": unknown key \"", name, ".", key, "\" (expected one of: ",
                   join_keys(keys), ")");
}

void check_positive(const std::string& source, const char* key, double value) {
  BYTEGRAD_CHECK(value > 0, source, ": \"", key, "\" must be positive, got ", value);
}

void check_not_negative(const std::string& source, const char* key, double value) {
  BYTEGRAD_CHECK(value >= 0, source, ": \"", key, "\" must not be negative, got ", value);
}

void check_fraction(const std::string& source, const char* key, double value) {
  BYTEGRAD_CHECK(value >= 0 && value < 1, source, ": \"", key, "\" must be in [0, 1), got ", value);
}

void read_schedule_section(const nlohmann::json& config, const std::string& source,
                           LearningRateSchedule& schedule) {
  const ConfigSection s(config, "schedule", source, {"decay", "warmup_steps", "min_lr"});
  std::string decay = "cosine";
  s.read("decay", decay);
  if (decay == "cosine") schedule.shape = DecayShape::Cosine;
  else if (decay == "linear") schedule.shape = DecayShape::Linear;
  else if (decay == "constant") schedule.shape = DecayShape::Constant;
  else throw Error(source + ": \"schedule.decay\" must be \"cosine\", \"linear\" or \"constant\", got \"" + decay + "\"");
  s.read("warmup_steps", schedule.warmup_steps);
  s.read("min_lr", schedule.floor);
  check_not_negative(source, "schedule.warmup_steps", double(schedule.warmup_steps));
  check_not_negative(source, "schedule.min_lr", schedule.floor);
}

}  // namespace bytegrad::train
