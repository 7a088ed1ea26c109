// The CUDA backend's memory: the per-device backends, allocation through the cache, copies on
// the device's stream, and waiting for it.
#include <memory>
#include <mutex>

#include "base/error.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_query.h"

namespace bytegrad::kernels::cuda {

CudaBackend::CudaBackend(int device) : device_(device), allocator_(device) {
  activate();
  BYTEGRAD_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CudaBackend::~CudaBackend() {
  if (stream_) cudaStreamDestroy(stream_);
}

CudaBackend& cuda_backend(int index) {
  constexpr int kMaxDevices = 16;
  static std::unique_ptr<CudaBackend>* backends = new std::unique_ptr<CudaBackend>[kMaxDevices];
  static std::mutex mutex;
  BYTEGRAD_CHECK(index >= 0 && index < kMaxDevices && index < device_count(), "cuda:", index,
                 ": no such device; this process has ", device_count(), " CUDA device(s)");
  std::lock_guard lock(mutex);
  if (!backends[index]) backends[index] = std::make_unique<CudaBackend>(index);
  return *backends[index];
}

void CudaBackend::activate() const { BYTEGRAD_CUDA_CHECK(cudaSetDevice(device_)); }

void* CudaBackend::allocate(size_t nbytes) { return allocator_.allocate(nbytes); }

void CudaBackend::deallocate(void* ptr, size_t nbytes) { allocator_.deallocate(ptr, nbytes); }

// Host buffers may be released as soon as these return, so both wait for their copy.
void CudaBackend::copy_to_host(const void* src, void* dst, size_t nbytes) {
  if (nbytes == 0) return;
  activate();
  BYTEGRAD_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream_));
  BYTEGRAD_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaBackend::copy_from_host(const void* src, void* dst, size_t nbytes) {
  if (nbytes == 0) return;
  activate();
  BYTEGRAD_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, stream_));
  BYTEGRAD_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaBackend::copy_within_device(const void* src, void* dst, size_t nbytes) {
  if (nbytes == 0) return;
  activate();
  BYTEGRAD_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream_));
}

void CudaBackend::synchronize() {
  activate();
  BYTEGRAD_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace bytegrad::kernels::cuda
