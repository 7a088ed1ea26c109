// CPU memory: allocation, strided copies with dtype conversion, fills and random draws.
#include <algorithm>
#include <cstring>
#include <new>

#include "base/error.h"
#include "base/philox.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/strided_loop.h"

namespace bytegrad::kernels::cpu {

CpuBackend& cpu_backend() {
  // Never destroyed: tensors with static lifetime may release memory during exit.
  static CpuBackend* backend = new CpuBackend;
  return *backend;
}

void* CpuBackend::allocate(size_t nbytes) { return blocks_.allocate(nbytes); }

void CpuBackend::deallocate(void* ptr, size_t nbytes) { blocks_.deallocate(ptr, nbytes); }

// An empty tensor's host side may be a null pointer (std::vector::data() of no elements), and
// memcpy with a null pointer is undefined even for 0 bytes.
void CpuBackend::copy_to_host(const void* src, void* dst, size_t nbytes) {
  if (nbytes > 0) std::memcpy(dst, src, nbytes);
}

void CpuBackend::copy_from_host(const void* src, void* dst, size_t nbytes) {
  if (nbytes > 0) std::memcpy(dst, src, nbytes);
}

void CpuBackend::copy_within_device(const void* src, void* dst, size_t nbytes) {
  // In blocks over the thread team, so that a large copy uses every core's memory bandwidth as
  // the strided copy does.
  constexpr size_t kBlockBytes = size_t(1) << 16;
  const int64_t blocks = int64_t((nbytes + kBlockBytes - 1) / kBlockBytes);
  parallel_for(blocks, int64_t(kBlockBytes / sizeof(float)), [&](int64_t b) {
    const size_t begin = size_t(b) * kBlockBytes;
    std::memcpy(static_cast<char*>(dst) + begin, static_cast<const char*>(src) + begin,
                std::min(kBlockBytes, nbytes - begin));
  });
}

void CpuBackend::copy(const ArrayView& src, const ArrayView& dst) {
  visit_dtype(src.dtype, [&]<typename From>() {
    visit_dtype(dst.dtype, [&]<typename To>() {
      const std::array<const ArrayView*, 2> views{&src, &dst};
      strided_loop<2>(dst.shape, views, [&](auto ptr, auto stride, int64_t n) {
        if (is_dense_run(stride, views)) {
          const From* in = reinterpret_cast<const From*>(ptr[0]);
          To* out = reinterpret_cast<To*>(ptr[1]);
          if constexpr (std::is_same_v<From, To>) {
            std::memcpy(out, in, size_t(n) * sizeof(To));
          } else {
            for (int64_t i = 0; i < n; ++i) out[i] = convert<To>(in[i]);
          }
          return;
        }
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<To*>(ptr[1] + i * stride[1]) =
              convert<To>(*reinterpret_cast<const From*>(ptr[0] + i * stride[0]));
      });
    });
  });
}

void CpuBackend::fill(const ArrayView& dst, double value) {
  visit_dtype(dst.dtype, [&]<typename T>() {
    const T v = convert<T>(value);
    const std::array<const ArrayView*, 1> views{&dst};
    strided_loop<1>(dst.shape, views, [&](auto ptr, auto stride, int64_t n) {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(ptr[0] + i * stride[0]) = v;
    });
  });
}

void CpuBackend::arange(const ArrayView& dst, double start, double step) {
  visit_dtype(dst.dtype, [&]<typename T>() {
    T* out = dst.as<T>();
    parallel_for(dst.numel(), 1, [&](int64_t i) { out[i] = convert<T>(start + double(i) * step); });
  });
}

void CpuBackend::random(RandomKind kind, const ArrayView& dst, uint64_t seed, uint64_t offset,
                        double a, double b) {
  visit_dtype(dst.dtype, [&]<typename T>() {
    T* out = dst.as<T>();
    parallel_for(dst.numel(), 16, [&](int64_t i) {
      switch (kind) {
        case RandomKind::Uniform:
          out[i] = convert<T>(a + (b - a) * philox::uniform(seed, offset, uint64_t(i)));
          break;
        case RandomKind::Normal:
          out[i] = convert<T>(a + b * philox::normal(seed, offset, uint64_t(i)));
          break;
        case RandomKind::Integer:
          out[i] = convert<T>(philox::integer(seed, offset, uint64_t(i), int64_t(a), int64_t(b)));
          break;
      }
    });
  });
}

}  // namespace bytegrad::kernels::cpu
