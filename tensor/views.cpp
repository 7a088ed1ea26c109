#include "tensor/views.h"

#include <algorithm>

#include "kernels/backend.h"
#include "tensor/creation.h"

namespace bytegrad::ops {
namespace {

Tensor restride(const Tensor& x, Shape shape, Strides strides, int64_t offset) {
  Tensor out(x.storage(), std::move(shape), std::move(strides), offset, x.dtype());
  return out;
}

Shape infer_shape(const Tensor& x, Shape shape, const char* op) {
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      BYTEGRAD_CHECK(inferred < 0, op, ": only one dimension can be -1 in ", shape_str(shape));
      inferred = int64_t(i);
    } else {
      BYTEGRAD_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (inferred >= 0) {
    BYTEGRAD_CHECK(known != 0 && x.numel() % known == 0, op, ": cannot infer -1 in ", shape_str(shape),
          " for ", x.numel(), " elements of shape ", shape_str(x.shape()));
    shape[size_t(inferred)] = x.numel() / known;
  }
  BYTEGRAD_CHECK(numel_of(shape) == x.numel(), op, ": shape ", shape_str(shape), " (", numel_of(shape),
        " elements) does not match input shape ", shape_str(x.shape()), " (", x.numel(),
        " elements)");
  return shape;
}

// Strides that lay `shape` over x's memory without copying, if any exist: each run of input
// dimensions that is contiguous in memory may be split or merged freely.
bool view_strides(const Tensor& x, const Shape& shape, Strides& out) {
  const Shape& old_shape = x.shape();
  const Strides& old_strides = x.strides();
  out.assign(shape.size(), 0);
  if (x.numel() == 0 || x.dim() == 0) {
    out = contiguous_strides(shape);
    return true;
  }
  int64_t view_d = int64_t(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = int64_t(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[size_t(d)];
    // End of a contiguous chunk: the next (outer) dim does not continue this one in memory.
    if (d == 0 || (old_shape[size_t(d - 1)] != 1 &&
                   old_strides[size_t(d - 1)] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[size_t(view_d)] == 1)) {
        out[size_t(view_d)] = view_numel * chunk_base_stride;
        view_numel *= shape[size_t(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[size_t(d - 1)];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor view(const Tensor& x, Shape shape) {
  shape = infer_shape(x, std::move(shape), "view");
  Strides strides;
  BYTEGRAD_CHECK(view_strides(x, shape, strides), "view: shape ", shape_str(shape),
        " cannot view a tensor of shape ", shape_str(x.shape()), " with strides ",
        shape_str(x.strides()), "; use reshape (which copies) or contiguous() first");
  return restride(x, std::move(shape), std::move(strides), x.offset());
}

Tensor reshape(const Tensor& x, Shape shape) {
  shape = infer_shape(x, std::move(shape), "reshape");
  Strides strides;
  if (view_strides(x, shape, strides)) return restride(x, std::move(shape), std::move(strides), x.offset());
  return view(contiguous(x), std::move(shape));
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  start_dim = wrap_dim(start_dim, x.dim(), "flatten");
  end_dim = wrap_dim(end_dim, x.dim(), "flatten");
  BYTEGRAD_CHECK(start_dim <= end_dim, "flatten: start_dim ", start_dim, " is after end_dim ", end_dim);
  Shape shape(x.shape().begin(), x.shape().begin() + start_dim);
  int64_t merged = 1;
  for (int64_t d = start_dim; d <= end_dim; ++d) merged *= x.shape()[size_t(d)];
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + end_dim + 1, x.shape().end());
  return reshape(x, std::move(shape));
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  dim0 = wrap_dim(dim0, x.dim(), "transpose");
  dim1 = wrap_dim(dim1, x.dim(), "transpose");
  if (x.dim() == 0) return x.detach();
  Shape shape = x.shape();
  Strides strides = x.strides();
  std::swap(shape[size_t(dim0)], shape[size_t(dim1)]);
  std::swap(strides[size_t(dim0)], strides[size_t(dim1)]);
  return restride(x, std::move(shape), std::move(strides), x.offset());
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  BYTEGRAD_CHECK(int64_t(dims.size()) == x.dim(), "permute: ", dims.size(), " dims given for a tensor of ",
        x.dim(), " dimensions (shape ", shape_str(x.shape()), ")");
  Shape shape(dims.size());
  Strides strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    BYTEGRAD_CHECK(!seen[size_t(d)], "permute: dim ", d, " appears twice in ", shape_str(dims));
    seen[size_t(d)] = true;
    shape[i] = x.shape()[size_t(d)];
    strides[i] = x.strides()[size_t(d)];
  }
  return restride(x, std::move(shape), std::move(strides), x.offset());
}

Tensor movedim(const Tensor& x, int64_t source, int64_t destination) {
  source = wrap_dim(source, x.dim(), "movedim");
  destination = wrap_dim(destination, x.dim(), "movedim");
  std::vector<int64_t> order;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != source) order.push_back(d);
  order.insert(order.begin() + destination, source);
  return permute(x, order);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  dim = wrap_dim(dim, x.dim(), "narrow");
  const int64_t size = x.shape()[size_t(dim)];
  if (start < 0) start += size;
  BYTEGRAD_CHECK(start >= 0 && length >= 0 && start + length <= size, "narrow: range [", start, ", ",
        start + length, ") is outside dim ", dim, " of size ", size, " (shape ",
        shape_str(x.shape()), ")");
  Shape shape = x.shape();
  shape[size_t(dim)] = length;
  return restride(x, std::move(shape), x.strides(), x.offset() + start * x.strides()[size_t(dim)]);
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  dim = wrap_dim(dim, x.dim(), "slice");
  BYTEGRAD_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t size = x.shape()[size_t(dim)];
  auto clamp_index = [size](int64_t i) {
    if (i < 0) i += size;
    return std::clamp<int64_t>(i, 0, size);
  };
  start = clamp_index(start);
  end = std::max(clamp_index(end), start);
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape[size_t(dim)] = (end - start + step - 1) / step;
  strides[size_t(dim)] *= step;
  return restride(x, std::move(shape), std::move(strides),
                  x.offset() + start * x.strides()[size_t(dim)]);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  dim = wrap_dim(dim, x.dim(), "select");
  const int64_t size = x.shape()[size_t(dim)];
  BYTEGRAD_CHECK(index >= -size && index < size, "select: index ", index, " is out of range for dim ",
        dim, " of size ", size);
  if (index < 0) index += size;
  return squeeze(narrow(x, dim, index, 1), dim);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  BYTEGRAD_CHECK(shape.size() >= size_t(x.dim()), "expand: cannot expand shape ", shape_str(x.shape()),
        " to fewer dimensions ", shape_str(shape));
  const size_t lead = shape.size() - size_t(x.dim());
  Shape out_shape(shape.size());
  Strides strides(shape.size(), 0);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d < lead) {
      BYTEGRAD_CHECK(shape[d] >= 0, "expand: invalid size ", shape[d], " in ", shape_str(shape));
      out_shape[d] = shape[d];
      continue;
    }
    const int64_t have = x.shape()[d - lead];
    const int64_t want = shape[d] == -1 ? have : shape[d];
    BYTEGRAD_CHECK(have == want || have == 1, "expand: shape ", shape_str(x.shape()),
          " cannot expand to ", shape_str(shape), " (dimension ", d, ": ", have, " vs ", want,
          "; only size-1 dimensions stretch)");
    out_shape[d] = want;
    strides[d] = have == want ? x.strides()[d - lead] : 0;
  }
  return restride(x, std::move(out_shape), std::move(strides), x.offset());
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  if (x.dim() == 0) return x.detach();
  dim = wrap_dim(dim, x.dim(), "squeeze");
  BYTEGRAD_CHECK(x.shape()[size_t(dim)] == 1, "squeeze: dim ", dim, " has size ",
        x.shape()[size_t(dim)], ", expected 1 (shape ", shape_str(x.shape()), ")");
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return restride(x, std::move(shape), std::move(strides), x.offset());
}

Tensor squeeze(const Tensor& x) {
  Shape shape;
  Strides strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (x.shape()[size_t(d)] != 1) {
      shape.push_back(x.shape()[size_t(d)]);
      strides.push_back(x.strides()[size_t(d)]);
    }
  return restride(x, std::move(shape), std::move(strides), x.offset());
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  Strides strides = x.strides();
  const int64_t inner_extent =
      dim < x.dim() ? x.strides()[size_t(dim)] * x.shape()[size_t(dim)] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, inner_extent);
  return restride(x, std::move(shape), std::move(strides), x.offset());
}

void copy_(const Tensor& dst, const Tensor& src) {
  if (src.device() != dst.device()) return copy_(dst, to(src, dst.device()));
  auto& backend = kernels::backend_for(dst.device());
  if (src.shape() == dst.shape() && src.dtype() == dst.dtype() && src.is_contiguous() &&
      dst.is_contiguous()) {
    backend.copy_within_device(src.data_ptr(), dst.data_ptr(), size_t(dst.numel()) * dtype_size(dst.dtype()));
    return;
  }
  const Tensor source = expand(src, dst.shape());
  backend.copy(source.view(), dst.view());
}

Tensor clone(const Tensor& x) {
  Tensor out = empty(x.shape(), {x.dtype(), x.device()});
  copy_(out, x);
  return out;
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor to(const Tensor& x, DType dtype) {
  if (dtype == x.dtype()) return x;
  Tensor out = empty(x.shape(), {dtype, x.device()});
  copy_(out, x);
  return out;
}

Tensor to(const Tensor& x, Device device) {
  if (device == x.device()) return x;
  const Tensor source = contiguous(x);
  Tensor out = empty(x.shape(), {x.dtype(), device});
  const size_t nbytes = size_t(x.numel()) * dtype_size(x.dtype());
  auto& from = kernels::backend_for(x.device());
  auto& into = kernels::backend_for(device);
  from.synchronize();  // the kernels that wrote x may still be running on its device
  if (device.is_cpu()) {
    from.copy_to_host(source.data_ptr(), out.data_ptr(), nbytes);
  } else if (x.device().is_cpu()) {
    into.copy_from_host(source.data_ptr(), out.data_ptr(), nbytes);
  } else {
    // Between two accelerators: through a host buffer, which every backend can read and fill.
    std::vector<std::byte> staging(nbytes);
    from.copy_to_host(source.data_ptr(), staging.data(), nbytes);
    into.copy_from_host(staging.data(), out.data_ptr(), nbytes);
  }
  return out;
}

}  // namespace bytegrad::ops
