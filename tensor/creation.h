// Making tensors: uninitialised, constant, ranges, from host values, and random.
#pragma once

#include <vector>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace bytegrad {

struct TensorOptions {
  DType dtype = DType::Float32;
  Device device = kCPU;
};

Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor empty_like(const Tensor& like);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);
Tensor scalar_tensor(double value, TensorOptions options = {});

// [start, start + step, ...) up to but excluding end. int64 unless options say otherwise.
Tensor arange(double start, double end, double step = 1.0,
              TensorOptions options = {DType::Int64, kCPU});
Tensor arange(int64_t end, TensorOptions options = {DType::Int64, kCPU});

// A tensor holding `values` (converted to options.dtype) in the given shape; the shape's
// element count must equal values.size(). Without a shape, a 1-D tensor.
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options);
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  return from_vector(values, shape, TensorOptions{dtype_of<T>(), kCPU});
}
template <typename T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{int64_t(values.size())});
}

// Random draws from the Philox stream of `generator` (the default generator when null).
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor randint(int64_t low, int64_t high, const Shape& shape,
               TensorOptions options = {DType::Int64, kCPU}, Generator* generator = nullptr);
// Uniform in [low, high) and normal(mean, std) of a given shape.
Tensor uniform(const Shape& shape, double low, double high, TensorOptions options = {},
               Generator* generator = nullptr);
Tensor normal(const Shape& shape, double mean, double std, TensorOptions options = {},
              Generator* generator = nullptr);
// A random permutation of 0 .. n-1 (int64 [n] on options.device): the sorting order of n uniform
// float64 keys from the Philox stream, so every device gives the same permutation for the same
// generator state. Throws Error when n is negative.
Tensor randperm(int64_t n, TensorOptions options = {DType::Int64, kCPU}, Generator* generator = nullptr);

}  // namespace bytegrad
