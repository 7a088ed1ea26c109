// The stand-in CUDA runtime (see runtime.h): definitions for the declarations of the real
// <cuda_runtime_api.h>, over heap memory and a registry of allocations and streams.
#include "kernels/cuda/emulation/runtime.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <thread>

#include "base/error.h"

namespace bytegrad::kernels::cuda::emulation {
namespace {

struct Allocation {
  size_t nbytes = 0;
  int device = 0;
};

// Every live device allocation (start address -> size and device) and every live stream, shared
// by all threads of the process as the real runtime's are.
struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, Allocation> allocations;
  std::set<const void*> streams;
};

Registry& registry() {
  static Registry* instance = new Registry;  // never destroyed: frees may come during exit
  return *instance;
}

thread_local cudaError_t t_last_error = cudaSuccess;
thread_local std::string t_last_detail;
thread_local int t_device = 0;

cudaError_t fail(cudaError_t error, std::string detail) {
  set_last_error(error, std::move(detail));
  return error;
}

std::string pointer_text(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", p);
  return text;
}

// The allocation containing address p (p itself may be one past its end only for 0 bytes),
// or null. Caller holds the mutex.
const std::pair<const uintptr_t, Allocation>* find_allocation(Registry& r, const void* p) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  auto it = r.allocations.upper_bound(address);
  if (it == r.allocations.begin()) return nullptr;
  --it;
  if (address < it->first + std::max<size_t>(it->second.nbytes, 1)) return &*it;
  return nullptr;
}

// Checks that [p, p + nbytes) lies in one device allocation; "" when it does, else why not.
std::string device_range_problem(Registry& r, const void* p, size_t nbytes, const char* role) {
  const auto* found = find_allocation(r, p);
  if (!found)
    return concat(role, ' ', pointer_text(p), " is not device memory (no live cudaMalloc allocation contains it)");
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  const size_t offset = address - found->first;
  if (offset + nbytes > found->second.nbytes)
    return concat(role, ' ', pointer_text(p), " + ", nbytes, " bytes runs past the end of its device allocation (",
                  pointer_text(reinterpret_cast<const void*>(found->first)), ", ", found->second.nbytes,
                  " bytes, starting ", offset, " bytes before it) by ", offset + nbytes - found->second.nbytes,
                  " bytes");
  return "";
}

std::string host_range_problem(Registry& r, const void* p, const char* role) {
  if (const auto* found = find_allocation(r, p))
    return concat(role, ' ', pointer_text(p), " is device memory (inside the allocation at ",
                  pointer_text(reinterpret_cast<const void*>(found->first)), " of ", found->second.nbytes,
                  " bytes), but the copy's kind says host memory");
  return "";
}

const char* kind_name(cudaMemcpyKind kind) {
  switch (kind) {
    case cudaMemcpyHostToHost: return "host to host";
    case cudaMemcpyHostToDevice: return "host to device";
    case cudaMemcpyDeviceToHost: return "device to host";
    case cudaMemcpyDeviceToDevice: return "device to device";
    case cudaMemcpyDefault: return "default";
  }
  return "unknown";
}

cudaError_t checked_copy(const char* call, void* dst, const void* src, size_t nbytes, cudaMemcpyKind kind,
                         cudaStream_t stream) {
  if (!is_valid_stream(stream))
    return fail(cudaErrorInvalidResourceHandle, concat(call, ": the stream was never created or has been destroyed"));
  if (nbytes == 0) return cudaSuccess;
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    if (kind == cudaMemcpyDefault) {  // unified addressing: the pointers say where they live
      kind = find_allocation(r, src) ? (find_allocation(r, dst) ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost)
                                     : (find_allocation(r, dst) ? cudaMemcpyHostToDevice : cudaMemcpyHostToHost);
    }
    const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    if (kind != cudaMemcpyHostToHost && kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToHost &&
        kind != cudaMemcpyDeviceToDevice)
      return fail(cudaErrorInvalidMemcpyDirection, concat(call, ": unknown copy kind ", int(kind)));
    std::string problem = src_device ? device_range_problem(r, src, nbytes, "source")
                                     : host_range_problem(r, src, "source");
    if (problem.empty())
      problem = dst_device ? device_range_problem(r, dst, nbytes, "destination")
                           : host_range_problem(r, dst, "destination");
    if (!problem.empty())
      return fail(cudaErrorInvalidValue, concat(call, " (", kind_name(kind), ", ", nbytes, " bytes): ", problem));
  }
  std::memmove(dst, src, nbytes);
  return cudaSuccess;
}

cudaError_t checked_set(const char* call, void* dst, int value, size_t nbytes, cudaStream_t stream) {
  if (!is_valid_stream(stream))
    return fail(cudaErrorInvalidResourceHandle, concat(call, ": the stream was never created or has been destroyed"));
  if (nbytes == 0) return cudaSuccess;
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    const std::string problem = device_range_problem(r, dst, nbytes, "destination");
    if (!problem.empty()) return fail(cudaErrorInvalidValue, concat(call, " (", nbytes, " bytes): ", problem));
  }
  std::memset(dst, value, nbytes);
  return cudaSuccess;
}

}  // namespace

std::string last_error_detail() { return t_last_detail; }

void set_last_error(cudaError_t error, std::string detail) {
  t_last_error = error;
  t_last_detail = std::move(detail);
}

bool is_valid_stream(const void* stream) {
  if (stream == nullptr) return true;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.streams.count(stream) > 0;
}

bool is_device_memory(const void* pointer, size_t nbytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return device_range_problem(r, pointer, nbytes, "").empty();
}

int emulated_device_count() {
  static const int count = [] {
    const char* text = std::getenv("BYTEGRAD_EMULATED_CUDA_DEVICES");
    if (!text || !*text) return 1;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 0 || value > 16) {
      std::fprintf(stderr, "BYTEGRAD_EMULATED_CUDA_DEVICES=%s is not a count from 0 to 16; using 1\n", text);
      return 1;
    }
    return int(value);
  }();
  return count;
}

}  // namespace bytegrad::kernels::cuda::emulation

using namespace bytegrad::kernels::cuda::emulation;
using bytegrad::concat;

// ---- Devices ------------------------------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int* count) {
  *count = emulated_device_count();
  if (*count == 0) return fail(cudaErrorNoDevice, "cudaGetDeviceCount: BYTEGRAD_EMULATED_CUDA_DEVICES is 0");
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= emulated_device_count())
    return fail(cudaErrorInvalidDevice, concat("cudaSetDevice(", device, "): this process has ",
                                               emulated_device_count(), " emulated device(s)"));
  t_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device) {
  if (device < 0 || device >= emulated_device_count())
    return fail(cudaErrorInvalidDevice, concat("cudaGetDeviceProperties(", device, "): this process has ",
                                               emulated_device_count(), " emulated device(s)"));
  *properties = cudaDeviceProp{};
  std::snprintf(properties->name, sizeof properties->name, "bytegrad emulated CUDA device (CPU fibers)");
  properties->major = 9;  // the architecture our kernels target (sm_90)
  properties->minor = 0;
  properties->totalGlobalMem = size_t(16) << 30;  // nominal: allocations are plain heap memory
  properties->sharedMemPerBlock = 48 << 10;
  properties->sharedMemPerBlockOptin = 227 << 10;
  properties->warpSize = 32;
  properties->maxThreadsPerBlock = 1024;
  properties->maxThreadsDim[0] = 1024;
  properties->maxThreadsDim[1] = 1024;
  properties->maxThreadsDim[2] = 64;
  properties->maxGridSize[0] = 2147483647;
  properties->maxGridSize[1] = 65535;
  properties->maxGridSize[2] = 65535;
  properties->multiProcessorCount = int(std::max(1u, std::thread::hardware_concurrency()));
  properties->regsPerBlock = 65536;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }  // every call ran to completion

// ---- Errors -------------------------------------------------------------------------------------

cudaError_t cudaGetLastError() {
  const cudaError_t error = t_last_error;
  t_last_error = cudaSuccess;
  t_last_detail.clear();
  return error;
}

cudaError_t cudaPeekAtLastError() { return t_last_error; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  // The real runtime's sentences for the errors the stand-in returns.
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    default: return "unrecognized error code";
  }
}

// ---- Memory -------------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** pointer, size_t nbytes) {
  *pointer = nullptr;
  if (nbytes == 0) return cudaSuccess;
  // Exactly nbytes of ordinary heap memory, aligned as cudaMalloc's (256 bytes), so that
  // AddressSanitizer reports a kernel that steps past the end.
  void* memory = ::operator new(nbytes, std::align_val_t(256), std::nothrow);
  if (!memory)
    return fail(cudaErrorMemoryAllocation, concat("cudaMalloc: cannot allocate ", nbytes, " bytes"));
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.allocations[reinterpret_cast<uintptr_t>(memory)] = Allocation{nbytes, t_device};
  *pointer = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  if (pointer == nullptr) return cudaSuccess;
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    auto it = r.allocations.find(reinterpret_cast<uintptr_t>(pointer));
    if (it == r.allocations.end()) {
      const auto* inside = find_allocation(r, pointer);
      return fail(cudaErrorInvalidValue,
                  inside ? concat("cudaFree(", pointer_text(pointer), "): not the start of an allocation but ",
                                  reinterpret_cast<uintptr_t>(pointer) - inside->first, " bytes into the one at ",
                                  pointer_text(reinterpret_cast<const void*>(inside->first)))
                         : concat("cudaFree(", pointer_text(pointer),
                                  "): not a live device allocation (freed already, or never allocated)"));
    }
    r.allocations.erase(it);
  }
  ::operator delete(pointer, std::align_val_t(256));
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t nbytes, cudaMemcpyKind kind) {
  return checked_copy("cudaMemcpy", dst, src, nbytes, kind, nullptr);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t nbytes, cudaMemcpyKind kind, cudaStream_t stream) {
  return checked_copy("cudaMemcpyAsync", dst, src, nbytes, kind, stream);
}

cudaError_t cudaMemset(void* dst, int value, size_t nbytes) {
  return checked_set("cudaMemset", dst, value, nbytes, nullptr);
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t nbytes, cudaStream_t stream) {
  return checked_set("cudaMemsetAsync", dst, value, nbytes, stream);
}

// ---- Streams ------------------------------------------------------------------------------------

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
  // A stream is an opaque handle: any unique address serves.
  auto* handle = reinterpret_cast<cudaStream_t>(new char(0));
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.streams.insert(handle);
  *stream = handle;
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, 0); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    if (stream == nullptr || r.streams.erase(stream) == 0)
      return fail(cudaErrorInvalidResourceHandle,
                  "cudaStreamDestroy: the stream was never created or has been destroyed");
  }
  delete reinterpret_cast<char*>(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  if (!is_valid_stream(stream))
    return fail(cudaErrorInvalidResourceHandle,
                "cudaStreamSynchronize: the stream was never created or has been destroyed");
  return cudaSuccess;  // emulated calls finish before they return
}
