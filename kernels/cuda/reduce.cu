// Reductions over the trailing dimensions of a strided array: one block per output element,
// its threads striding over the reduced elements, then a block reduction (block_reduce.h).
// Semantics are the CPU backend's (kernels/cpu/reduce.cpp): sums, means and products accumulate
// in double (int64 for integers); Max/Min/ArgMax/ArgMin return the first extreme element and let
// a NaN win (the first NaN); LogSumExp subtracts the maximum first.
#include <cmath>
#include <limits>
#include <type_traits>

#include "base/error.h"
#include "kernels/cuda/block_reduce.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/device_types.h"
#include "kernels/cuda/strided_indexer.h"

namespace bytegrad::kernels::cuda {
namespace {

template <typename T> using accumulate_t =
    std::conditional_t<std::is_floating_point_v<device_compute_t<T>>, double, int64_t>;

// The best element so far of a Max/Min search: its value and flat index (-1 when none yet).
// A plain aggregate: CUDA allows no initialisers on __shared__ variables.
template <typename C> struct Best {
  C value;
  int64_t index;
};

template <typename C> __device__ __forceinline__ Best<C> better(Best<C> a, Best<C> b, bool want_max) {
  if (a.index < 0) return b;
  if (b.index < 0) return a;
  const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
  if (a_nan || b_nan) {
    if (a_nan && b_nan) return a.index < b.index ? a : b;
    return a_nan ? a : b;
  }
  if (a.value == b.value) return a.index < b.index ? a : b;
  return (want_max ? a.value > b.value : a.value < b.value) ? a : b;
}

// A Best has two fields, so warps shuffle it field by field.
template <typename C> __device__ Best<C> block_best(Best<C> mine, bool want_max) {
  __shared__ Best<C> partials[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  auto warp_best = [&](Best<C> value) {
    for (int offset = 16; offset > 0; offset /= 2) {
      // (CUDA shuffles bool and uint8 as int: convert back.)
      const Best<C> other{static_cast<C>(__shfl_down_sync(kFullWarp, value.value, offset)),
                          static_cast<int64_t>(__shfl_down_sync(kFullWarp, value.index, offset))};
      value = better(value, other, want_max);
    }
    return value;
  };
  mine = warp_best(mine);
  if (lane == 0) partials[warp] = mine;
  __syncthreads();
  if (warp == 0) {
    mine = warp_best(lane < warps ? partials[lane] : Best<C>{C(0), -1});
    if (lane == 0) partials[0] = mine;
  }
  __syncthreads();
  const Best<C> result = partials[0];
  __syncthreads();
  return result;
}

template <typename T>
__global__ void reduce_kernel(ReduceOp op, StridedIndexer<1> kept, StridedIndexer<1> reduced, int64_t outputs,
                              int64_t count, const T* in, void* out, int64_t* indices) {
  using C = device_compute_t<T>;
  using Acc = accumulate_t<T>;
  for (int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
    int64_t base[1];
    kept.offsets(o, base);
    auto element = [&](int64_t j) {
      int64_t offset[1];
      reduced.offsets(j, offset);
      return to_compute(in[base[0] + offset[0]]);
    };
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Mean:
      case ReduceOp::Prod: {
        const bool product = op == ReduceOp::Prod;
        Acc partial = product ? Acc(1) : Acc(0);
        for (int64_t j = threadIdx.x; j < count; j += blockDim.x)
          partial = product ? partial * Acc(element(j)) : partial + Acc(element(j));
        Acc total = product ? block_reduce(partial, Acc(1), [](Acc a, Acc b) { return a * b; })
                            : block_reduce(partial, Acc(0), [](Acc a, Acc b) { return a + b; });
        if (op == ReduceOp::Mean) total = Acc(double(total) / double(count));
        if (threadIdx.x == 0) static_cast<T*>(out)[o] = from_compute<T>(device_compute_t<T>(total));
        break;
      }
      case ReduceOp::Max: case ReduceOp::Min: case ReduceOp::ArgMax: case ReduceOp::ArgMin: {
        const bool want_max = op == ReduceOp::Max || op == ReduceOp::ArgMax;
        Best<C> best{C(0), -1};
        for (int64_t j = threadIdx.x; j < count; j += blockDim.x) best = better(best, Best<C>{element(j), j}, want_max);
        best = block_best(best, want_max);
        if (threadIdx.x == 0) {
          if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) {
            static_cast<int64_t*>(out)[o] = best.index;
          } else {
            static_cast<T*>(out)[o] = from_compute<T>(best.value);
            if (indices) indices[o] = best.index;
          }
        }
        break;
      }
      case ReduceOp::LogSumExp: {
        if constexpr (std::is_floating_point_v<C>) {
          double peak = -INFINITY;
          for (int64_t j = threadIdx.x; j < count; j += blockDim.x) peak = std::fmax(peak, double(element(j)));
          peak = block_reduce(peak, -double(INFINITY), [](double a, double b) { return std::fmax(a, b); });
          double sum = 0;
          if (std::isfinite(peak))
            for (int64_t j = threadIdx.x; j < count; j += blockDim.x) sum += std::exp(double(element(j)) - peak);
          sum = block_reduce(sum, 0.0, [](double a, double b) { return a + b; });
          if (threadIdx.x == 0) static_cast<T*>(out)[o] = from_compute<T>(C(std::isfinite(peak) ? peak + std::log(sum) : peak));
        }
        break;
      }
    }
  }
}

// One thread per output, adding its reduced elements in order (the CPU's order, so the same
// rounding): for short reductions, where a block per output would mostly wait at barriers.
template <typename T>
__global__ void reduce_per_thread_kernel(ReduceOp op, StridedIndexer<1> kept, StridedIndexer<1> reduced,
                                         int64_t outputs, int64_t count, const T* in, void* out, int64_t* indices) {
  using C = device_compute_t<T>;
  using Acc = accumulate_t<T>;
  for (int64_t o = flat_thread_index(); o < outputs; o += grid_stride()) {
    int64_t base[1];
    kept.offsets(o, base);
    auto element = [&](int64_t j) {
      int64_t offset[1];
      reduced.offsets(j, offset);
      return to_compute(in[base[0] + offset[0]]);
    };
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Mean:
      case ReduceOp::Prod: {
        const bool product = op == ReduceOp::Prod;
        Acc total = product ? Acc(1) : Acc(0);
        for (int64_t j = 0; j < count; ++j) total = product ? total * Acc(element(j)) : total + Acc(element(j));
        if (op == ReduceOp::Mean) total = Acc(double(total) / double(count));
        static_cast<T*>(out)[o] = from_compute<T>(device_compute_t<T>(total));
        break;
      }
      case ReduceOp::Max: case ReduceOp::Min: case ReduceOp::ArgMax: case ReduceOp::ArgMin: {
        const bool want_max = op == ReduceOp::Max || op == ReduceOp::ArgMax;
        Best<C> best{C(0), -1};
        for (int64_t j = 0; j < count; ++j) best = better(best, Best<C>{element(j), j}, want_max);
        if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) {
          static_cast<int64_t*>(out)[o] = best.index;
        } else {
          static_cast<T*>(out)[o] = from_compute<T>(best.value);
          if (indices) indices[o] = best.index;
        }
        break;
      }
      case ReduceOp::LogSumExp: {
        if constexpr (std::is_floating_point_v<C>) {
          double peak = -INFINITY;
          for (int64_t j = 0; j < count; ++j) peak = std::fmax(peak, double(element(j)));
          double sum = 0;
          if (std::isfinite(peak))
            for (int64_t j = 0; j < count; ++j) sum += std::exp(double(element(j)) - peak);
          static_cast<T*>(out)[o] = from_compute<T>(C(std::isfinite(peak) ? peak + std::log(sum) : peak));
        }
        break;
      }
    }
  }
}

// Reductions this short (or this many) run a thread per output rather than a block per output.
constexpr int64_t kPerThreadCount = 64;
constexpr int64_t kPerThreadOutputs = 4096;

}  // namespace

void CudaBackend::reduce(ReduceOp op, const ArrayView& in, int64_t reduced_dims, const ArrayView& out,
                         const ArrayView& indices) {
  BYTEGRAD_CHECK(op != ReduceOp::LogSumExp || is_floating(in.dtype), "reduce: logsumexp needs a floating-point dtype");
  const int64_t outputs = out.numel();
  if (outputs == 0) return;
  activate();
  const size_t kept_dims = size_t(in.ndim() - reduced_dims);
  const ArrayView kept_view{in.data, in.dtype, in.shape.subspan(0, kept_dims), in.strides.subspan(0, kept_dims)};
  const ArrayView reduced_view{in.data, in.dtype, in.shape.subspan(kept_dims), in.strides.subspan(kept_dims)};
  const StridedIndexer<1> kept = make_indexer<1>(kept_view.shape, {&kept_view});
  const StridedIndexer<1> reduced = make_indexer<1>(reduced_view.shape, {&reduced_view});
  const int64_t count = reduced_view.numel();
  const bool per_thread = count <= kPerThreadCount || outputs >= kPerThreadOutputs;
  visit_device_dtype(in.dtype, [&]<typename T>() {
    const T* x = static_cast<const T*>(in.data);
    int64_t* index_out = static_cast<int64_t*>(indices.data);
    if (per_thread) {
      launch(reduce_per_thread_kernel<T>, elementwise_grid(outputs), dim3(elementwise_threads(outputs)), 0, stream_,
             op, kept, reduced, outputs, count, x, out.data, index_out);
    } else {
      launch(reduce_kernel<T>, dim3(unsigned(outputs < 4096 ? outputs : 4096)), dim3(reduction_threads(count)), 0,
             stream_, op, kept, reduced, outputs, count, x, out.data, index_out);
    }
  });
  BYTEGRAD_CUDA_CHECK_LAUNCH("reduce_kernel");
}

}  // namespace bytegrad::kernels::cuda
