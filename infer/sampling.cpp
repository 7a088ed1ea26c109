#include "infer/sampling.h"

#include <limits>
#include <vector>

#include "autograd/operators.h"

namespace bytegrad::infer {
namespace {

void check_rows(const char* op, const Tensor& x) {
  BYTEGRAD_CHECK(x.dim() == 2 && is_floating(x.dtype()) && x.size(1) > 0, op, ": expected floating point [B, V] with V > 0, got ",
                 shape_str(x.shape()), " (", x.dtype(), ")");
}

}  // namespace

void SamplingOptions::validate() const {
  BYTEGRAD_CHECK(temperature >= 0, "sampling: temperature must be >= 0, got ", temperature);
  BYTEGRAD_CHECK(top_p > 0 && top_p <= 1, "sampling: top_p must be in (0, 1], got ", top_p);
  BYTEGRAD_CHECK(top_k >= 0, "sampling: top_k must be >= 0, got ", top_k);
}

Tensor keep_top_k(const Tensor& logits, int64_t k) {
  check_rows("keep_top_k", logits);
  if (k <= 0 || k >= logits.size(1)) return logits;
  const Tensor kth_largest = narrow(topk(logits, k, -1).first, 1, k - 1, 1);  // [B, 1]
  return masked_fill(logits, lt(logits, kth_largest), -std::numeric_limits<double>::infinity());
}

std::pair<Tensor, Tensor> top_p_nucleus(const Tensor& probs, double p) {
  check_rows("top_p_nucleus", probs);
  auto [sorted, token_ids] = sort(probs, -1, /*descending=*/true);
  // The mass of the more likely tokens before each one; once it exceeds p the nucleus is full.
  const Tensor mass_before = cumsum(sorted, -1) - sorted;
  const Tensor kept = masked_fill(sorted, gt(mass_before, p), 0.0);
  return {kept / sum(kept, {-1}, /*keepdim=*/true), token_ids};
}

Tensor sample_from(const Tensor& probs, Generator& generator) {
  check_rows("sample_from", probs);
  const int64_t rows = probs.size(0), vocab = probs.size(1);
  const std::vector<double> weights = probs.to_vector<double>();
  const std::vector<double> uniforms = rand({rows}, {kFloat64, kCPU}, &generator).to_vector<double>();
  std::vector<int64_t> chosen(size_t(rows), 0);
  for (int64_t b = 0; b < rows; ++b) {
    const double* row = weights.data() + b * vocab;
    double total = 0;
    for (int64_t v = 0; v < vocab; ++v) total += row[v];
    BYTEGRAD_CHECK(total > 0, "sample_from: row ", b, " has no probability mass");
    // Inverse transform: the first token whose running mass passes u * total. The last token
    // with positive mass catches a target that rounding pushes to the very end.
    const double target = uniforms[size_t(b)] * total;
    double running = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      if (row[v] <= 0) continue;
      chosen[size_t(b)] = v;
      running += row[v];
      if (running > target) break;
    }
  }
  return from_vector(chosen, {rows});
}

Tensor next_tokens(const Tensor& logits, const SamplingOptions& options, Generator& generator) {
  check_rows("next_tokens", logits);
  options.validate();
  if (options.temperature == 0) return argmax(logits, -1);
  const Tensor probs = softmax(keep_top_k(logits / options.temperature, options.top_k), -1);
  if (options.top_p >= 1) return sample_from(probs, generator);
  const auto [nucleus, token_ids] = top_p_nucleus(probs, options.top_p);
  const Tensor picked = reshape(sample_from(nucleus, generator), {-1, 1});  // [B, 1]
  return reshape(gather(token_ids, 1, picked), {-1});
}

}  // namespace bytegrad::infer
