// One row of a contiguous [rows, n] buffer seen as an Eigen array, so that the row-wise kernels
// (norms, cross-entropy) write their arithmetic as whole-row expressions Eigen vectorises.
#pragma once

#include <Eigen/Core>

namespace bytegrad::kernels::cpu {

template <typename T>
using ConstRow = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using Row = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

}  // namespace bytegrad::kernels::cpu
