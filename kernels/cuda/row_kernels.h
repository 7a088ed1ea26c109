// Launchers of the row kernels: ops over each row of a contiguous [rows, n] array, one block per
// row (softmax, cross-entropy, RMSNorm, LayerNorm, multi-label BCE, forward and backward). The
// semantics are the Backend methods' of the same names (kernels/backend.h); the CPU backend is
// the reference.
//
// Each launcher issues its kernels on `stream` and returns without waiting; a launch that fails
// throws Error. T is float or double everywhere, and also __half or __nv_bfloat16 for softmax (as
// on the CPU); these compute in float. Pointers are device pointers. Rows and lengths of 0 launch
// nothing. No bytegrad type crosses this header: kernel sources need only CUDA's headers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace bytegrad::kernels::cuda {

// out = softmax(in) or log_softmax(in) along each row; a row of -inf gives zeros (softmax) or
// -inf (log-softmax).
template <typename T>
void softmax_rows(cudaStream_t stream, const T* in, T* out, int64_t rows, int64_t n, bool log);

// grad_in = y * (g - sum(g * y)) for softmax, g - exp(y) * sum(g) for log-softmax.
template <typename T>
void softmax_backward_rows(cudaStream_t stream, const T* y, const T* grad_out, T* grad_in,
                           int64_t rows, int64_t n, bool log);

// log_normalizer[r] = logsumexp(logits[r]), loss[r] = log_normalizer[r] - logits[r, targets[r]].
template <typename T>
void cross_entropy_rows(cudaStream_t stream, const T* logits, const int64_t* targets, T* loss,
                        T* log_normalizer, int64_t rows, int64_t vocab);

// grad_logits[r, v] = grad_loss[r] * (exp(logits[r, v] - log_normalizer[r]) - [v == targets[r]]).
template <typename T>
void cross_entropy_backward_rows(cudaStream_t stream, const T* logits, const int64_t* targets,
                                 const T* log_normalizer, const T* grad_loss, T* grad_logits,
                                 int64_t rows, int64_t vocab);

// inverse_rms[r] = 1 / sqrt(mean(x[r]^2) + eps), out[r] = x[r] * inverse_rms[r] * weight.
template <typename T>
void rms_norm_rows(cudaStream_t stream, const T* x, const T* weight, double eps, T* out,
                   T* inverse_rms, int64_t rows, int64_t dim);

// grad_x from the forward pass's inverse_rms; grad_weight [dim] (overwritten) unless null.
template <typename T>
void rms_norm_backward_rows(cudaStream_t stream, const T* x, const T* weight, const T* inverse_rms,
                            const T* grad_out, T* grad_x, T* grad_weight, int64_t rows,
                            int64_t dim);

// mean[r], inverse_std[r] = 1 / sqrt(biased variance + eps), out = (x - mean) inverse_std w + b.
template <typename T>
void layer_norm_rows(cudaStream_t stream, const T* x, const T* weight, const T* bias, double eps,
                     T* out, T* mean, T* inverse_std, int64_t rows, int64_t dim);

// grad_x from the forward pass's mean and inverse_std; grad_weight and grad_bias [dim]
// (overwritten) each unless null.
template <typename T>
void layer_norm_backward_rows(cudaStream_t stream, const T* x, const T* weight, const T* mean,
                              const T* inverse_std, const T* grad_out, T* grad_x, T* grad_weight,
                              T* grad_bias, int64_t rows, int64_t dim);

// Binary cross-entropy with logits against sparse positive classes (Backend::multilabel_bce):
// row w's positives are target_ids[target_offsets[w] .. target_offsets[w + 1] - 1] (a repeated
// id counts once); loss[w] = weights[w] * sum_v (positive ? pos_weight softplus(-z) : softplus(z)).
template <typename T>
void multilabel_bce_rows(cudaStream_t stream, const T* logits, const int64_t* target_ids,
                         const int64_t* target_offsets, const T* weights, double pos_weight,
                         T* loss, int64_t rows, int64_t classes);

// grad_logits[w, v] = grad_loss[w] weights[w] (positive ? pos_weight (sigmoid(z) - 1) : sigmoid(z)).
template <typename T>
void multilabel_bce_backward_rows(cudaStream_t stream, const T* logits, const int64_t* target_ids,
                                  const int64_t* target_offsets, const T* weights,
                                  double pos_weight, const T* grad_loss, T* grad_logits,
                                  int64_t rows, int64_t classes);

}  // namespace bytegrad::kernels::cuda
