// Parity with PyTorch, forward and backward. tests/reference/torch_reference.py evaluates each case
// with torch (float64, fixed seed) and writes the inputs, a weight tensor w, the output and the
// gradients of sum(output * w) to JSON; here the same computation is rebuilt with bytegrad from
// the same inputs and every output and gradient is compared. The weight gives each output element
// a distinct upstream gradient, so a backward that mixes up elements cannot pass by symmetry.
// Every case runs on every test device, so each backend meets the same PyTorch values.
//
// The reference needs Debian's /usr/bin/python3 with torch; without it the test says so and
// skips (CI installs torch, so there it always runs).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bytegrad.h"
#include "tests/devices.h"

namespace bytegrad {
namespace {

using Inputs = std::vector<Tensor>;
using Computation = std::function<Tensor(const Inputs&)>;

constexpr const char* kPython = "/usr/bin/python3";

// The same layer norm as the reference: biased variance over the last dim, eps 1e-5.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const Tensor centered = x - mean(x, {-1}, true);
  const Tensor variance = var(x, {-1}, /*correction=*/0, true);
  return centered / sqrt(variance + 1e-5) * weight + bias;
}

// Mean negative log-likelihood of integer targets, as torch.nn.functional.cross_entropy.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets) {
  return neg(mean(gather(log_softmax(logits, -1), 1, unsqueeze(targets, 1))));
}

// softmax(q k^T / sqrt(d), masked so position i sees only j <= i) v.
Tensor causal_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  const int64_t queries = q.size(-2), keys = k.size(-2);
  std::vector<double> future;
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j) future.push_back(j > i ? 1.0 : 0.0);
  const Tensor mask = from_vector(future, {queries, keys}, TensorOptions{kBool, q.device()});
  const Tensor scores = matmul(q, transpose(k, -2, -1)) / std::sqrt(double(q.size(-1)));
  const Tensor masked = masked_fill(scores, mask, -std::numeric_limits<double>::infinity());
  return matmul(softmax(masked, -1), v);
}

// Each reference case by name, spelled with bytegrad's API. Operator arguments (dims, k, eps)
// must match torch_reference.py exactly; the inputs come from the JSON.
const std::map<std::string, Computation>& computations() {
  static const std::map<std::string, Computation> table = {
      // Broadcasting binary ops.
      {"add_broadcast", [](const Inputs& in) { return add(in[0], in[1]); }},
      {"sub_broadcast", [](const Inputs& in) { return sub(in[0], in[1]); }},
      {"mul_broadcast", [](const Inputs& in) { return mul(in[0], in[1]); }},
      {"div_broadcast", [](const Inputs& in) { return div(in[0], in[1]); }},
      {"scalar_arithmetic",
       [](const Inputs& in) { return (2.0 - in[0] * 3.0) / (1.5 + in[0]) + 4.0 / in[0]; }},
      {"maximum_broadcast", [](const Inputs& in) { return maximum(in[0], in[1]); }},
      {"minimum_broadcast", [](const Inputs& in) { return minimum(in[0], in[1]); }},
      {"pow_tensor_tensor", [](const Inputs& in) { return pow(in[0], in[1]); }},
      {"pow_scalar_exponent", [](const Inputs& in) { return pow(in[0], 3.0) + pow(in[0], -0.5); }},
      // Products.
      {"matmul_2d", [](const Inputs& in) { return matmul(in[0], in[1]); }},
      {"matmul_batched_broadcast", [](const Inputs& in) { return matmul(in[0], in[1]); }},
      {"matmul_transposed_operand",
       [](const Inputs& in) { return matmul(in[0], transpose(in[1], 0, 1)); }},
      {"matmul_matrix_vector", [](const Inputs& in) { return matmul(in[0], in[1]); }},
      {"matmul_vector_vector", [](const Inputs& in) { return matmul(in[0], in[1]); }},
      // Unary functions.
      {"gelu_exact", [](const Inputs& in) { return gelu(in[0]); }},
      {"gelu_tanh", [](const Inputs& in) { return gelu(in[0], /*tanh_approximation=*/true); }},
      {"silu", [](const Inputs& in) { return silu(in[0]); }},
      {"sigmoid", [](const Inputs& in) { return sigmoid(in[0]); }},
      {"tanh", [](const Inputs& in) { return tanh(in[0]); }},
      {"relu", [](const Inputs& in) { return relu(in[0]); }},
      {"exp", [](const Inputs& in) { return exp(in[0]); }},
      {"log", [](const Inputs& in) { return log(in[0]); }},
      {"sqrt", [](const Inputs& in) { return sqrt(in[0]); }},
      {"rsqrt", [](const Inputs& in) { return rsqrt(in[0]); }},
      {"abs", [](const Inputs& in) { return abs(in[0]); }},
      {"square_neg", [](const Inputs& in) { return neg(square(in[0])); }},
      {"clamp", [](const Inputs& in) { return clamp(in[0], -0.5, 0.7); }},
      // Softmax family and reductions.
      {"softmax_last_dim", [](const Inputs& in) { return softmax(in[0], -1); }},
      {"softmax_middle_dim", [](const Inputs& in) { return softmax(in[0], 1); }},
      {"log_softmax_last_dim", [](const Inputs& in) { return log_softmax(in[0], -1); }},
      {"log_softmax_first_dim", [](const Inputs& in) { return log_softmax(in[0], 0); }},
      {"logsumexp_dim", [](const Inputs& in) { return logsumexp(in[0], {1}); }},
      {"logsumexp_dims_keepdim", [](const Inputs& in) { return logsumexp(in[0], {0, 2}, true); }},
      {"var_unbiased_dim", [](const Inputs& in) { return var(in[0], {1}); }},
      {"var_correction0_dims_keepdim",
       [](const Inputs& in) { return var(in[0], {0, 2}, /*correction=*/0, true); }},
      {"var_all", [](const Inputs& in) { return var(in[0]); }},
      {"sum_dims_keepdim", [](const Inputs& in) { return sum(in[0], {0, 2}, true); }},
      {"sum_all", [](const Inputs& in) { return sum(in[0]); }},
      {"mean_dims_keepdim", [](const Inputs& in) { return mean(in[0], {1, 2}, true); }},
      {"mean_dim_negative", [](const Inputs& in) { return mean(in[0], {-1}); }},
      {"max_dim_values", [](const Inputs& in) { return max(in[0], 1).first; }},
      {"max_dim_values_keepdim", [](const Inputs& in) { return max(in[0], 1, true).first; }},
      {"min_dim_values", [](const Inputs& in) { return min(in[0], 0).first; }},
      {"max_dim_indices", [](const Inputs& in) { return max(in[0], 1).second; }},
      {"max_all", [](const Inputs& in) { return max(in[0]); }},
      {"cumsum_dim1", [](const Inputs& in) { return cumsum(in[0], 1); }},
      {"cumsum_dim0", [](const Inputs& in) { return cumsum(in[0], 0); }},
      {"topk_values", [](const Inputs& in) { return topk(in[0], 2, -1).first; }},
      {"topk_smallest_dim0",
       [](const Inputs& in) { return topk(in[0], 3, 0, /*largest=*/false).first; }},
      {"sort_descending_values",
       [](const Inputs& in) { return sort(in[0], -1, /*descending=*/true).first; }},
      // Indexing and masking.
      {"gather_dim1", [](const Inputs& in) { return gather(in[0], 1, in[1]); }},
      {"gather_dim0", [](const Inputs& in) { return gather(in[0], 0, in[1]); }},
      {"embedding", [](const Inputs& in) { return embedding(in[0], in[1]); }},
      {"index_select", [](const Inputs& in) { return index_select(in[0], 0, in[1]); }},
      {"scatter_add", [](const Inputs& in) { return scatter_add(in[0], 1, in[1], in[2]); }},
      {"index_add", [](const Inputs& in) { return index_add(in[0], 0, in[1], in[2]); }},
      {"where_broadcast", [](const Inputs& in) { return where(in[0], in[1], in[2]); }},
      {"masked_fill_broadcast", [](const Inputs& in) { return masked_fill(in[0], in[1], -1.5); }},
      {"triu_diagonal1", [](const Inputs& in) { return triu(in[0], 1); }},
      {"triu_batched", [](const Inputs& in) { return triu(in[0]); }},
      {"tril_negative_diagonal", [](const Inputs& in) { return tril(in[0], -1); }},
      // Shapes and views.
      {"cat_dim0", [](const Inputs& in) { return cat({in[0], in[1], in[2]}, 0); }},
      {"cat_dim1", [](const Inputs& in) { return cat({in[0], in[1]}, 1); }},
      {"stack_dim1", [](const Inputs& in) { return stack({in[0], in[1]}, 1); }},
      {"permute_reshape",
       [](const Inputs& in) { return reshape(permute(in[0], {2, 0, 1}), {4, 6}) * 2.0; }},
      {"transpose_then_add", [](const Inputs& in) { return transpose(in[0], 0, 1) + in[1]; }},
      // x[1:4, ::2][:, 1] * x[0, 5]
      {"slice_step_select",
       [](const Inputs& in) {
         const Tensor rows = slice(slice(in[0], 0, 1, 4), 1, 0, 6, 2);
         return select(rows, 1, 1) * select(select(in[0], 0, 0), 0, 5);
       }},
      {"narrow_expand", [](const Inputs& in) { return expand(narrow(in[0], 0, 1, 2), {2, 4}) * 1.0; }},
      {"squeeze_unsqueeze",
       [](const Inputs& in) { return pow(unsqueeze(squeeze(in[0], 1), 0), 2.0); }},
      {"split_chunk",
       [](const Inputs& in) { return sum(split(in[0], 2, 0)[2]) * chunk(in[0], 2, 1)[1]; }},
      // Compositions that models use.
      {"layer_norm_composition", [](const Inputs& in) { return layer_norm(in[0], in[1], in[2]); }},
      {"cross_entropy_composition", [](const Inputs& in) { return cross_entropy(in[0], in[1]); }},
      {"causal_attention_composition",
       [](const Inputs& in) { return causal_attention(in[0], in[1], in[2]); }},
      // Fused ops.
      {"layer_norm_fused", [](const Inputs& in) { return bytegrad::layer_norm(in[0], in[1], in[2], 1e-5); }},
      {"causal_attention_fused", [](const Inputs& in) { return fused_causal_attention(in[0], in[1], in[2]); }},
      {"causal_attention_fused_grouped",
       [](const Inputs& in) { return fused_causal_attention(in[0], in[1], in[2]); }},
      // Forward-only float32.
      {"f32_matmul_batched", [](const Inputs& in) { return matmul(in[0], in[1]); }},
      {"f32_softmax", [](const Inputs& in) { return softmax(in[0], -1); }},
      {"f32_log_softmax", [](const Inputs& in) { return log_softmax(in[0], -1); }},
      {"f32_gelu_exact", [](const Inputs& in) { return gelu(in[0]); }},
      {"f32_gelu_tanh", [](const Inputs& in) { return gelu(in[0], true); }},
      {"f32_layer_norm", [](const Inputs& in) { return layer_norm(in[0], in[1], in[2]); }},
      {"f32_layer_norm_fused", [](const Inputs& in) { return bytegrad::layer_norm(in[0], in[1], in[2], 1e-5); }},
      {"f32_causal_attention_fused",
       [](const Inputs& in) { return fused_causal_attention(in[0], in[1], in[2]); }},
  };
  return table;
}

bool torch_available() {
  const std::string probe = std::string(kPython) + " -c \"import torch\" > /dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

// Runs the reference script once per process and parses its output; empty when torch is absent.
const std::optional<nlohmann::json>& reference() {
  static const std::optional<nlohmann::json> loaded = []() -> std::optional<nlohmann::json> {
    if (!torch_available()) return std::nullopt;
    const std::string script = BYTEGRAD_SOURCE_DIR "/tests/reference/torch_reference.py";
    const std::string output = BYTEGRAD_BINARY_DIR "/torch_reference.json";
    const std::string command = std::string(kPython) + " '" + script + "' '" + output + "'";
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("torch reference script failed: " + command);
    std::ifstream in(output);
    if (!in) throw std::runtime_error("cannot read torch reference output " + output);
    return nlohmann::json::parse(in);
  }();
  return loaded;
}

Shape shape_of(const nlohmann::json& entry) { return entry.at("shape").get<Shape>(); }

Tensor make_input(const nlohmann::json& entry, DType float_dtype, Device device) {
  const std::string kind = entry.at("kind");
  const Shape shape = shape_of(entry);
  if (kind == "int")
    return from_vector(entry.at("data").get<std::vector<int64_t>>(), shape, TensorOptions{kInt64, device});
  if (kind == "bool") {
    std::vector<double> flags;  // via double: std::vector<bool> is bit-packed
    for (const nlohmann::json& flag : entry.at("data")) flags.push_back(flag.get<bool>() ? 1.0 : 0.0);
    return from_vector(flags, shape, TensorOptions{kBool, device});
  }
  // float64 values are exact in JSON (shortest round-trip repr); float32 cases were rounded to
  // float32 by the script, so the conversion here is exact too.
  Tensor tensor = from_vector(entry.at("data").get<std::vector<double>>(), shape,
                              TensorOptions{float_dtype, device});
  if (entry.at("requires_grad").get<bool>()) tensor.set_requires_grad();
  return tensor;
}

std::string shape_text(const Shape& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

// The multi-dimensional index of flat position `flat` in a row-major tensor of `shape`.
std::string index_text(const Shape& shape, size_t flat) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = int64_t(flat) % shape[d];
    flat /= size_t(shape[d]);
  }
  return shape_text(index);
}

// All 17 significant digits, so near-misses at float64 precision are visible.
std::string exact(double value) {
  std::ostringstream out;
  out << std::setprecision(17) << value;
  return out.str();
}

struct Tolerance {
  double relative;
  double absolute;
};

// Compares `actual` with the torch values; on mismatch the message names the case, what was
// compared, and the element that exceeds the tolerance by the largest factor.
void check_close(const std::string& what, const Tensor& actual, const nlohmann::json& expected,
                 Tolerance tolerance) {
  const Shape expected_shape = shape_of(expected);
  if (actual.shape() != expected_shape) {
    FAIL_CHECK(what << ": shape " << shape_text(actual.shape()) << ", torch has "
                    << shape_text(expected_shape));
    return;
  }
  const std::vector<double> got = actual.to_vector<double>();
  const std::vector<double> want = expected.at("data").get<std::vector<double>>();
  double worst_ratio = 0;
  size_t worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double allowed = tolerance.absolute + tolerance.relative * std::abs(want[i]);
    const double error = std::abs(got[i] - want[i]);
    // NaN fails: a NaN error compares false with everything, so count it as infinitely bad.
    const double ratio = std::isnan(error) ? std::numeric_limits<double>::infinity() : error / allowed;
    if (ratio > worst_ratio) worst_ratio = ratio, worst = i;
  }
  CHECK_MESSAGE(worst_ratio <= 1.0, what << ": worst element " << index_text(expected_shape, worst)
                                         << " got " << exact(got[worst]) << ", torch "
                                         << exact(want[worst]) << " (|diff| "
                                         << exact(std::abs(got[worst] - want[worst]))
                                         << ", " << worst_ratio << "x the tolerance)");
}

void check_case(const nlohmann::json& reference_case, Device device) {
  const std::string name = reference_case.at("name");
  const bool is_float64 = reference_case.at("dtype") == "float64";
  // float64 must agree to rounding. float32 kernels may sum in another order than torch's, so
  // their error scales with the tensor's magnitude: relative 1e-5, absolute 1e-5 of the largest
  // expected value.
  Tolerance tolerance{1e-9, 1e-9};
  if (!is_float64) {
    double largest = 0;
    for (double v : reference_case.at("output").at("data").get<std::vector<double>>())
      largest = std::max(largest, std::abs(v));
    tolerance = {1e-5, 1e-5 * largest};
  }

  const auto found = computations().find(name);
  if (found == computations().end()) {
    FAIL_CHECK("torch reference case " << name << " has no bytegrad computation");
    return;
  }
  Inputs inputs;
  for (const nlohmann::json& entry : reference_case.at("inputs"))
    inputs.push_back(make_input(entry, is_float64 ? kFloat64 : kFloat32, device));

  const Tensor output = found->second(inputs);
  check_close(name + " output", output, reference_case.at("output"), tolerance);

  const nlohmann::json& grads = reference_case.at("grads");
  if (grads.empty()) return;
  const Tensor weight = from_vector(reference_case.at("weight").at("data").get<std::vector<double>>(),
                                    shape_of(reference_case.at("weight")), TensorOptions{kFloat64, device});
  backward(sum(mul(output, weight)));
  for (const nlohmann::json& grad : grads) {
    const int64_t index = grad.at("input");
    const std::string what = name + " grad of input " + std::to_string(index);
    const Tensor actual = inputs[size_t(index)].grad();
    if (!actual.defined()) {
      FAIL_CHECK(what << ": bytegrad computed no gradient");
      continue;
    }
    check_close(what, actual, grad, tolerance);
  }
}

TEST_CASE("torch parity: outputs and gradients of differentiable ops match PyTorch") {
  const std::optional<nlohmann::json>& loaded = reference();
  if (!loaded) {
    MESSAGE("skipping torch parity: " << kPython
                                      << " cannot import torch (install Debian's python3-torch)");
    return;
  }
  const nlohmann::json& cases = loaded->at("cases");
  REQUIRE(cases.size() == computations().size());
  testing::for_each_device([&](Device device) {
    for (const nlohmann::json& reference_case : cases) {
      const std::string name = reference_case.at("name");
      SUBCASE(name.c_str()) {
        try {
          check_case(reference_case, device);
        } catch (const kernels::NotYetImplemented& missing) {
          // Reported, not failed, except on the CPU, which implements every method.
          if (device.is_cpu()) FAIL_CHECK(name << " on " << device << " threw: " << std::string(missing.what()));
          std::printf("skipped: %s (torch parity case \"%s\")\n", missing.what(), name.c_str());
        } catch (const std::exception& error) {
          FAIL_CHECK(name << " on " << device << " threw: " << std::string(error.what()));
        }
      }
    }
  });
}

}  // namespace
}  // namespace bytegrad
