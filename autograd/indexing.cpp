// Gradients of index-driven ops: gathering reads become scatter-adds of the gradient, and
// scatter-adds become gathers.
#include <unordered_map>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "autograd/operators.h"

namespace bytegrad {
namespace {

// grad[.., index[j], ..] += rows[.., j, ..] along `dim`, in place. Rows of a repeated index are
// summed first, so that each touched slice of `grad` receives one sum: the result rounds exactly
// as adding a dense gradient (zeros plus the rows) to `grad` would.
void add_selected_rows(const Tensor& grad, int64_t dim, const Tensor& index, const Tensor& rows) {
  const int64_t size = grad.shape()[size_t(dim)];
  const std::vector<int64_t> ids = ops::to(ops::to(index, kCPU), DType::Int64).to_vector<int64_t>();
  std::vector<int64_t> distinct, slot_of_row;  // distinct ids by first use; each row's slot in them
  std::unordered_map<int64_t, int64_t> slot_of_id;
  for (int64_t id : ids) {
    if (id < 0) id += size;  // as index_select read it
    const auto [it, first_use] = slot_of_id.try_emplace(id, int64_t(distinct.size()));
    if (first_use) distinct.push_back(id);
    slot_of_row.push_back(it->second);
  }
  if (distinct.size() == ids.size()) {
    ops::index_add_(grad, dim, index, rows);
    return;
  }
  Shape summed_shape = grad.shape();
  summed_shape[size_t(dim)] = int64_t(distinct.size());
  const Device device = grad.device();
  const Tensor summed = zeros(summed_shape, {grad.dtype(), device});
  ops::index_add_(summed, dim, ops::to(from_vector(slot_of_row), device), rows);
  ops::index_add_(grad, dim, ops::to(from_vector(distinct), device), summed);
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor out = ops::gather(x, dim, index);
  if (!should_record({x})) return out;
  return record("gather", out, {x}, [dim, index, x = x.detach()](const Tensor& g, const Needs&) {
    return std::vector<Tensor>{ops::scatter_add(zeros_like(x), dim, index, g)};
  });
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor out = ops::index_select(x, dim, index);
  if (!should_record({x})) return out;
  dim = wrap_dim(dim, x.dim(), "index_select");
  return record_sparse("index_select", out, x, [dim, index](const Tensor& g, const Tensor& grad) {
    add_selected_rows(grad, dim, index, g);
  });
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = ops::scatter_add(x, dim, index, src);
  if (!should_record({x, src})) return out;
  return record("scatter_add", out, {x, src}, [dim, index](const Tensor& g, const Needs& need) {
    return std::vector<Tensor>{need[0] ? g : Tensor(), need[1] ? ops::gather(g, dim, index) : Tensor()};
  });
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = ops::index_add(x, dim, index, src);
  if (!should_record({x, src})) return out;
  return record("index_add", out, {x, src}, [dim, index](const Tensor& g, const Needs& need) {
    return std::vector<Tensor>{need[0] ? g : Tensor(), need[1] ? ops::index_select(g, dim, index) : Tensor()};
  });
}

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  BYTEGRAD_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, dim], got shape ",
        shape_str(weight.shape()));
  Shape shape = ids.shape();
  shape.push_back(weight.size(1));
  return reshape(index_select(weight, 0, ops::reshape(ids, {-1})), shape);
}

Tensor triu(const Tensor& x, int64_t diagonal) {
  Tensor out = ops::triangle(x, diagonal, true);
  if (!should_record({x})) return out;
  return record("triu", out, {x}, [diagonal](const Tensor& g, const Needs&) {
    return std::vector<Tensor>{ops::triangle(g, diagonal, true)};
  });
}

Tensor tril(const Tensor& x, int64_t diagonal) {
  Tensor out = ops::triangle(x, diagonal, false);
  if (!should_record({x})) return out;
  return record("tril", out, {x}, [diagonal](const Tensor& g, const Needs&) {
    return std::vector<Tensor>{ops::triangle(g, diagonal, false)};
  });
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  Tensor out = ops::cumsum(x, dim);
  if (!should_record({x})) return out;
  return record("cumsum", out, {x}, [dim](const Tensor& g, const Needs&) {
    // Each input feeds every later output: the gradient is the reversed cumulative sum,
    // total - cumsum(g) + g.
    const Tensor total = sum(g, {dim}, /*keepdim=*/true);
    return std::vector<Tensor>{total - ops::cumsum(g, dim) + g};
  });
}

namespace {

// Sorted or top-k values are a selection of x: their gradient scatters back to the source indices.
std::pair<Tensor, Tensor> record_selection(const char* name, std::pair<Tensor, Tensor> result,
                                           const Tensor& x, int64_t dim) {
  if (!should_record({x})) return result;
  auto& [values, indices] = result;
  values = record(name, values, {x}, [dim, indices = indices, x = x.detach()](const Tensor& g, const Needs&) {
    if (x.dim() == 0) return std::vector<Tensor>{g};
    return std::vector<Tensor>{ops::scatter_add(zeros_like(x), dim, indices, g)};
  });
  return result;
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  return record_selection("sort", ops::sort(x, dim, descending), x, dim);
}

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  return record_selection("topk", ops::topk(x, k, dim, largest), x, dim);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  BYTEGRAD_CHECK(num_classes > 0, "one_hot: num_classes must be positive, got ", num_classes);
  BYTEGRAD_CHECK(is_integral(indices.dtype()) && indices.dtype() != DType::Bool,
        "one_hot: indices must be an integer tensor, got ", indices.dtype());
  const Tensor classes = arange(num_classes, {DType::Int64, indices.device()});
  const Tensor idx = ops::to(indices, DType::Int64);
  if (idx.numel() > 0) {
    const int64_t low = ops::reduce(ops::ReduceOp::Min, idx, {}, false).item<int64_t>();
    const int64_t high = ops::reduce(ops::ReduceOp::Max, idx, {}, false).item<int64_t>();
    BYTEGRAD_CHECK(low >= 0 && high < num_classes, "one_hot: class values must lie in [0, ", num_classes,
          "), found ", low < 0 ? low : high);
  }
  return ops::to(eq(ops::unsqueeze(idx, -1), classes), DType::Int64);
}

}  // namespace bytegrad
