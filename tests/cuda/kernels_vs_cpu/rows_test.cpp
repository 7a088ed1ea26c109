// The CUDA backend's row methods (softmax, cross-entropy, RMSNorm, LayerNorm, forward and
// backward) against the CPU backend's, on the same bytes, at awkward sizes (kernel_check.h), for
// every dtype the CPU offers them in.
#include <doctest/doctest.h>

#include <limits>

#include "tests/cuda/kernels_vs_cpu/kernel_check.h"

namespace bytegrad::testing {
namespace {

const std::vector<DType> kSoftmaxDTypes = {kFloat32, kFloat64, kBFloat16, kFloat16};
const std::vector<DType> kFloat32And64 = {kFloat32, kFloat64};

// Runs body(rows, n, seed) for every row count and length, in a doctest context naming them.
template <typename Body>
void for_each_size(DType dtype, Body&& body) {
  uint32_t seed = 1;
  for (const int64_t rows : kRowCounts)
    for (const int64_t n : kRowLengths) {
      INFO(dtype, ", ", rows, " rows of ", n);
      body(rows, n, seed++);
    }
}

TEST_CASE("cuda kernels: softmax and log-softmax match the CPU") {
  if (!have_cuda_device()) return;
  for (const DType dtype : kSoftmaxDTypes)
    for (const bool log : {false, true})
      for_each_size(dtype, [&](int64_t rows, int64_t n, uint32_t seed) {
        std::vector<double> x = random_values(size_t(rows * n), dtype, -8, 8, seed);
        // The last row fully masked (-inf), and one -inf inside the first row.
        if (rows > 1)
          for (int64_t i = 0; i < n; ++i) x[size_t((rows - 1) * n + i)] = -INFINITY;
        if (n > 1) x[1] = -INFINITY;
        HostArray in(dtype, {rows, n}, x), expected(dtype, {rows, n}, std::vector<double>(x.size()));
        cpu_backend().softmax(in.view(), expected.view(), log);
        const DeviceTensor device_in(dtype, {rows, n}, x),
            device_out(dtype, {rows, n}, std::vector<double>(x.size()));
        cuda_backend().softmax(device_in.view(), device_out.view(), log);
        check_close(log ? "log_softmax" : "softmax", device_out.values(), expected.values(),
                    tolerance_for(dtype));
      });
}

TEST_CASE("cuda kernels: softmax backward matches the CPU") {
  if (!have_cuda_device()) return;
  for (const DType dtype : kSoftmaxDTypes)
    for (const bool log : {false, true})
      for_each_size(dtype, [&](int64_t rows, int64_t n, uint32_t seed) {
        const size_t count = size_t(rows * n);
        // y: a forward output (probabilities, or log-probabilities).
        std::vector<double> y = random_values(count, dtype, 0, 1.0 / double(n), seed);
        if (log)
          for (double& v : y) v = std::log(v + 1e-3);
        y = from_bytes(dtype, to_bytes(dtype, y));
        const std::vector<double> g = random_values(count, dtype, -1, 1, seed + 1000);
        HostArray host_y(dtype, {rows, n}, y), host_g(dtype, {rows, n}, g),
            expected(dtype, {rows, n}, std::vector<double>(count));
        cpu_backend().softmax_backward(host_y.view(), host_g.view(), expected.view(), log);
        const DeviceTensor device_y(dtype, {rows, n}, y), device_g(dtype, {rows, n}, g),
            device_out(dtype, {rows, n}, std::vector<double>(count));
        cuda_backend().softmax_backward(device_y.view(), device_g.view(), device_out.view(), log);
        Tolerance tolerance = tolerance_for(dtype);
        tolerance.absolute *= 10;  // a difference of two sums of n terms, summed in other orders
        check_close(log ? "log_softmax backward" : "softmax backward", device_out.values(),
                    expected.values(), tolerance);
      });
}

TEST_CASE("cuda kernels: cross-entropy forward and backward match the CPU") {
  if (!have_cuda_device()) return;
  for (const DType dtype : kFloat32And64)
    for_each_size(dtype, [&](int64_t rows, int64_t vocab, uint32_t seed) {
      const size_t count = size_t(rows * vocab);
      const std::vector<double> logits = random_values(count, dtype, -6, 6, seed);
      std::vector<double> targets(static_cast<size_t>(rows));
      std::mt19937 engine(seed);
      for (double& t : targets) t = double(engine() % uint64_t(vocab));
      std::vector<double> grad_loss = random_values(size_t(rows), dtype, -1, 1, seed + 1);
      grad_loss[0] = 0;  // an ignored token: its row's gradient is zero
      const std::vector<double> per_row(static_cast<size_t>(rows));

      HostArray host_logits(dtype, {rows, vocab}, logits), host_targets(kInt64, {rows}, targets);
      HostArray loss(dtype, {rows}, per_row), lse(dtype, {rows}, per_row);
      HostArray host_grad_loss(dtype, {rows}, grad_loss), grad(dtype, {rows, vocab}, std::vector<double>(count));
      cpu_backend().cross_entropy(host_logits.view(), host_targets.view(), loss.view(), lse.view());
      cpu_backend().cross_entropy_backward(host_logits.view(), host_targets.view(), lse.view(),
                                           host_grad_loss.view(), grad.view());

      const DeviceTensor d_logits(dtype, {rows, vocab}, logits), d_targets(kInt64, {rows}, targets),
          d_loss(dtype, {rows}, per_row), d_lse(dtype, {rows}, per_row),
          d_grad_loss(dtype, {rows}, grad_loss), d_grad(dtype, {rows, vocab}, std::vector<double>(count));
      cuda_backend().cross_entropy(d_logits.view(), d_targets.view(), d_loss.view(), d_lse.view());
      cuda_backend().cross_entropy_backward(d_logits.view(), d_targets.view(), d_lse.view(),
                                            d_grad_loss.view(), d_grad.view());
      check_close("cross_entropy loss", d_loss.values(), loss.values(), tolerance_for(dtype));
      check_close("cross_entropy log_normalizer", d_lse.values(), lse.values(), tolerance_for(dtype));
      check_close("cross_entropy_backward", d_grad.values(), grad.values(), tolerance_for(dtype));
    });
}

TEST_CASE("cuda kernels: RMSNorm forward and backward match the CPU") {
  if (!have_cuda_device()) return;
  for (const DType dtype : kFloat32And64)
    for (const bool want_weight_gradient : {true, false})
      for_each_size(dtype, [&](int64_t rows, int64_t dim, uint32_t seed) {
        const size_t count = size_t(rows * dim);
        const std::vector<double> x = random_values(count, dtype, -3, 3, seed);
        const std::vector<double> weight = random_values(size_t(dim), dtype, 0.5, 1.5, seed + 1);
        const std::vector<double> g = random_values(count, dtype, -1, 1, seed + 2);
        const double eps = 1e-5;
        HostArray hx(dtype, {rows, dim}, x), hw(dtype, {dim}, weight), hg(dtype, {rows, dim}, g);
        HostArray out(dtype, {rows, dim}, std::vector<double>(count)), inv(dtype, {rows}, std::vector<double>(size_t(rows)));
        HostArray gx(dtype, {rows, dim}, std::vector<double>(count)), gw(dtype, {dim}, std::vector<double>(size_t(dim)));
        cpu_backend().rms_norm(hx.view(), hw.view(), eps, out.view(), inv.view());
        cpu_backend().rms_norm_backward(hx.view(), hw.view(), inv.view(), hg.view(), gx.view(),
                                        want_weight_gradient ? gw.view() : kernels::ArrayView{});

        const DeviceTensor dx(dtype, {rows, dim}, x), dw(dtype, {dim}, weight), dg(dtype, {rows, dim}, g);
        const DeviceTensor d_out(dtype, {rows, dim}, std::vector<double>(count)),
            d_inv(dtype, {rows}, std::vector<double>(size_t(rows)));
        const DeviceTensor d_gx(dtype, {rows, dim}, std::vector<double>(count)),
            d_gw(dtype, {dim}, std::vector<double>(size_t(dim), -7.0));
        cuda_backend().rms_norm(dx.view(), dw.view(), eps, d_out.view(), d_inv.view());
        cuda_backend().rms_norm_backward(dx.view(), dw.view(), d_inv.view(), dg.view(), d_gx.view(),
                                         want_weight_gradient ? d_gw.view() : kernels::ArrayView{});
        check_close("rms_norm", d_out.values(), out.values(), tolerance_for(dtype));
        check_close("rms_norm inverse_rms", d_inv.values(), inv.values(), tolerance_for(dtype));
        check_close("rms_norm_backward grad_x", d_gx.values(), gx.values(), tolerance_for(dtype));
        if (want_weight_gradient)
          check_close("rms_norm_backward grad_weight", d_gw.values(), gw.values(), tolerance_for(dtype));
        else
          check_close("rms_norm_backward leaves grad_weight alone", d_gw.values(),
                      std::vector<double>(size_t(dim), -7.0), tolerance_for(dtype));
      });
}

TEST_CASE("cuda kernels: LayerNorm forward and backward match the CPU") {
  if (!have_cuda_device()) return;
  for (const DType dtype : kFloat32And64)
    for (const bool want_parameter_gradients : {true, false})
      for_each_size(dtype, [&](int64_t rows, int64_t dim, uint32_t seed) {
        const size_t count = size_t(rows * dim);
        // A mean far from zero against the spread: a one-pass variance would lose it.
        const std::vector<double> x = random_values(count, dtype, 50, 53, seed);
        const std::vector<double> weight = random_values(size_t(dim), dtype, 0.5, 1.5, seed + 1);
        const std::vector<double> bias = random_values(size_t(dim), dtype, -1, 1, seed + 2);
        const std::vector<double> g = random_values(count, dtype, -1, 1, seed + 3);
        const double eps = 1e-5;
        const std::vector<double> zeros(count), row_zeros(static_cast<size_t>(rows)), dim_zeros(static_cast<size_t>(dim));
        HostArray hx(dtype, {rows, dim}, x), hw(dtype, {dim}, weight), hb(dtype, {dim}, bias),
            hg(dtype, {rows, dim}, g);
        HostArray out(dtype, {rows, dim}, zeros), mean(dtype, {rows}, row_zeros), inv(dtype, {rows}, row_zeros);
        HostArray gx(dtype, {rows, dim}, zeros), gw(dtype, {dim}, dim_zeros), gb(dtype, {dim}, dim_zeros);
        cpu_backend().layer_norm(hx.view(), hw.view(), hb.view(), eps, out.view(), mean.view(), inv.view());
        cpu_backend().layer_norm_backward(
            hx.view(), hw.view(), mean.view(), inv.view(), hg.view(), gx.view(),
            want_parameter_gradients ? gw.view() : kernels::ArrayView{},
            want_parameter_gradients ? gb.view() : kernels::ArrayView{});

        const DeviceTensor dx(dtype, {rows, dim}, x), dw(dtype, {dim}, weight), db(dtype, {dim}, bias),
            dg(dtype, {rows, dim}, g);
        const DeviceTensor d_out(dtype, {rows, dim}, zeros), d_mean(dtype, {rows}, row_zeros),
            d_inv(dtype, {rows}, row_zeros);
        const DeviceTensor d_gx(dtype, {rows, dim}, zeros), d_gw(dtype, {dim}, dim_zeros),
            d_gb(dtype, {dim}, dim_zeros);
        cuda_backend().layer_norm(dx.view(), dw.view(), db.view(), eps, d_out.view(), d_mean.view(),
                                  d_inv.view());
        cuda_backend().layer_norm_backward(
            dx.view(), dw.view(), d_mean.view(), d_inv.view(), dg.view(), d_gx.view(),
            want_parameter_gradients ? d_gw.view() : kernels::ArrayView{},
            want_parameter_gradients ? d_gb.view() : kernels::ArrayView{});
        // The statistics of values near 51 in float32 carry float32's rounding of 51.
        Tolerance tolerance = tolerance_for(dtype);
        tolerance.absolute *= 100;
        check_close("layer_norm", d_out.values(), out.values(), tolerance);
        check_close("layer_norm mean", d_mean.values(), mean.values(), tolerance_for(dtype));
        check_close("layer_norm inverse_std", d_inv.values(), inv.values(), tolerance);
        check_close("layer_norm_backward grad_x", d_gx.values(), gx.values(), tolerance);
        check_close("layer_norm_backward grad_weight", d_gw.values(), gw.values(), tolerance);
        check_close("layer_norm_backward grad_bias", d_gb.values(), gb.values(), tolerance);
      });
}

}  // namespace
}  // namespace bytegrad::testing
