// The stand-in CUDA runtime of the emulated build: the checks a GPU does not make (a double free,
// a copy whose kind contradicts its pointers, a copy past the end of an allocation) fail with
// the real runtime's error codes and a sentence saying what was wrong, which BYTEGRAD_CUDA_CHECK
// turns into an Error naming the call, the file and the line.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/emulation/runtime.h"

namespace bytegrad::kernels::cuda {
namespace {

std::string error_of(cudaError_t status, const char* call = "call") {
  try {
    check_status(status, call, "here.cu", 7);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string error_of_macro(void (*call)()) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("stand-in runtime: allocations, copies and sets round-trip through device memory") {
  void* device = nullptr;
  REQUIRE(cudaMalloc(&device, 64) == cudaSuccess);
  CHECK(emulation::is_device_memory(device, 64));
  CHECK_FALSE(emulation::is_device_memory(device, 65));
  std::vector<unsigned char> host(64), back(64);
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<unsigned char>(i * 7 + 1);
  CHECK(cudaMemcpy(device, host.data(), 64, cudaMemcpyHostToDevice) == cudaSuccess);
  CHECK(cudaMemcpy(back.data(), device, 64, cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(back == host);
  CHECK(cudaMemsetAsync(static_cast<char*>(device) + 8, 0xab, 8, nullptr) == cudaSuccess);
  CHECK(cudaMemcpy(back.data(), device, 64, cudaMemcpyDefault) == cudaSuccess);  // inferred direction
  CHECK(back[7] == host[7]);
  CHECK(back[8] == 0xab);
  CHECK(back[16] == host[16]);
  CHECK(cudaFree(device) == cudaSuccess);
  CHECK(cudaFree(nullptr) == cudaSuccess);
}

TEST_CASE("stand-in runtime: misuse fails with the real error code and says what was wrong") {
  void* device = nullptr;
  REQUIRE(cudaMalloc(&device, 100) == cudaSuccess);
  std::vector<char> host(200);

  SUBCASE("a copy past the end of an allocation") {
    const std::string message = error_of(cudaMemcpy(device, host.data(), 101, cudaMemcpyHostToDevice), "cudaMemcpy(...)");
    CHECK(message.find("here.cu:7: cudaMemcpy(...) failed: cudaErrorInvalidValue (invalid argument)") == 0);
    CHECK(message.find("runs past the end of its device allocation") != std::string::npos);
    CHECK(message.find("100 bytes") != std::string::npos);
    CHECK(message.find("by 1 bytes") != std::string::npos);
    const std::string offset = error_of(cudaMemset(static_cast<char*>(device) + 60, 0, 41));
    CHECK(offset.find("by 1 bytes") != std::string::npos);
  }
  SUBCASE("a host pointer passed as device memory, and device memory as host memory") {
    const std::string host_as_device = error_of(cudaMemcpy(host.data(), device, 10, cudaMemcpyDeviceToDevice));
    CHECK(host_as_device.find("is not device memory") != std::string::npos);
    const std::string device_as_host = error_of(cudaMemcpy(device, device, 10, cudaMemcpyHostToDevice));
    CHECK(device_as_host.find("source") != std::string::npos);
    CHECK(device_as_host.find("is device memory") != std::string::npos);
    CHECK(device_as_host.find("the copy's kind says host memory") != std::string::npos);
  }
  SUBCASE("a double free, and a free inside an allocation") {
    const std::string inside = error_of(cudaFree(static_cast<char*>(device) + 16));
    CHECK(inside.find("not the start of an allocation but 16 bytes into the one at") != std::string::npos);
    void* other = nullptr;
    REQUIRE(cudaMalloc(&other, 8) == cudaSuccess);
    REQUIRE(cudaFree(other) == cudaSuccess);
    const std::string twice = error_of(cudaFree(other));
    CHECK(twice.find("not a live device allocation (freed already, or never allocated)") != std::string::npos);
  }
  SUBCASE("a stream that was destroyed") {
    cudaStream_t stream = nullptr;
    REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
    CHECK(cudaStreamSynchronize(stream) == cudaSuccess);
    REQUIRE(cudaStreamDestroy(stream) == cudaSuccess);
    const std::string message = error_of(cudaMemcpyAsync(device, host.data(), 4, cudaMemcpyHostToDevice, stream));
    CHECK(message.find("cudaErrorInvalidResourceHandle") != std::string::npos);
    CHECK(message.find("never created or has been destroyed") != std::string::npos);
  }
  SUBCASE("a device that does not exist") {
    int count = 0;
    REQUIRE(cudaGetDeviceCount(&count) == cudaSuccess);
    const std::string message = error_of(cudaSetDevice(count));
    CHECK(message.find("cudaErrorInvalidDevice") != std::string::npos);
    cudaDeviceProp properties{};
    CHECK(cudaGetDeviceProperties(&properties, 0) == cudaSuccess);
    CHECK(properties.warpSize == 32);
    CHECK(std::string(properties.name).find("emulated") != std::string::npos);
  }
  // Reported errors are cleared: the next check does not see them again.
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(emulation::last_error_detail().empty());
  CHECK(cudaFree(device) == cudaSuccess);
}

TEST_CASE("BYTEGRAD_CUDA_CHECK names the call, file and line") {
  const int line = __LINE__ + 1;
  const std::string message = error_of_macro([] { BYTEGRAD_CUDA_CHECK(cudaSetDevice(-1)); });
  CHECK(message.find(concat("runtime_test.cpp:", line, ": cudaSetDevice(-1) failed: cudaErrorInvalidDevice")) !=
        std::string::npos);
  CHECK(message.find("this process has") != std::string::npos);
}

}  // namespace
}  // namespace bytegrad::kernels::cuda
