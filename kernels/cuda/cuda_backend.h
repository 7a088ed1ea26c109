// The CUDA backend: the Backend (kernels/backend.h) of one device, Device::cuda(index). Memory
// comes from a caching allocator; every kernel and copy is issued on the device's one stream, in
// order, so the host waits only where it reads results (synchronize, copy_to_host).
//
// Each group of methods is implemented in the file named beside it, a `.cu` source of kernels
// compiled by nvcc for a GPU or by g++ for the emulated device (kernels/cuda/emulation/). Methods
// listed under not_yet_implemented.cpp throw NotYetImplemented (kernels/not_yet_implemented.h):
// implementing a group means moving its methods from there into a new file of its own.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/backend.h"
#include "kernels/cuda/caching_allocator.h"

namespace bytegrad::kernels::cuda {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device);
  ~CudaBackend() override;

  Device device() const { return Device{DeviceKind::CUDA, device_}; }
  cudaStream_t stream() const { return stream_; }
  const CachingAllocator& allocator() const { return allocator_; }
  // Makes this backend's device current for the calling thread (before any runtime call).
  void activate() const;

  // memory.cpp
  void* allocate(size_t nbytes) override;
  void deallocate(void* ptr, size_t nbytes) override;
  void copy_to_host(const void* src, void* dst, size_t nbytes) override;
  void copy_from_host(const void* src, void* dst, size_t nbytes) override;
  void copy_within_device(const void* src, void* dst, size_t nbytes) override;
  void synchronize() override;

  // copy.cu
  void copy(const ArrayView& src, const ArrayView& dst) override;
  void fill(const ArrayView& dst, double value) override;
  void arange(const ArrayView& dst, double start, double step) override;

  // random.cu
  void random(RandomKind kind, const ArrayView& dst, uint64_t seed, uint64_t offset, double a,
              double b) override;

  // elementwise.cu
  void unary(UnaryOp op, const ArrayView& in, const ArrayView& out, double alpha,
             double beta) override;
  void binary(BinaryOp op, const ArrayView& a, const ArrayView& b, const ArrayView& out) override;
  void where(const ArrayView& condition, const ArrayView& a, const ArrayView& b,
             const ArrayView& out) override;

  // reduce.cu
  void reduce(ReduceOp op, const ArrayView& in, int64_t reduced_dims, const ArrayView& out,
              const ArrayView& indices) override;

  // indexing.cu
  void gather(const ArrayView& in, const ArrayView& index, const ArrayView& out,
              int64_t dim) override;
  void scatter_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src,
                   int64_t dim) override;
  void index_select(const ArrayView& in, const ArrayView& index, const ArrayView& out,
                    int64_t dim) override;
  void index_add(const ArrayView& dst, const ArrayView& index, const ArrayView& src,
                 int64_t dim) override;
  void triangle(const ArrayView& in, const ArrayView& out, int64_t k, bool upper) override;

  // scan.cu
  void cumsum(const ArrayView& in, const ArrayView& out) override;

  // sort.cu
  void sort(const ArrayView& in, const ArrayView& values, const ArrayView& indices,
            bool descending) override;
  void topk(const ArrayView& in, int64_t k, bool largest, const ArrayView& values,
            const ArrayView& indices) override;

  // not_yet_implemented.cpp: softmax, cross-entropy, norms, attention, embedding bags,
  // multi-label BCE, GEMM, optimizers.
  void softmax(const ArrayView& in, const ArrayView& out, bool log) override;
  void softmax_backward(const ArrayView& y, const ArrayView& grad_out, const ArrayView& grad_in,
                        bool log) override;
  void cross_entropy(const ArrayView& logits, const ArrayView& targets, const ArrayView& loss,
                     const ArrayView& log_normalizer) override;
  void cross_entropy_backward(const ArrayView& logits, const ArrayView& targets,
                              const ArrayView& log_normalizer, const ArrayView& grad_loss,
                              const ArrayView& grad_logits) override;
  void embedding_bag(const ArrayView& weight, const ArrayView& ids, const ArrayView& offsets,
                     bool mean_items, bool normalize, const ArrayView& out) override;
  void embedding_bag_backward(const ArrayView& grad_out, const ArrayView& ids,
                              const ArrayView& offsets, bool mean_items, bool normalize,
                              const ArrayView& grad_weight) override;
  void multilabel_bce(const ArrayView& logits, const ArrayView& target_ids,
                      const ArrayView& target_offsets, const ArrayView& weights, double pos_weight,
                      const ArrayView& loss) override;
  void multilabel_bce_backward(const ArrayView& logits, const ArrayView& target_ids,
                               const ArrayView& target_offsets, const ArrayView& weights,
                               double pos_weight, const ArrayView& grad_loss,
                               const ArrayView& grad_logits) override;
  void rms_norm(const ArrayView& x, const ArrayView& weight, double eps, const ArrayView& out,
                const ArrayView& inverse_rms) override;
  void rms_norm_backward(const ArrayView& x, const ArrayView& weight, const ArrayView& inverse_rms,
                         const ArrayView& grad_out, const ArrayView& grad_x,
                         const ArrayView& grad_weight) override;
  void layer_norm(const ArrayView& x, const ArrayView& weight, const ArrayView& bias, double eps,
                  const ArrayView& out, const ArrayView& mean, const ArrayView& inverse_std) override;
  void layer_norm_backward(const ArrayView& x, const ArrayView& weight, const ArrayView& mean,
                           const ArrayView& inverse_std, const ArrayView& grad_out,
                           const ArrayView& grad_x, const ArrayView& grad_weight,
                           const ArrayView& grad_bias) override;
  void causal_attention(const ArrayView& q, const ArrayView& k, const ArrayView& v, double scale,
                        const ArrayView& out, const ArrayView& probabilities) override;
  void causal_attention_backward(const ArrayView& q, const ArrayView& k, const ArrayView& v,
                                 const ArrayView& probabilities, double scale,
                                 const ArrayView& grad_out, const ArrayView& grad_q,
                                 const ArrayView& grad_k, const ArrayView& grad_v) override;
  void gemm(DType dtype, const void* a, const void* b, void* c, const GemmBatch& batch) override;
  void adamw(std::span<const AdamWParameter> parameters, const AdamWStep& step) override;
  void sgd(std::span<const SgdParameter> parameters, float learning_rate, float momentum) override;
  double sum_of_squares(std::span<const std::span<const float>> buffers) override;
  void scale(std::span<const std::span<float>> buffers, float factor) override;

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
  CachingAllocator allocator_;
};

// The process's backend for cuda:index (created on first use, never destroyed: tensors with
// static lifetime may free memory during exit). The index must be below device_count().
CudaBackend& cuda_backend(int index);

}  // namespace bytegrad::kernels::cuda
