// Argument checks shared by the ops over compressed-sparse-row layouts (embedding bags, sparse
// multi-label targets). The offsets decide which memory a kernel reads, so they are checked on
// the host before any kernel runs: a bad one would otherwise read out of bounds.
#include <vector>

#include "base/error.h"
#include "tensor/ops.h"

namespace bytegrad::ops {

int64_t check_offsets(const char* op, const char* what, const Tensor& offsets, int64_t items) {
  BYTEGRAD_CHECK(offsets.dim() == 1 && offsets.dtype() == DType::Int64 && offsets.numel() >= 1, op, ": ",
                 what, " ", shape_str(offsets.shape()), " (", offsets.dtype(),
                 ") must be int64 [rows + 1]");
  const std::vector<int64_t> values = to(offsets, kCPU).to_vector<int64_t>();
  BYTEGRAD_CHECK(values.front() == 0, op, ": ", what, " must start at 0, got ", values.front());
  for (size_t r = 1; r < values.size(); ++r)
    BYTEGRAD_CHECK(values[r] >= values[r - 1], op, ": ", what, " must not decrease, but ", what, "[",
                   r, "] = ", values[r], " < ", what, "[", r - 1, "] = ", values[r - 1]);
  BYTEGRAD_CHECK(values.back() == items, op, ": ", what, " must end at the item count ", items,
                 ", got ", values.back());
  return int64_t(values.size()) - 1;
}

void check_ids_below(const char* op, const char* what, const Tensor& ids, int64_t size) {
  BYTEGRAD_CHECK(ids.dtype() == DType::Int64, op, ": ", what, " ", shape_str(ids.shape()), " (",
                 ids.dtype(), ") must be int64");
  if (ids.numel() == 0) return;
  const int64_t low = reduce(ReduceOp::Min, ids, {}, false).item<int64_t>();
  const int64_t high = reduce(ReduceOp::Max, ids, {}, false).item<int64_t>();
  BYTEGRAD_CHECK(low >= 0 && high < size, op, ": ", what, " holds ", low < 0 ? low : high,
                 ", outside [0, ", size, ")");
}

}  // namespace bytegrad::ops
