#include "kernels/cpu/cached_attention.h"

#include <Eigen/Core>
#include <cmath>

#include "kernels/cpu/gemv.h"

namespace bytegrad::kernels::cpu {
namespace {

using RowMajor = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
using ConstVector = Eigen::Map<const Eigen::VectorXf>;
using Vector = Eigen::Map<Eigen::VectorXf>;

// One query head against its key/value head's `length` cached rows of `dim`.
void attend(const float* q, const float* k, const float* v, int64_t dim, int64_t length, float* scores,
            float* out) {
  Vector s(scores, length);
  s.noalias() = RowMajor(k, length, dim) * ConstVector(q, dim);  // q . k_t for every t
  s *= 1.0f / std::sqrt(float(dim));
  // Softmax with the maximum subtracted first, so that exp cannot overflow.
  s = (s.array() - s.maxCoeff()).exp();
  s /= s.sum();
  Vector(out, dim).noalias() = RowMajor(v, length, dim).transpose() * s;  // sum_t p_t v_t
}

}  // namespace

void cached_attention(const float* q, const float* keys, const float* values, int64_t heads,
                      int64_t kv_heads, int64_t dim, int64_t capacity, int64_t length,
                      float* scores, float* out) {
  const int64_t group = heads / kv_heads;
  share_ranges(heads, 2 * heads * length * dim, [&](int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; ++h) {
      const int64_t g = h / group;
      attend(q + h * dim, keys + g * capacity * dim, values + g * capacity * dim, dim, length,
             scores + h * length, out + h * dim);
    }
  });
}

}  // namespace bytegrad::kernels::cpu
