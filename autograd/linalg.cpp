// Gradient of the matrix product: for C = A @ B, dA = dC @ B^T and dB = A^T @ dC, summed over
// any batch dimensions that were broadcast.
#include "autograd/functions.h"
#include "autograd/node.h"

namespace bytegrad {

Tensor matmul(const Tensor& a, const Tensor& b) {
  // Vectors become matrices through differentiable views, so the node below sees only
  // matrices (and batches of them).
  if (a.dim() == 1 || b.dim() == 1) {
    BYTEGRAD_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least one dimension, got ",
          shape_str(a.shape()), " and ", shape_str(b.shape()));
    const Tensor product = matmul(a.dim() == 1 ? unsqueeze(a, 0) : a, b.dim() == 1 ? unsqueeze(b, 1) : b);
    Tensor out = b.dim() == 1 ? squeeze(product, -1) : product;
    return a.dim() == 1 ? squeeze(out, b.dim() == 1 ? -1 : -2) : out;
  }
  // A stack of rows times one matrix (a linear layer over [B, T, in]) is one GEMM over all
  // B * T rows: one large product runs faster than B smaller ones, and the weight's gradient
  // then comes out of one product with the rows as its inner dimension instead of B products
  // summed afterwards.
  if (a.dim() > 2 && b.dim() == 2 && a.is_contiguous() && a.size(-1) == b.size(0)) {
    Shape out_shape(a.shape().begin(), a.shape().end() - 1);
    out_shape.push_back(b.size(1));
    return reshape(matmul(reshape(a, {-1, a.size(-1)}), b), out_shape);
  }
  Tensor out = ops::matmul(a, b);
  if (!should_record({a, b})) return out;
  return record("matmul", out, {a, b},
                [a = a.detach(), b = b.detach()](const Tensor& g, const Needs& need) {
                  Tensor grad_a, grad_b;
                  if (need[0]) grad_a = sum_to(ops::matmul(g, ops::transpose(b, -1, -2)), a.shape());
                  if (need[1]) grad_b = sum_to(ops::matmul(ops::transpose(a, -1, -2), g), b.shape());
                  return std::vector<Tensor>{grad_a, grad_b};
                });
}

}  // namespace bytegrad
