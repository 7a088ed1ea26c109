// Tensor: a cheap handle on shared storage plus a layout (shape, strides, offset), a dtype and a
// device. Copying a Tensor copies the handle; views share storage. The ops that compute on
// tensors are free functions: tensor/ops.h (no gradient tracking) and autograd/functions.h
// (the differentiable API users call).
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/device.h"
#include "base/dtype.h"
#include "base/error.h"
#include "kernels/array_view.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace bytegrad {

struct AutogradMeta;
struct Node;

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: no storage, no shape
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
         DType dtype);

  bool defined() const { return impl_ != nullptr; }

  // Layout.
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  int64_t offset() const { return impl().offset; }
  int64_t dim() const { return int64_t(impl().shape.size()); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t numel() const { return numel_of(impl().shape); }
  bool is_contiguous() const;
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }

  // Raw data, in the memory of the tensor's device: only kernels (and the tensor layer that calls
  // them) may read or write through it. data<T>() checks that T matches the dtype.
  void* data_ptr() const;
  template <typename T> T* data() const {
    BYTEGRAD_CHECK(dtype_of<T>() == dtype(), "data: tensor holds ", dtype(), ", not ", dtype_of<T>());
    return static_cast<T*>(data_ptr());
  }
  // The kernels' view of this tensor (valid while the tensor lives).
  kernels::ArrayView view() const;

  // Values, copied to the host. item() needs exactly one element.
  template <typename T> T item() const;
  template <typename T> std::vector<T> to_vector() const;

  // The raw bytes of a contiguous tensor (numel * dtype size, row-major, the dtype's own
  // encoding), to and from host memory: the way file formats fill and read tensors on any device.
  // Throws Error naming the op, shape and dtype when the tensor is not contiguous or nbytes is
  // not its size.
  void copy_from_host(const void* host_bytes, size_t nbytes) const;
  void copy_to_host(void* host_bytes, size_t nbytes) const;

  // This tensor's values on `device` (a fresh copy), or this tensor itself when it is there
  // already. Records no gradient: for a move that gradients flow through, use to(x, device) from
  // autograd/functions.h.
  Tensor to(Device device) const;

  // Autograd state. Ops in autograd/ record themselves on tensors that require grad.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool enabled = true);  // only on leaves
  bool is_leaf() const;                             // not produced by a recorded op
  Tensor grad() const;                              // accumulated gradient (undefined if none)
  void set_grad(const Tensor& grad);
  void zero_grad() { set_grad(Tensor()); }
  void retain_grad();  // keep the gradient of a non-leaf after backward
  const std::shared_ptr<AutogradMeta>& autograd_meta() const { return impl().autograd; }
  AutogradMeta& ensure_autograd_meta();

  // Same storage and layout, no autograd history.
  Tensor detach() const;
  // True when both handles point at the same tensor (not merely equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  // True when this handle alone reaches its memory (no copy of the handle, no view, no other
  // tensor on the storage) and covers all of it densely: the tensor may then be taken over
  // where a copy would otherwise be made, since nothing else can read or write it.
  bool is_sole_dense_owner() const;

  // Human-readable: "tensor([[1, 2], [3, 4]], dtype=float32)".
  std::string str() const;

 private:
  struct Impl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    Strides strides;
    int64_t offset = 0;
    DType dtype = DType::Float32;
    std::shared_ptr<AutogradMeta> autograd;  // null until autograd touches this tensor
  };
  const Impl& impl() const;
  Impl& impl();
  std::shared_ptr<Impl> impl_;
};

// Gradient bookkeeping of one tensor. Defined here because it is data every tensor may carry;
// what fills it is in autograd/.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  Tensor grad;                    // accumulated on leaves (and on non-leaves that retain it)
  std::shared_ptr<Node> grad_fn;  // the recorded op that produced this tensor
  // On a leaf: called by backward() as soon as the leaf's .grad has received every contribution
  // of that backward pass, with the accumulated .grad, while the rest of the graph is still being
  // walked. Data-parallel training starts averaging a bucket of gradients from here
  // (dist/data_parallel.h), as PyTorch's post-accumulate-grad hooks let DDP do.
  std::function<void(const Tensor& grad)> on_grad_ready;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

}  // namespace bytegrad
