#include "train/soft_encoder/token_encoding.h"

#include <algorithm>
#include <string>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "base/error.h"
#include "tensor/creation.h"

namespace bytegrad::train {

Tensor encode_tokens(const nn::SoftByteEncoder& encoder, const TokenDataset& data, const std::vector<int64_t>& ids,
                     int64_t batch) {
  NoGradGuard no_grad;
  std::vector<Tensor> parts;
  for (size_t begin = 0; begin < ids.size(); begin += size_t(batch)) {
    const size_t end = std::min(ids.size(), begin + size_t(batch));
    std::vector<std::string> strings;
    for (size_t i = begin; i < end; ++i) strings.push_back(data.bytes[size_t(ids[i])]);
    parts.push_back(encoder.forward(nn::frame_bytes(strings, encoder.config().max_bytes)));
  }
  return parts.size() == 1 ? parts[0] : cat(parts, 0);
}

namespace {

// [N, vocab]: 2 p.t - |t|^2, which ranks the rows t of `table` as -|p - t|^2 does (|p|^2 is the
// same for every t).
Tensor closeness(const Tensor& pred, const Tensor& table) {
  return 2.0 * matmul(pred, transpose(table, 0, 1)) - sum(square(table), {-1});
}

}  // namespace

std::vector<std::vector<int64_t>> nearest_tokens(const Tensor& pred, const Tensor& table, int64_t k) {
  NoGradGuard no_grad;
  const int64_t vocab = table.size(0);
  k = std::min(k, vocab);
  const std::vector<float> scores = bytegrad::to(closeness(pred, table), kFloat32).to_vector<float>();
  std::vector<std::vector<int64_t>> nearest;
  for (int64_t row = 0; row < pred.size(0); ++row) {
    std::vector<int64_t> order(static_cast<size_t>(vocab));
    for (int64_t id = 0; id < vocab; ++id) order[size_t(id)] = id;
    const float* score = scores.data() + row * vocab;
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return score[a] > score[b]; });
    nearest.emplace_back(order.begin(), order.begin() + k);
  }
  return nearest;
}

double nearest_neighbour_accuracy(const Tensor& pred, const Tensor& table, const std::vector<int64_t>& ids) {
  BYTEGRAD_CHECK(pred.dim() == 2 && pred.size(0) == int64_t(ids.size()), "nearest_neighbour_accuracy: predictions ",
                 shape_str(pred.shape()), " for ", ids.size(), " ids");
  if (ids.empty()) return 0.0;
  NoGradGuard no_grad;
  const std::vector<int64_t> nearest = argmax(closeness(pred, table), -1).to_vector<int64_t>();
  int64_t hits = 0;
  for (size_t i = 0; i < ids.size(); ++i) hits += nearest[i] == ids[i];
  return double(hits) / double(ids.size());
}

Tensor soft_input_table(const nn::SoftByteEncoder& encoder, const TokenDataset& data, bool rescale_norms) {
  std::vector<int64_t> ids;
  for (size_t id = 0; id < data.encoded.size(); ++id)
    if (data.encoded[id]) ids.push_back(int64_t(id));
  Tensor rows = encode_tokens(encoder, data, ids);
  NoGradGuard no_grad;
  const Tensor index = from_vector(ids, {int64_t(ids.size())});
  if (rescale_norms) {
    const Tensor host_norm = mean(sqrt(sum(square(index_select(data.targets, 0, index)), {-1})));
    const Tensor soft_norm = mean(sqrt(sum(square(rows), {-1})));
    rows = rows * (host_norm / soft_norm);
  }
  // The host's table with the encoded tokens' rows replaced.
  const Tensor table = contiguous(clone(data.targets));
  const Tensor soft = contiguous(bytegrad::to(rows, kFloat32));
  const int64_t hidden = table.size(1);
  for (size_t i = 0; i < ids.size(); ++i)
    std::copy_n(soft.data<float>() + int64_t(i) * hidden, hidden, table.data<float>() + ids[i] * hidden);
  return table;
}

}  // namespace bytegrad::train
