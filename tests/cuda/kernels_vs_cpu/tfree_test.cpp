// The CUDA backend's T-Free methods (embedding bags in, multi-label BCE out) against the CPU's: bags of
// zero, one and many items, repeated ids within and across bags, rows whose positive classes
// repeat, and zero weights.
#include <doctest/doctest.h>

#include "tests/cuda/kernels_vs_cpu/kernel_check.h"

namespace bytegrad::testing {
namespace {

const std::vector<DType> kFloat32And64 = {kFloat32, kFloat64};

// Offsets [bags + 1] cutting `items` into bags of 0, 1, 2, ... items, cycling.
std::vector<double> bag_offsets(int64_t items, int64_t& bags) {
  std::vector<double> offsets = {0};
  int64_t at = 0, next = 0;
  while (at < items) {
    at = std::min(items, at + next % 4);
    offsets.push_back(double(at));
    ++next;
  }
  bags = int64_t(offsets.size()) - 1;
  return offsets;
}

TEST_CASE("cuda kernels: embedding bags forward and backward match the CPU") {
  if (!have_cuda_device()) return;
  uint32_t seed = 1;
  for (const DType dtype : kFloat32And64)
    for (const int64_t width : {1, 33, 300})
      for (const bool mean_items : {false, true})
        for (const bool normalize : {false, true}) {
          INFO(dtype, " width ", width, mean_items ? " mean items" : "", normalize ? " normalized" : "");
          const int64_t vocab = 11, items = 13, population = 3;
          int64_t bags = 0;
          const std::vector<double> offsets = bag_offsets(items, bags);
          std::vector<double> ids(size_t(items * population));
          std::mt19937 engine(seed++);
          for (double& id : ids) id = double(engine() % uint64_t(vocab));  // repeats are certain
          const std::vector<double> weight = random_values(size_t(vocab * width), dtype, -1, 1, seed++);
          const std::vector<double> grad_out = random_values(size_t(bags * width), dtype, -1, 1, seed++);
          const std::vector<double> grad_weight_before = random_values(size_t(vocab * width), dtype, -1, 1, seed++);

          HostArray h_weight(dtype, {vocab, width}, weight), h_ids(kInt64, {items, population}, ids),
              h_offsets(kInt64, {bags + 1}, offsets), h_out(dtype, {bags, width}, std::vector<double>(size_t(bags * width))),
              h_grad_out(dtype, {bags, width}, grad_out), h_grad_weight(dtype, {vocab, width}, grad_weight_before);
          cpu_backend().embedding_bag(h_weight.view(), h_ids.view(), h_offsets.view(), mean_items,
                                      normalize, h_out.view());
          cpu_backend().embedding_bag_backward(h_grad_out.view(), h_ids.view(), h_offsets.view(),
                                               mean_items, normalize, h_grad_weight.view());

          const DeviceTensor d_weight(dtype, {vocab, width}, weight), d_ids(kInt64, {items, population}, ids),
              d_offsets(kInt64, {bags + 1}, offsets),
              d_out(dtype, {bags, width}, std::vector<double>(size_t(bags * width), -7.0)),
              d_grad_out(dtype, {bags, width}, grad_out), d_grad_weight(dtype, {vocab, width}, grad_weight_before);
          cuda_backend().embedding_bag(d_weight.view(), d_ids.view(), d_offsets.view(), mean_items,
                                       normalize, d_out.view());
          cuda_backend().embedding_bag_backward(d_grad_out.view(), d_ids.view(), d_offsets.view(),
                                                mean_items, normalize, d_grad_weight.view());
          check_close("embedding_bag", d_out.values(), h_out.values(), tolerance_for(dtype));
          check_close("embedding_bag_backward (added to the gradient)", d_grad_weight.values(),
                      h_grad_weight.values(), tolerance_for(dtype));
        }
}

TEST_CASE("cuda kernels: multi-label BCE forward and backward match the CPU") {
  if (!have_cuda_device()) return;
  uint32_t seed = 100;
  for (const DType dtype : kFloat32And64)
    for (const int64_t classes : kRowLengths) {
      const int64_t rows = 5;
      INFO(dtype, ", ", rows, " rows of ", classes, " classes");
      // Row r has r positives, some repeated; row 2 has weight 0, row 3 a zero incoming gradient.
      std::vector<double> target_ids, target_offsets = {0};
      std::mt19937 engine(seed++);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < r; ++j) target_ids.push_back(double(engine() % uint64_t(classes)));
        if (r == 4) target_ids.push_back(target_ids.back());
        target_offsets.push_back(double(target_ids.size()));
      }
      const int64_t positives = int64_t(target_ids.size());
      const std::vector<double> logits = random_values(size_t(rows * classes), dtype, -30, 30, seed++);
      std::vector<double> weights = random_values(size_t(rows), dtype, 0.5, 2, seed++);
      weights[2] = 0;
      std::vector<double> grad_loss = random_values(size_t(rows), dtype, -1, 1, seed++);
      grad_loss[3] = 0;
      const double pos_weight = 2.5;

      HostArray h_logits(dtype, {rows, classes}, logits), h_ids(kInt64, {positives}, target_ids),
          h_offsets(kInt64, {rows + 1}, target_offsets), h_weights(dtype, {rows}, weights),
          h_loss(dtype, {rows}, std::vector<double>(size_t(rows))), h_grad_loss(dtype, {rows}, grad_loss),
          h_grad(dtype, {rows, classes}, std::vector<double>(size_t(rows * classes)));
      cpu_backend().multilabel_bce(h_logits.view(), h_ids.view(), h_offsets.view(), h_weights.view(),
                                   pos_weight, h_loss.view());
      cpu_backend().multilabel_bce_backward(h_logits.view(), h_ids.view(), h_offsets.view(),
                                            h_weights.view(), pos_weight, h_grad_loss.view(),
                                            h_grad.view());

      const DeviceTensor d_logits(dtype, {rows, classes}, logits), d_ids(kInt64, {positives}, target_ids),
          d_offsets(kInt64, {rows + 1}, target_offsets), d_weights(dtype, {rows}, weights),
          d_loss(dtype, {rows}, std::vector<double>(size_t(rows), -7.0)),
          d_grad_loss(dtype, {rows}, grad_loss),
          d_grad(dtype, {rows, classes}, std::vector<double>(size_t(rows * classes), -7.0));
      cuda_backend().multilabel_bce(d_logits.view(), d_ids.view(), d_offsets.view(), d_weights.view(),
                                    pos_weight, d_loss.view());
      cuda_backend().multilabel_bce_backward(d_logits.view(), d_ids.view(), d_offsets.view(),
                                             d_weights.view(), pos_weight, d_grad_loss.view(),
                                             d_grad.view());
      check_close("multilabel_bce", d_loss.values(), h_loss.values(), tolerance_for(dtype));
      check_close("multilabel_bce_backward", d_grad.values(), h_grad.values(), tolerance_for(dtype));
    }
}

}  // namespace
}  // namespace bytegrad::testing
