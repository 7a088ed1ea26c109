// Reading the sections of a JSON run config (`bytegrad train`, `bytegrad sft`): typed reads by
// key with errors that name the file and the key, and a check that a section holds no key it
// does not know (a misspelt key is an error, not a silently ignored setting).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "base/device.h"
#include "base/error.h"
#include "kernels/matmul_precision.h"
#include "train/schedule.h"

namespace bytegrad::train {

// The config's top-level "device" ("cpu", "cuda", "cuda:1"; the CPU when absent). Throws Error
// naming `source` for a value that is not one.
Device read_device(const nlohmann::json& config, const std::string& source);

// The config's top-level "matmul_precision" ("highest", "high", "medium": how float32 products on
// a GPU may round their inputs, kernels/matmul_precision.h); "highest" when absent. Throws Error
// naming `source` for another value.
kernels::MatmulPrecision read_matmul_precision(const nlohmann::json& config, const std::string& source);

// "a, b, c": the keys a section accepts, for error messages.
std::string join_keys(const std::set<std::string>& keys);

// One section of a config, e.g. "optimizer". A missing section reads as empty, so every read
// keeps the caller's default.
class ConfigSection {
 public:
  // Throws Error naming `source` when the section is not an object or has a key outside `keys`.
  ConfigSection(const nlohmann::json& config, const std::string& name, const std::string& source,
                const std::set<std::string>& keys);

  // Sets `out` from `key` when present; throws Error naming source, section and key when the
  // value has the wrong type (a string, true/false, a number, a (non-negative) integer).
  template <typename T>
  void read(const char* key, T& out) const {
    if (!value_.contains(key)) return;
    const nlohmann::json& v = value_[key];
    bool ok = false;
    if constexpr (std::is_same_v<T, std::string>) ok = v.is_string();
    else if constexpr (std::is_same_v<T, bool>) ok = v.is_boolean();
    else if constexpr (std::is_floating_point_v<T>) ok = v.is_number();
    else if constexpr (std::is_unsigned_v<T>) ok = v.is_number_integer() && v.get<int64_t>() >= 0;
    else if constexpr (std::is_integral_v<T>) ok = v.is_number_integer();
    else ok = true;
    BYTEGRAD_CHECK(ok, source_, ": \"", name_, ".", key, "\" must be ", expected<T>(), ", got ", v.dump());
    out = v.get<T>();
  }

  void read(const char* key, std::filesystem::path& out) const {
    std::string text = out.string();
    read(key, text);
    out = text;
  }

  bool has(const char* key) const { return value_.contains(key); }

 private:
  template <typename T>
  static const char* expected() {
    if constexpr (std::is_same_v<T, std::string>) return "a string";
    else if constexpr (std::is_same_v<T, bool>) return "true or false";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else if constexpr (std::is_unsigned_v<T>) return "a non-negative integer";
    else return "an integer";
  }

  std::string name_, source_;
  nlohmann::json value_ = nlohmann::json::object();
};

// Throws Error naming `source` and `key` unless value > 0.
void check_positive(const std::string& source, const char* key, double value);
// Throws Error naming `source` and `key` unless value >= 0.
void check_not_negative(const std::string& source, const char* key, double value);
// Throws Error naming `source` and `key` unless 0 <= value < 1 (a decay rate such as beta1).
void check_fraction(const std::string& source, const char* key, double value);

// The "schedule" section: "decay" ("cosine" | "linear" | "constant"), "warmup_steps", "min_lr".
void read_schedule_section(const nlohmann::json& config, const std::string& source,
                           LearningRateSchedule& schedule);

}  // namespace bytegrad::train
