// `bytegrad bench [core|train|generate|tfree]`: speed of the tensor core beside the libraries
// underneath it (core, below), or training throughput (train, tools/bench_train.cpp) and decoding
// speed (generate, tools/bench_generate.cpp) beside PyTorch, or T-Free encoding and dictionary
// decoding (tfree, tools/bench_tfree.cpp), or generation from a ZeRO-3-sharded model
// (sharded-generate, tools/bench_sharded.cpp).
//   matmul: our matmul vs. cblas_sgemm called directly vs. Eigen's own GEMM (GFLOP/s)
//   elementwise/softmax: our ops vs. the same loop written directly with Eigen (GB/s)
//   dispatch: time per call of a tiny op (allocation, checks, dispatch)
// Each figure is the median of several timed repetitions after a warm-up.
#include <cblas.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "bytegrad.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

extern "C" char* openblas_get_corename();

namespace bytegrad::tools {

int run_bench_train(const Args& args);     // tools/bench_train.cpp
int run_bench_generate(const Args& args);  // tools/bench_generate.cpp
int run_bench_tfree(const Args& args);     // tools/bench_tfree.cpp
int run_bench_weights(const Args& args);   // tools/bench_weights.cpp
int run_bench_sharded_generate(const Args& args);  // tools/bench_sharded.cpp

namespace {

double median_seconds(const std::function<void()>& work, int repeats) {
  work();  // warm-up: page faults, thread start-up
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C[m,n] = op(A) @ op(B), where A is stored [m,k] (or [k,m] when transposed), B likewise.
void bench_matmul(int64_t m, int64_t n, int64_t k, bool transpose_a, bool transpose_b) {
  Generator g(7);
  const Tensor a = randn(transpose_a ? Shape{k, m} : Shape{m, k}, {}, &g);
  const Tensor b = randn(transpose_b ? Shape{n, k} : Shape{k, n}, {}, &g);
  const Tensor lhs = transpose_a ? ops::transpose(a, 0, 1) : a;
  const Tensor rhs = transpose_b ? ops::transpose(b, 0, 1) : b;
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int repeats = flops > 1e10 ? 5 : 15;

  const double ours = median_seconds([&] { ops::matmul(lhs, rhs); }, repeats);
  std::vector<float> c(size_t(m * n));
  const double openblas = median_seconds([&] {
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f,
                a.data<float>(), int(transpose_a ? m : k), b.data<float>(), int(transpose_b ? k : n),
                0.0f, c.data(), int(n));
  }, repeats);
  Eigen::Map<const MatrixF> ea(a.data<float>(), transpose_a ? k : m, transpose_a ? m : k);
  Eigen::Map<const MatrixF> eb(b.data<float>(), transpose_b ? n : k, transpose_b ? k : n);
  MatrixF ec(m, n);
  const double eigen = median_seconds([&] {
    if (transpose_a && transpose_b) ec.noalias() = ea.transpose() * eb.transpose();
    else if (transpose_a) ec.noalias() = ea.transpose() * eb;
    else if (transpose_b) ec.noalias() = ea * eb.transpose();
    else ec.noalias() = ea * eb;
  }, repeats);
  char label[64];
  std::snprintf(label, sizeof label, "%s[%lldx%lld] @ %s[%lldx%lld]", transpose_a ? "T" : "",
                (long long)(transpose_a ? k : m), (long long)(transpose_a ? m : k),
                transpose_b ? "T" : "", (long long)(transpose_b ? n : k), (long long)(transpose_b ? k : n));
  std::printf("  %-32s %8.1f %10.1f %9.1f %8.0f%%\n", label, flops / ours * 1e-9,
              flops / openblas * 1e-9, flops / eigen * 1e-9, 100.0 * openblas / ours);
}

void bench_elementwise(int64_t n) {
  Generator g(3);
  const Tensor x = randn({n}, {}, &g), y = randn({n}, {}, &g);
  using ArrayF = Eigen::Array<float, Eigen::Dynamic, 1>;
  Eigen::Map<const ArrayF> ex(x.data<float>(), n), ey(y.data<float>(), n);
  ArrayF ez(n);
  const double bytes_binary = 3.0 * 4.0 * double(n), bytes_unary = 2.0 * 4.0 * double(n);
  NoGradGuard no_grad;
  auto row = [](const char* name, double bytes, double ours, double direct) {
    std::printf("  %-32s %8.1f %10.1f %9.0f%%\n", name, bytes / ours * 1e-9, bytes / direct * 1e-9,
                100.0 * direct / ours);
  };
  row("add [n] + [n]", bytes_binary, median_seconds([&] { add(x, y); }, 20),
      median_seconds([&] { ez = ex + ey; }, 20));
  row("mul [n] * [n]", bytes_binary, median_seconds([&] { mul(x, y); }, 20),
      median_seconds([&] { ez = ex * ey; }, 20));
  row("exp [n]", bytes_unary, median_seconds([&] { exp(x); }, 20),
      median_seconds([&] { ez = ex.exp(); }, 20));
  row("gelu(tanh) [n]", bytes_unary, median_seconds([&] { gelu(x, true); }, 20),
      median_seconds([&] {
        ez = 0.5f * ex * (1.0f + (0.7978845608f * (ex + 0.044715f * ex.cube())).tanh());
      }, 20));

  // Softmax over rows of a [rows, 1024] matrix, the attention/logits shape.
  const int64_t cols = 1024, rows = n / cols;
  const Tensor logits = reshape(x, {rows, cols});
  MatrixF out(rows, cols);
  Eigen::Map<const MatrixF> in(x.data<float>(), rows, cols);
  const double direct = median_seconds([&] {
    for (int64_t r = 0; r < rows; ++r) {
      const float peak = in.row(r).maxCoeff();
      out.row(r) = (in.row(r).array() - peak).exp().matrix();
      out.row(r) /= out.row(r).sum();
    }
  }, 20);
  row("softmax [rows, 1024] dim -1", bytes_unary, median_seconds([&] { softmax(logits, -1); }, 20),
      direct);
}

void bench_dispatch() {
  const Tensor a = ones({4}), b = ones({4});
  const int calls = 20000;
  const double seconds = median_seconds([&] {
    NoGradGuard no_grad;
    for (int i = 0; i < calls; ++i) add(a, b);
  }, 7);
  std::printf("  add of two [4] tensors: %.2f us per op (no grad)\n", seconds / calls * 1e6);
  const Tensor p = ones({4}).set_requires_grad();
  const double recorded = median_seconds([&] {
    for (int i = 0; i < calls; ++i) add(p, b);
  }, 7);
  std::printf("  add of two [4] tensors: %.2f us per op (recording the graph)\n",
              recorded / calls * 1e6);
}

}  // namespace

int run_bench(const Args& args) {
  if (!args.empty() && args[0] == "train") return run_bench_train(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "generate") return run_bench_generate(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "tfree") return run_bench_tfree(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "weights") return run_bench_weights(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "sharded-generate") return run_bench_sharded_generate(Args(args.begin() + 1, args.end()));
  const std::string what = parse_options(command_spec("bench"), args).positional().value_or("core");
  BYTEGRAD_CHECK(what == "core", "bench: unknown benchmark '", what,
                 "' (available: core, train, generate, tfree, weights)");
  // OpenBLAS honours OPENBLAS_CORETYPE; the kernel family it runs decides the GEMM ceiling.
  std::printf("OpenBLAS kernels: %s\n", openblas_get_corename());
  std::printf("matmul, float32                    ours GFLOP/s  OpenBLAS  Eigen   BLAS/ours\n");
  for (int64_t s : {256, 512, 1024, 2048}) bench_matmul(s, s, s, false, false);
  // A GPT-2-small MLP layer on 2048 tokens: forward, and the two products backward needs.
  bench_matmul(2048, 3072, 768, false, false);  // Y = X W
  bench_matmul(2048, 768, 3072, false, true);   // dX = dY W^T
  bench_matmul(768, 3072, 2048, true, false);   // dW = X^T dY
  std::printf("\nmemory-bound ops, float32, 2^24 elements   ours GB/s  Eigen GB/s  Eigen/ours\n");
  bench_elementwise(int64_t(1) << 24);
  std::printf("\ndispatch overhead\n");
  bench_dispatch();
  return 0;
}

}  // namespace bytegrad::tools
