// Gradients of reductions and softmax. A reduced gradient is broadcast back over the dims it
// was reduced from.
#include <cmath>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "autograd/operators.h"

namespace bytegrad {

using ops::ReduceOp;

namespace {

// The shape a keepdim=false result would have with its reduced dims restored as size 1.
Shape keepdim_shape(const Shape& input, const std::vector<int64_t>& dims) {
  Shape shape = input;
  if (dims.empty()) {
    std::fill(shape.begin(), shape.end(), 1);
    return shape;
  }
  for (int64_t d : dims) shape[size_t(wrap_dim(d, int64_t(input.size()), "reduce"))] = 1;
  return shape;
}

// Broadcasts a reduced gradient (keepdim or not) back to the input's shape.
Tensor expand_back(const Tensor& g, const Shape& input, const std::vector<int64_t>& dims) {
  return ops::expand(ops::reshape(g, keepdim_shape(input, dims)), input);
}

int64_t reduced_count(const Shape& input, const std::vector<int64_t>& dims) {
  if (dims.empty()) return numel_of(input);
  int64_t count = 1;
  for (int64_t d : dims) count *= input[size_t(wrap_dim(d, int64_t(input.size()), "reduce"))];
  return count;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor out = ops::reduce(ReduceOp::Sum, x, dims, keepdim);
  if (!should_record({x})) return out;
  return record("sum", out, {x}, [dims, shape = x.shape()](const Tensor& g, const Needs&) {
    return std::vector<Tensor>{expand_back(g, shape, dims)};
  });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor out = ops::reduce(ReduceOp::Mean, x, dims, keepdim);
  if (!should_record({x})) return out;
  return record("mean", out, {x}, [dims, shape = x.shape()](const Tensor& g, const Needs&) {
    const double scale = 1.0 / double(std::max<int64_t>(reduced_count(shape, dims), 1));
    return std::vector<Tensor>{expand_back(g * scale, shape, dims)};
  });
}

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, int64_t correction, bool keepdim) {
  ops::check_floating("var", x);
  const int64_t count = reduced_count(x.shape(), dims);
  const Tensor centered = x - mean(x, dims, /*keepdim=*/true);
  const double denominator = double(std::max<int64_t>(count - correction, 0));
  return div(sum(square(centered), dims, keepdim), denominator);
}

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor out = ops::reduce(ReduceOp::LogSumExp, x, dims, keepdim);
  if (!should_record({x})) return out;
  return record("logsumexp", out, {x},
                [dims, x = x.detach(), out = out.detach()](const Tensor& g, const Needs&) {
                  // d/dx log sum exp(x) = softmax(x) = exp(x - lse)
                  const Shape& shape = x.shape();
                  return std::vector<Tensor>{expand_back(g, shape, dims) *
                                             exp(x - expand_back(out, shape, dims))};
                });
}

namespace {

// Max/min over all elements: the gradient is shared by the elements equal to the result.
Tensor extreme_of_all(ReduceOp op, const char* name, const Tensor& x) {
  Tensor out = ops::reduce(op, x, {}, false);
  if (!should_record({x})) return out;
  return record(name, out, {x}, [x = x.detach(), out = out.detach()](const Tensor& g, const Needs&) {
    const Tensor hits = ops::to(eq(x, out), x.dtype());
    return std::vector<Tensor>{hits * (g / sum(hits))};
  });
}

// Max/min over one dim: the gradient goes to the index that was picked.
std::pair<Tensor, Tensor> extreme_along(ReduceOp op, const char* name, const Tensor& x,
                                        int64_t dim, bool keepdim) {
  auto [values, indices] = ops::reduce_with_indices(op, x, dim, keepdim);
  if (!should_record({x})) return {values, indices};
  const int64_t wrapped = wrap_dim(dim, x.dim(), name);
  values = record(name, values, {x},
                  [wrapped, keepdim, x = x.detach(), indices = indices](const Tensor& g, const Needs&) {
                    if (x.dim() == 0) return std::vector<Tensor>{g};
                    const Tensor idx = keepdim ? indices : ops::unsqueeze(indices, wrapped);
                    const Tensor grad = keepdim ? g : ops::unsqueeze(g, wrapped);
                    return std::vector<Tensor>{ops::scatter_add(zeros_like(x), wrapped, idx, grad)};
                  });
  return {values, indices};
}

}  // namespace

Tensor max(const Tensor& x) { return extreme_of_all(ReduceOp::Max, "max", x); }
Tensor min(const Tensor& x) { return extreme_of_all(ReduceOp::Min, "min", x); }

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along(ReduceOp::Max, "max", x, dim, keepdim);
}

std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along(ReduceOp::Min, "min", x, dim, keepdim);
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return ops::reduce(ReduceOp::ArgMax, x, {dim}, keepdim);
}

Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return ops::reduce(ReduceOp::ArgMin, x, {dim}, keepdim);
}

Tensor argmax(const Tensor& x) { return ops::reduce(ReduceOp::ArgMax, x, {}, false); }

namespace {

Tensor softmax_op(const char* name, const Tensor& x, int64_t dim, bool log) {
  Tensor y = ops::softmax(x, dim, log);
  if (!should_record({x})) return y;
  return record(name, y, {x}, [dim, log, y = y.detach()](const Tensor& g, const Needs&) {
    return std::vector<Tensor>{ops::softmax_backward(y, g, dim, log)};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_op("softmax", x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_op("log_softmax", x, dim, true); }

}  // namespace bytegrad
