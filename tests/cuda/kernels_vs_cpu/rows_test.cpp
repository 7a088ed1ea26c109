// The row kernels of kernels/cuda/row_kernels.h against the CPU backend's methods of the same
// names, on the same bytes, at awkward sizes (kernel_check.h), for every dtype the CPU offers
// them in.
#include <doctest/doctest.h>

#include <limits>

#include "kernels/cuda/device_types.h"
#include "kernels/cuda/row_kernels.h"
#include "tests/cuda/kernels_vs_cpu/kernel_check.h"

namespace bytegrad::testing {
namespace {

using kernels::cuda::device_cast;

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
        const DeviceArray device_in(dtype, x), device_out(dtype, std::vector<double>(x.size()));
        visit_dtype(dtype, [&]<typename T>() {
          if constexpr (std::is_floating_point_v<compute_t<T>>)
            kernels::cuda::softmax_rows(nullptr, device_cast<T>(device_in.data()),
                                        device_cast<T>(device_out.data()), rows, n, log);
        });
        check_close(log ? "log_softmax" : "softmax", device_out.download(), expected.values(),
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
        const DeviceArray device_y(dtype, y), device_g(dtype, g),
            device_out(dtype, std::vector<double>(count));
        visit_dtype(dtype, [&]<typename T>() {
          if constexpr (std::is_floating_point_v<compute_t<T>>)
            kernels::cuda::softmax_backward_rows(
                nullptr, device_cast<T>(device_y.data()), device_cast<T>(device_g.data()),
                device_cast<T>(device_out.data()), rows, n, log);
        });
        Tolerance tolerance = tolerance_for(dtype);
        tolerance.absolute *= 10;  // a difference of two sums of n terms, summed in other orders
        check_close(log ? "log_softmax backward" : "softmax backward", device_out.download(),
                    expected.values(), tolerance);
      });
}

// Runs fn.template operator()<T>() for float and double only (the dtypes of the CPU's fused
// row ops).
template <typename Fn>
void visit_float_or_double(DType dtype, Fn&& fn) {
  if (dtype == kFloat64) fn.template operator()<double>();
  else fn.template operator()<float>();
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

      const DeviceArray d_logits(dtype, logits), d_targets(kInt64, targets), d_loss(dtype, per_row),
          d_lse(dtype, per_row), d_grad_loss(dtype, grad_loss), d_grad(dtype, std::vector<double>(count));
      visit_float_or_double(dtype, [&]<typename T>() {
        kernels::cuda::cross_entropy_rows(nullptr, d_logits.as<T>(), d_targets.as<int64_t>(),
                                          d_loss.as<T>(), d_lse.as<T>(), rows, vocab);
        kernels::cuda::cross_entropy_backward_rows(nullptr, d_logits.as<T>(), d_targets.as<int64_t>(),
                                                   d_lse.as<T>(), d_grad_loss.as<T>(),
                                                   d_grad.as<T>(), rows, vocab);
      });
      check_close("cross_entropy loss", d_loss.download(), loss.values(), tolerance_for(dtype));
      check_close("cross_entropy log_normalizer", d_lse.download(), lse.values(), tolerance_for(dtype));
      check_close("cross_entropy_backward", d_grad.download(), grad.values(), tolerance_for(dtype));
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

        const DeviceArray dx(dtype, x), dw(dtype, weight), dg(dtype, g);
        const DeviceArray d_out(dtype, std::vector<double>(count)), d_inv(dtype, std::vector<double>(size_t(rows)));
        const DeviceArray d_gx(dtype, std::vector<double>(count)), d_gw(dtype, std::vector<double>(size_t(dim), -7.0));
        visit_float_or_double(dtype, [&]<typename T>() {
          kernels::cuda::rms_norm_rows(nullptr, dx.as<T>(), dw.as<T>(), eps, d_out.as<T>(),
                                       d_inv.as<T>(), rows, dim);
          kernels::cuda::rms_norm_backward_rows(nullptr, dx.as<T>(), dw.as<T>(), d_inv.as<T>(),
                                                dg.as<T>(), d_gx.as<T>(),
                                                want_weight_gradient ? d_gw.as<T>() : nullptr, rows, dim);
        });
        check_close("rms_norm", d_out.download(), out.values(), tolerance_for(dtype));
        check_close("rms_norm inverse_rms", d_inv.download(), inv.values(), tolerance_for(dtype));
        check_close("rms_norm_backward grad_x", d_gx.download(), gx.values(), tolerance_for(dtype));
        if (want_weight_gradient)
          check_close("rms_norm_backward grad_weight", d_gw.download(), gw.values(), tolerance_for(dtype));
        else
          check_close("rms_norm_backward leaves grad_weight alone", d_gw.download(),
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

        const DeviceArray dx(dtype, x), dw(dtype, weight), db(dtype, bias), dg(dtype, g);
        const DeviceArray d_out(dtype, zeros), d_mean(dtype, row_zeros), d_inv(dtype, row_zeros);
        const DeviceArray d_gx(dtype, zeros), d_gw(dtype, dim_zeros), d_gb(dtype, dim_zeros);
        visit_float_or_double(dtype, [&]<typename T>() {
          kernels::cuda::layer_norm_rows(nullptr, dx.as<T>(), dw.as<T>(), db.as<T>(), eps,
                                         d_out.as<T>(), d_mean.as<T>(), d_inv.as<T>(), rows, dim);
          kernels::cuda::layer_norm_backward_rows(
              nullptr, dx.as<T>(), dw.as<T>(), d_mean.as<T>(), d_inv.as<T>(), dg.as<T>(),
              d_gx.as<T>(), want_parameter_gradients ? d_gw.as<T>() : nullptr,
              want_parameter_gradients ? d_gb.as<T>() : nullptr, rows, dim);
        });
        // The statistics of values near 51 in float32 carry float32's rounding of 51.
        Tolerance tolerance = tolerance_for(dtype);
        tolerance.absolute *= 100;
        check_close("layer_norm", d_out.download(), out.values(), tolerance);
        check_close("layer_norm mean", d_mean.download(), mean.values(), tolerance_for(dtype));
        check_close("layer_norm inverse_std", d_inv.download(), inv.values(), tolerance);
        check_close("layer_norm_backward grad_x", d_gx.download(), gx.values(), tolerance);
        check_close("layer_norm_backward grad_weight", d_gw.download(), gw.values(), tolerance);
        check_close("layer_norm_backward grad_bias", d_gb.download(), gb.values(), tolerance);
      });
}

}  // namespace
}  // namespace bytegrad::testing
