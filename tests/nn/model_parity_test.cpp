// Parity of the Llama (untied and tied) and GPT-2 models with PyTorch, forward and backward, in float32.
// tests/reference/torch_models.py builds both models by hand in torch (written as Hugging Face's
// modeling code computes), with random weights from a fixed seed, and writes the weights, token
// ids, targets, logits, cross-entropy loss and every parameter's gradient. Here the same weights
// load by name through load_state_dict, and the logits, the loss and every gradient must match.
//
// The reference needs Debian's /usr/bin/python3 with torch; without it the test says so and
// skips.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bytegrad.h"
#include "nn/gpt2.h"
#include "nn/llama.h"
#include "nn/loss.h"

namespace bytegrad::nn {
namespace {

constexpr const char* kPython = "/usr/bin/python3";
const std::string kOutput = BYTEGRAD_BINARY_DIR "/torch_models";

// Relative tolerance per element, plus an absolute floor of kScaleFloor * max|expected| over the
// tensor: float32 sums of many terms cancel, so tiny elements of a large tensor carry the
// rounding of its large ones.
constexpr double kRelative = 1e-4;
constexpr double kScaleFloor = 1e-5;

bool torch_available() {
  const std::string probe = std::string(kPython) + " -c \"import torch\" > /dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

// Runs the reference script once per process; false when torch is absent.
bool reference_written() {
  static const bool written = [] {
    if (!torch_available()) return false;
    const std::string command = std::string(kPython) + " '" BYTEGRAD_SOURCE_DIR
                                "/tests/reference/torch_models.py' '" + kOutput + "'";
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("torch reference script failed: " + command);
    return true;
  }();
  return written;
}

// One model's reference: the JSON index and the float32 values it points into.
struct Reference {
  nlohmann::json index;
  std::vector<float> values;

  explicit Reference(const std::string& name) {
    std::ifstream json_file(kOutput + "/" + name + ".json");
    REQUIRE(json_file.good());
    index = nlohmann::json::parse(json_file);
    std::ifstream bin(kOutput + "/" + name + ".bin", std::ios::binary | std::ios::ate);
    REQUIRE(bin.good());
    values.resize(size_t(bin.tellg()) / sizeof(float));
    bin.seekg(0);
    bin.read(reinterpret_cast<char*>(values.data()),
             std::streamsize(values.size() * sizeof(float)));
  }

  Tensor tensor(const std::string& key) const {
    const nlohmann::json& entry = index.at("tensors").at(key);
    const Shape shape = entry.at("shape").get<Shape>();
    const auto begin = values.begin() + entry.at("offset").get<int64_t>();
    return from_vector(std::vector<float>(begin, begin + numel_of(shape)), shape);
  }

  Tensor ids(const char* key) const {
    const auto rows = index.at(key).get<std::vector<std::vector<int64_t>>>();
    std::vector<int64_t> flat;
    for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
    return from_vector(flat, {int64_t(rows.size()), int64_t(rows.at(0).size())});
  }

  StateDict weights() const {
    StateDict state;
    for (const auto& [key, entry] : index.at("tensors").items())
      if (key.rfind("param/", 0) == 0) state.emplace(key.substr(6), tensor(key));
    return state;
  }
};

// Checks actual against expected within tolerance; returns the worst |error| / allowed seen.
double check_matches(const std::string& what, const Tensor& actual, const Tensor& expected) {
  REQUIRE_MESSAGE(actual.defined(), what << ": no gradient");
  REQUIRE_MESSAGE(actual.shape() == expected.shape(),
                  what << ": shape " << shape_str(actual.shape()) << ", torch has "
                       << shape_str(expected.shape()));
  const std::vector<double> got = actual.to_vector<double>(), want = expected.to_vector<double>();
  double scale = 0;
  for (double value : want) scale = std::max(scale, std::fabs(value));
  double worst = 0;
  size_t worst_index = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double allowed = kRelative * std::fabs(want[i]) + kScaleFloor * scale;
    const double ratio = std::fabs(got[i] - want[i]) / allowed;
    if (!(ratio <= worst)) {
      worst = ratio;
      worst_index = i;
    }
  }
  CHECK_MESSAGE(worst <= 1.0, what << ": element " << worst_index << " is " << got[worst_index]
                                   << ", torch has " << want[worst_index] << " (" << worst
                                   << " x the tolerance)");
  return worst;
}

template <typename Model>
void check_model_against_torch(const std::string& name) {
  if (!reference_written()) {
    MESSAGE("skipping " << name << " parity: " << kPython
                        << " cannot import torch (install Debian's python3-torch)");
    return;
  }
  const Reference reference(name);
  Generator generator(7);
  Model model(model_config_from_json(reference.index.at("config"), name + ".json"), generator);
  model.load_state_dict(reference.weights());

  const Tensor logits = model.forward(reference.ids("ids"));
  const Tensor loss = cross_entropy(logits, reference.ids("targets"));
  backward(loss);

  double worst = check_matches("logits", logits, reference.tensor("logits"));
  const double expected_loss = reference.index.at("loss").get<double>();
  CHECK(loss.item<float>() == doctest::Approx(expected_loss).epsilon(kRelative));
  for (const auto& [parameter, value] : model.named_parameters())
    worst = std::max(worst, check_matches("gradient of " + parameter, value.grad(),
                                          reference.tensor("grad/" + parameter)));
  MESSAGE(name << ": worst deviation " << worst << " x the tolerance (relative " << kRelative
               << " + " << kScaleFloor << " x max|value|)");
}

TEST_CASE("Llama with grouped-query attention and an untied head matches PyTorch") {
  check_model_against_torch<Llama>("llama");
}

TEST_CASE("Llama with multi-query attention and a tied head matches PyTorch") {
  check_model_against_torch<Llama>("llama_tied");
}

TEST_CASE("GPT-2 matches PyTorch") {
  check_model_against_torch<GPT2>("gpt2");
}

}  // namespace
}  // namespace bytegrad::nn
