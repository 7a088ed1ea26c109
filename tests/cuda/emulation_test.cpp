// The emulated CUDA execution model (kernels/cuda/emulation/): kernels written as for a GPU,
// run on CPU fibers. These tests hold it to CUDA's semantics where kernels can observe them, and
// check that the mistakes a GPU punishes unpredictably (a missing barrier, a barrier some threads
// never reach, a warp mask naming a lane that has returned) fail here visibly.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/half.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/emulation/fiber_stacks.h"

namespace bytegrad::kernels::cuda {
namespace {

using emulation::ThreadOrder;

// ---- Kernels under test ---------------------------------------------------------------------

__global__ void write_global_indices(int* out) {
  const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned threads_per_block = blockDim.x * blockDim.y * blockDim.z;
  out[block * threads_per_block + thread] = int(block * 1000 + thread);
}

// Reverses each block's slice through static shared memory: right only with the barrier.
__global__ void reverse_in_blocks(const int* in, int* out) {
  __shared__ int tile[64];
  const int t = int(threadIdx.x), base = int(blockIdx.x * blockDim.x);
  tile[t] = in[base + t];
  __syncthreads();
  out[base + t] = tile[int(blockDim.x) - 1 - t];
}

// Each thread reads its left neighbour's value from shared memory without waiting for it: right
// only when the threads happen to run in increasing order.
__global__ void read_left_neighbour_without_barrier(int* out) {
  BYTEGRAD_DYNAMIC_SHARED(int, values);
  const int t = int(threadIdx.x);
  values[t] = t + 1;
  out[blockIdx.x * blockDim.x + t] = t == 0 ? 0 : values[t - 1];
}

__global__ void read_left_neighbour_with_barrier(int* out) {
  BYTEGRAD_DYNAMIC_SHARED(int, values);
  const int t = int(threadIdx.x);
  values[t] = t + 1;
  __syncthreads();
  out[blockIdx.x * blockDim.x + t] = t == 0 ? 0 : values[t - 1];
}

__global__ void divergent_barriers(int* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

// The first threads return early; the rest meet at a barrier, which counts only live threads.
__global__ void barrier_after_early_return(int* out) {
  if (threadIdx.x < 8) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void shuffle_with_returned_lane(int* out) {
  if (threadIdx.x == 3) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, int(threadIdx.x), 0);
}

__global__ void shuffle_without_own_lane(int* out) {
  out[threadIdx.x] = __shfl_sync(0x1u, int(threadIdx.x), 0);
}

__global__ void throw_from_thread_five() {
  if (threadIdx.x == 5) throw std::runtime_error("thread five gives up");
  __syncthreads();
}

// Sums each warp's values with a shuffle-down tree; lane 0 writes the warp's sum.
__global__ void warp_sums(const float* in, float* out) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  float value = in[i];
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_down_sync(0xffffffffu, value, offset);
  if (threadIdx.x % 32 == 0) out[i / 32] = value;
}

// Every lane gets the sum of its group of 8 lanes by a butterfly of xor shuffles.
__global__ void group_sums_by_xor(const int* in, int* out) {
  int value = in[threadIdx.x];
  for (int mask = 4; mask > 0; mask /= 2) value += __shfl_xor_sync(0xffffffffu, value, mask, 8);
  out[threadIdx.x] = value;
}

// Inclusive prefix sums within each warp by shuffling up.
__global__ void warp_prefix_sums(const double* in, double* out) {
  double value = in[threadIdx.x];
  const int lane = int(threadIdx.x % 32);
  for (int delta = 1; delta < 32; delta *= 2) {
    const double other = __shfl_up_sync(0xffffffffu, value, unsigned(delta));
    if (lane >= delta) value += other;
  }
  out[threadIdx.x] = value;
}

__global__ void broadcast_from_lane(const int* in, int* out, int source) {
  out[threadIdx.x] = __shfl_sync(0xffffffffu, in[threadIdx.x], source);
}

__global__ void ballots(const int* in, unsigned* out, int* any, int* all) {
  const int predicate = in[threadIdx.x] > 0;
  out[threadIdx.x] = __ballot_sync(0xffffffffu, predicate);
  any[threadIdx.x] = __any_sync(0xffffffffu, predicate);
  all[threadIdx.x] = __all_sync(0xffffffffu, predicate);
}

// Two halves of a warp synchronise separately with their own masks.
__global__ void half_warp_sync(int* out) {
  __shared__ int slots[32];
  const unsigned lane = threadIdx.x;
  const unsigned half = lane < 16 ? 0x0000ffffu : 0xffff0000u;
  slots[lane] = int(lane);
  __syncwarp(half);
  out[lane] = slots[lane ^ 1u];
}

__global__ void count_positive(const int* in, int* out) {
  out[threadIdx.x] = __syncthreads_count(in[threadIdx.x] > 0);
}

__global__ void atomics(float* sum, int* maximum, unsigned long long* exchanges, unsigned* ticket,
                        __nv_bfloat16* half_sum) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(sum, 1.0f);
  atomicMax(maximum, int(i));
  atomicAdd(half_sum, __float2bfloat16(1.0f));
  // Compare-and-swap: each thread claims the next ticket number exactly once.
  unsigned expected = atomicAdd(ticket, 0u);
  for (;;) {
    const unsigned seen = atomicCAS(ticket, expected, expected + 1);
    if (seen == expected) break;
    expected = seen;
  }
  atomicAdd(exchanges, 1ull);
}

// Device buffers that free themselves.
template <typename T> struct DeviceBuffer {
  T* data = nullptr;
  size_t count = 0;
  explicit DeviceBuffer(const std::vector<T>& host) : count(host.size()) {
    BYTEGRAD_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data), count * sizeof(T)));
    BYTEGRAD_CUDA_CHECK(cudaMemcpy(data, host.data(), count * sizeof(T), cudaMemcpyHostToDevice));
  }
  explicit DeviceBuffer(size_t n) : DeviceBuffer(std::vector<T>(n)) {}
  ~DeviceBuffer() { cudaFree(data); }
  std::vector<T> read() const {
    std::vector<T> host(count);
    BYTEGRAD_CUDA_CHECK(cudaMemcpy(host.data(), data, count * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
};

// Restores the alternating thread order when a test that fixed one ends.
struct FixedOrder {
  explicit FixedOrder(ThreadOrder order) { emulation::set_thread_order(order); }
  ~FixedOrder() { emulation::alternate_thread_order(); }
};

std::string launch_error(auto&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ---- Tests ----------------------------------------------------------------------------------

TEST_CASE("emulated launch: every thread of a 3-D grid of 3-D blocks runs once with its indices") {
  const dim3 grid(3, 2, 2), block(5, 3, 2);
  const size_t blocks = 12, threads = 30;
  DeviceBuffer<int> out(std::vector<int>(blocks * threads, -1));
  launch(write_global_indices, grid, block, 0, nullptr, out.data);
  BYTEGRAD_CUDA_CHECK_LAUNCH("write_global_indices");
  const std::vector<int> values = out.read();
  for (size_t b = 0; b < blocks; ++b)
    for (size_t t = 0; t < threads; ++t) CHECK(values[b * threads + t] == int(b * 1000 + t));
}

TEST_CASE("emulated launch: __syncthreads orders shared-memory writes before reads in both orders") {
  std::vector<int> input(64 * 5);
  std::iota(input.begin(), input.end(), 0);
  for (ThreadOrder order : {ThreadOrder::Forward, ThreadOrder::Reverse}) {
    FixedOrder fixed(order);
    DeviceBuffer<int> in(input), out(input.size());
    launch(reverse_in_blocks, dim3(5), dim3(64), 0, nullptr, in.data, out.data);
    const std::vector<int> values = out.read();
    for (int b = 0; b < 5; ++b)
      for (int t = 0; t < 64; ++t) CHECK(values[size_t(b * 64 + t)] == input[size_t(b * 64 + 63 - t)]);
  }
}

TEST_CASE("emulated launch: a missing barrier gives a wrong answer in one of the two orders") {
  const int threads = 37;
  auto run = [&](auto kernel, int blocks) {
    DeviceBuffer<int> out(size_t(blocks * threads));
    launch(kernel, dim3(unsigned(blocks)), dim3(threads), threads * sizeof(int), nullptr, out.data);
    return out.read();
  };
  auto is_right = [&](const std::vector<int>& values, int block) {
    for (int t = 0; t < threads; ++t)
      if (values[size_t(block * threads + t)] != t) return false;
    return true;
  };
  {
    FixedOrder fixed(ThreadOrder::Forward);
    CHECK(is_right(run(read_left_neighbour_without_barrier, 1), 0));  // the lucky order
    CHECK(is_right(run(read_left_neighbour_with_barrier, 1), 0));
  }
  {
    FixedOrder fixed(ThreadOrder::Reverse);
    CHECK_FALSE(is_right(run(read_left_neighbour_without_barrier, 1), 0));  // caught
    CHECK(is_right(run(read_left_neighbour_with_barrier, 1), 0));
  }
  // By default neighbouring blocks run in opposite orders, so any launch of two blocks shows it.
  const std::vector<int> values = run(read_left_neighbour_without_barrier, 2);
  CHECK(is_right(values, 0) != is_right(values, 1));
  const std::vector<int> fixed_values = run(read_left_neighbour_with_barrier, 2);
  CHECK((is_right(fixed_values, 0) && is_right(fixed_values, 1)));
}

TEST_CASE("emulated launch: barriers that can never complete raise an error instead of hanging") {
  DeviceBuffer<int> out(64);
  const std::string divergent = launch_error([&] { launch(divergent_barriers, dim3(1), dim3(32), 0, nullptr, out.data); });
  CHECK(divergent.find("can never finish") != std::string::npos);
  CHECK(divergent.find("16 threads at __syncthreads at") != std::string::npos);
  CHECK(divergent.find("emulation_test.cpp") != std::string::npos);

  const std::string returned = launch_error([&] { launch(shuffle_with_returned_lane, dim3(1), dim3(32), 0, nullptr, out.data); });
  CHECK(returned.find("__shfl_sync") != std::string::npos);
  CHECK(returned.find("lane 3 has already returned") != std::string::npos);

  const std::string own_lane = launch_error([&] { launch(shuffle_without_own_lane, dim3(1), dim3(32), 0, nullptr, out.data); });
  CHECK(own_lane.find("does not include the calling lane") != std::string::npos);

  const std::string missing = launch_error([&] { launch(shuffle_without_own_lane, dim3(1), dim3(1), 0, nullptr, out.data); });
  CHECK(missing.empty());  // a block of one thread: mask 0x1 names only itself
  // A full-warp mask in a block of 20 threads names lanes that do not exist.
  const std::string partial = launch_error([&] { launch(broadcast_from_lane, dim3(1), dim3(20), 0, nullptr, out.data, out.data, 0); });
  CHECK(partial.find("lane 20 does not exist in a block of 20 threads") != std::string::npos);

  // The emulation is usable after an aborted launch.
  launch(barrier_after_early_return, dim3(1), dim3(32), 0, nullptr, out.data);
  const std::vector<int> values = out.read();
  CHECK(values[7] != 1);
  CHECK(values[8] == 1);
  CHECK(values[31] == 1);
}

TEST_CASE("emulated launch: an exception thrown by a kernel thread reaches the caller") {
  CHECK_THROWS_WITH_AS(launch(throw_from_thread_five, dim3(3), dim3(16), 0, nullptr), "thread five gives up",
                       std::runtime_error);
}

TEST_CASE("emulated warp intrinsics: shuffles, ballots and __syncwarp match CUDA's definitions") {
  std::vector<float> values(96);
  for (size_t i = 0; i < values.size(); ++i) values[i] = float(i % 7) - 2.5f;
  DeviceBuffer<float> in(values), sums(3);
  launch(warp_sums, dim3(1), dim3(96), 0, nullptr, in.data, sums.data);
  const std::vector<float> warp_totals = sums.read();
  for (size_t w = 0; w < 3; ++w)
    CHECK(warp_totals[w] == doctest::Approx(std::accumulate(values.begin() + long(w * 32), values.begin() + long(w * 32 + 32), 0.0)));

  std::vector<int> ints(32);
  for (int i = 0; i < 32; ++i) ints[size_t(i)] = i * i - 3;
  DeviceBuffer<int> int_in(ints), group_out(32);
  launch(group_sums_by_xor, dim3(1), dim3(32), 0, nullptr, int_in.data, group_out.data);
  const std::vector<int> groups = group_out.read();
  for (int i = 0; i < 32; ++i) {
    const int base = i / 8 * 8;
    CHECK(groups[size_t(i)] == std::accumulate(ints.begin() + base, ints.begin() + base + 8, 0));
  }

  std::vector<double> doubles(64);
  for (size_t i = 0; i < doubles.size(); ++i) doubles[i] = 0.5 * double(i) + 1.0 / double(i + 1);
  DeviceBuffer<double> double_in(doubles), scan_out(64);
  launch(warp_prefix_sums, dim3(1), dim3(64), 0, nullptr, double_in.data, scan_out.data);
  const std::vector<double> scans = scan_out.read();
  for (size_t i = 0; i < 64; ++i) {
    const size_t base = i / 32 * 32;
    CHECK(scans[i] == doctest::Approx(std::accumulate(doubles.begin() + long(base), doubles.begin() + long(i) + 1, 0.0)));
  }

  DeviceBuffer<int> broadcast(32);
  launch(broadcast_from_lane, dim3(1), dim3(32), 0, nullptr, int_in.data, broadcast.data, 37);  // 37 % 32 = 5
  for (int v : broadcast.read()) CHECK(v == ints[5]);

  std::vector<int> signs(32);
  for (int i = 0; i < 32; ++i) signs[size_t(i)] = (i % 3 == 0) ? 1 : -1;
  unsigned expected_ballot = 0;
  for (int i = 0; i < 32; ++i) expected_ballot |= unsigned(signs[size_t(i)] > 0) << i;
  DeviceBuffer<int> sign_in(signs), any(32), all(32);
  DeviceBuffer<unsigned> ballot_out(32);
  launch(ballots, dim3(1), dim3(32), 0, nullptr, sign_in.data, ballot_out.data, any.data, all.data);
  for (unsigned b : ballot_out.read()) CHECK(b == expected_ballot);
  for (int a : any.read()) CHECK(a == 1);
  for (int a : all.read()) CHECK(a == 0);

  DeviceBuffer<int> swapped(32);
  launch(half_warp_sync, dim3(1), dim3(32), 0, nullptr, swapped.data);
  const std::vector<int> pairs = swapped.read();
  for (int i = 0; i < 32; ++i) CHECK(pairs[size_t(i)] == (i ^ 1));

  DeviceBuffer<int> counts(40);
  std::vector<int> mixed(40);
  for (int i = 0; i < 40; ++i) mixed[size_t(i)] = i % 5 == 0 ? 1 : 0;
  DeviceBuffer<int> mixed_in(mixed);
  launch(count_positive, dim3(1), dim3(40), 0, nullptr, mixed_in.data, counts.data);
  for (int c : counts.read()) CHECK(c == 8);
}

TEST_CASE("emulated atomics are atomic across blocks that run in parallel") {
  DeviceBuffer<float> sum(1);
  DeviceBuffer<int> maximum(std::vector<int>{-1});
  DeviceBuffer<unsigned long long> count(1);
  DeviceBuffer<unsigned> ticket(1);
  DeviceBuffer<__nv_bfloat16> half_sum(std::vector<__nv_bfloat16>{__float2bfloat16(0.0f)});
  const unsigned blocks = 37, threads = 1000;  // enough CUDA threads for blocks to run in parallel
  launch(atomics, dim3(blocks), dim3(threads), 0, nullptr, sum.data, maximum.data, count.data, ticket.data,
         half_sum.data);
  CHECK(sum.read()[0] == float(blocks * threads));  // exact: integers below 2^24
  CHECK(maximum.read()[0] == int(blocks * threads - 1));
  CHECK(count.read()[0] == blocks * threads);
  CHECK(ticket.read()[0] == blocks * threads);
  CHECK(__bfloat162float(half_sum.read()[0]) == 256.0f);  // bfloat16 stops counting at 2^8
}

TEST_CASE("emulated launch: invalid shapes set cudaErrorInvalidConfiguration as a real launch does") {
  DeviceBuffer<int> out(1);
  launch(write_global_indices, dim3(1), dim3(1025), 0, nullptr, out.data);
  CHECK_THROWS_WITH_AS(BYTEGRAD_CUDA_CHECK_LAUNCH("write_global_indices"),
                       doctest::Contains("1025 threads per block (at most 1024)"), Error);
  launch(write_global_indices, dim3(0), dim3(32), 0, nullptr, out.data);
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  CHECK(cudaGetLastError() == cudaSuccess);
}

TEST_CASE("emulated launch: fiber stacks are pooled, not mapped per launch") {
  DeviceBuffer<int> out(256);
  launch(write_global_indices, dim3(1), dim3(256), 0, nullptr, out.data);
  const size_t mapped = emulation::FiberStackPool::for_this_thread().mapped();
  CHECK(mapped >= 256);
  for (int i = 0; i < 5; ++i) launch(write_global_indices, dim3(1), dim3(256), 0, nullptr, out.data);
  CHECK(emulation::FiberStackPool::for_this_thread().mapped() == mapped);
}

TEST_CASE("CUDA's bfloat16 and float16 host conversions round as bytegrad's CPU types do") {
  // Powers of two, values between representable halves (ties), subnormals, overflow, signs.
  std::vector<float> samples = {0.0f, -0.0f, 1.0f, -1.5f, 65504.0f, 65520.0f, 1e-8f, 6e-8f, 3.0e38f};
  for (int i = 0; i < 4000; ++i) samples.push_back(float(i - 2000) * 0.37113f + float(i % 13) * 1e-3f);
  for (int e = -30; e <= 30; ++e) samples.push_back(std::ldexp(1.0f + 1.0f / 256 + 1.0f / 512, e));
  for (float x : samples) {
    CAPTURE(x);
    const __nv_bfloat16 b = __float2bfloat16(x);
    const __half h = __float2half(x);
    uint16_t b_bits, h_bits;
    std::memcpy(&b_bits, &b, 2);
    std::memcpy(&h_bits, &h, 2);
    CHECK(b_bits == BFloat16(x).bits);
    CHECK(h_bits == Float16(x).bits);
    CHECK(__bfloat162float(b) == float(BFloat16(x)));
    CHECK(__half2float(h) == float(Float16(x)));
  }
}

}  // namespace
}  // namespace bytegrad::kernels::cuda
