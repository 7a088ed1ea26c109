#include "tensor/tensor.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "kernels/backend.h"
#include "tensor/views.h"

namespace bytegrad {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
               DType dtype)
    : impl_(std::make_shared<Impl>(
          Impl{std::move(storage), std::move(shape), std::move(strides), offset, dtype, nullptr})) {}

const Tensor::Impl& Tensor::impl() const {
  BYTEGRAD_CHECK(impl_ != nullptr, "tensor: use of an undefined tensor");
  return *impl_;
}

Tensor::Impl& Tensor::impl() {
  BYTEGRAD_CHECK(impl_ != nullptr, "tensor: use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t d) const { return shape()[size_t(wrap_dim(d, dim(), "size"))]; }

bool Tensor::is_contiguous() const {
  return kernels::ArrayView{nullptr, dtype(), shape(), strides()}.is_contiguous();  // layout only: no data reached
}

bool Tensor::is_sole_dense_owner() const {
  return defined() && impl_.use_count() == 1 && storage().use_count() == 1 && offset() == 0 &&
         is_contiguous() && size_t(numel()) * dtype_size(dtype()) == storage()->nbytes();
}

void* Tensor::data_ptr() const {
  BYTEGRAD_CHECK(storage()->resident(), "tensor of shape ", shape_str(shape()), " ", dtype(),
                 ": its memory is released (a sharded parameter reached outside its gather, or a quantized "
                 "directory's matrix loaded without its float32 copy)");
  return static_cast<char*>(storage()->data()) + offset() * int64_t(dtype_size(dtype()));
}

kernels::ArrayView Tensor::view() const {
  return kernels::ArrayView{data_ptr(), dtype(), shape(), strides()};
}

template <typename T> std::vector<T> Tensor::to_vector() const {
  // Gather into a dense buffer of this dtype on this device, then copy to the host.
  const Shape& s = shape();
  const Strides dense = contiguous_strides(s);
  auto& backend = kernels::backend_for(device());
  Storage staging(size_t(numel()) * dtype_size(dtype()), device());
  backend.copy(view(), kernels::ArrayView{staging.data(), dtype(), s, dense});
  std::vector<char> bytes(staging.nbytes());
  backend.synchronize();
  backend.copy_to_host(staging.data(), bytes.data(), bytes.size());
  std::vector<T> values(static_cast<size_t>(numel()));
  visit_dtype(dtype(), [&]<typename S>() {
    const S* src = reinterpret_cast<const S*>(bytes.data());
    for (size_t i = 0; i < values.size(); ++i) values[i] = convert<T>(src[i]);
  });
  return values;
}

template <typename T> T Tensor::item() const {
  BYTEGRAD_CHECK(numel() == 1, "item: expected a tensor with one element, got shape ", shape_str(shape()));
  return to_vector<T>()[0];
}

#define BYTEGRAD_INSTANTIATE(T) \
  template std::vector<T> Tensor::to_vector<T>() const; \
  template T Tensor::item<T>() const;
BYTEGRAD_INSTANTIATE(float)
BYTEGRAD_INSTANTIATE(double)
BYTEGRAD_INSTANTIATE(int32_t)
BYTEGRAD_INSTANTIATE(int64_t)
BYTEGRAD_INSTANTIATE(bool)
BYTEGRAD_INSTANTIATE(uint8_t)
BYTEGRAD_INSTANTIATE(int8_t)
BYTEGRAD_INSTANTIATE(BFloat16)
BYTEGRAD_INSTANTIATE(Float16)
#undef BYTEGRAD_INSTANTIATE

namespace {

void check_host_transfer(const char* op, const Tensor& t, size_t nbytes) {
  const size_t size = size_t(t.numel()) * dtype_size(t.dtype());
  BYTEGRAD_CHECK(t.is_contiguous(), op, ": tensor of shape ", shape_str(t.shape()), " and dtype ",
                 t.dtype(), " is not contiguous");
  BYTEGRAD_CHECK(nbytes == size, op, ": ", nbytes, " bytes given for a tensor of shape ",
                 shape_str(t.shape()), " and dtype ", t.dtype(), ", which holds ", size, " bytes");
}

}  // namespace

void Tensor::copy_from_host(const void* host_bytes, size_t nbytes) const {
  check_host_transfer("copy_from_host", *this, nbytes);
  if (nbytes > 0) kernels::backend_for(device()).copy_from_host(host_bytes, data_ptr(), nbytes);
}

void Tensor::copy_to_host(void* host_bytes, size_t nbytes) const {
  check_host_transfer("copy_to_host", *this, nbytes);
  if (nbytes == 0) return;
  auto& backend = kernels::backend_for(device());
  backend.synchronize();  // kernels writing this tensor may still be running
  backend.copy_to_host(data_ptr(), host_bytes, nbytes);
}

Tensor Tensor::to(Device device) const { return ops::to(*this, device); }

bool Tensor::requires_grad() const { return impl().autograd && impl().autograd->requires_grad; }

Tensor& Tensor::set_requires_grad(bool enabled) {
  BYTEGRAD_CHECK(is_leaf(), "set_requires_grad: only leaf tensors can change requires_grad (this one "
        "was produced by an op; use detach() for a new leaf)");
  BYTEGRAD_CHECK(!enabled || is_floating(dtype()), "set_requires_grad: only floating-point tensors can "
        "require gradients, got ", dtype());
  ensure_autograd_meta().requires_grad = enabled;
  return *this;
}

bool Tensor::is_leaf() const { return !impl().autograd || !impl().autograd->grad_fn; }

Tensor Tensor::grad() const { return impl().autograd ? impl().autograd->grad : Tensor(); }

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined())
    BYTEGRAD_CHECK(grad.shape() == shape(), "set_grad: gradient shape ", shape_str(grad.shape()),
          " does not match tensor shape ", shape_str(shape()));
  ensure_autograd_meta().grad = grad;
}

void Tensor::retain_grad() { ensure_autograd_meta().retains_grad = true; }

AutogradMeta& Tensor::ensure_autograd_meta() {
  if (!impl().autograd) impl().autograd = std::make_shared<AutogradMeta>();
  return *impl().autograd;
}

Tensor Tensor::detach() const { return Tensor(storage(), shape(), strides(), offset(), dtype()); }

namespace {

void print_values(std::ostream& out, const std::vector<double>& values, const Shape& shape,
                  size_t dim, size_t& position, bool integral) {
  if (dim == shape.size()) {
    const double v = values[position++];
    if (integral) out << int64_t(v);
    else out << v;
    return;
  }
  out << '[';
  for (int64_t i = 0; i < shape[dim]; ++i) {
    if (i) out << ", ";
    if (shape[dim] > 8 && i == 3) {  // elide the middle of long dimensions
      out << "...";
      size_t skipped = 1;
      for (size_t d = dim + 1; d < shape.size(); ++d) skipped *= size_t(shape[d]);
      position += skipped * size_t(shape[dim] - 6);
      i = shape[dim] - 3;
      out << ", ";
    }
    print_values(out, values, shape, dim + 1, position, integral);
  }
  out << ']';
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream out;
  out << "tensor(";
  size_t position = 0;
  print_values(out, to_vector<double>(), shape(), 0, position, is_integral(dtype()));
  out << ", dtype=" << dtype();
  if (!device().is_cpu()) out << ", device=" << device();
  out << ')';
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) { return out << tensor.str(); }

}  // namespace bytegrad
