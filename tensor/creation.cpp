#include "tensor/creation.h"

#include <cmath>

#include "kernels/backend.h"
#include "tensor/ops.h"

namespace bytegrad {

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

Tensor empty(const Shape& shape, TensorOptions options) {
  for (int64_t s : shape)
    BYTEGRAD_CHECK(s >= 0, "empty: negative size in shape ", shape_str(shape));
  const int64_t numel = numel_of(shape);
  int64_t nbytes = 0;
  BYTEGRAD_CHECK(!__builtin_mul_overflow(numel, int64_t(dtype_size(options.dtype)), &nbytes), "empty: shape ",
                 shape_str(shape), " of ", options.dtype, " needs more bytes than 64 bits can count");
  auto storage = std::make_shared<Storage>(size_t(nbytes), options.device);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, options.dtype);
}

Tensor full(const Shape& shape, double value, TensorOptions options) {
  Tensor t = empty(shape, options);
  kernels::backend_for(options.device).fill(t.view(), value);
  return t;
}

Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }

Tensor empty_like(const Tensor& like) { return empty(like.shape(), {like.dtype(), like.device()}); }
Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), {like.dtype(), like.device()}); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), {like.dtype(), like.device()}); }
Tensor full_like(const Tensor& like, double value) {
  return full(like.shape(), value, {like.dtype(), like.device()});
}

Tensor scalar_tensor(double value, TensorOptions options) { return full({}, value, options); }

Tensor arange(double start, double end, double step, TensorOptions options) {
  BYTEGRAD_CHECK(step != 0, "arange: step must be non-zero");
  const double count = std::ceil((end - start) / step);
  Tensor t = empty({std::max<int64_t>(0, int64_t(count))}, options);
  kernels::backend_for(options.device).arange(t.view(), start, step);
  return t;
}

Tensor arange(int64_t end, TensorOptions options) { return arange(0, double(end), 1, options); }

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  BYTEGRAD_CHECK(numel_of(shape) == int64_t(values.size()), "from_vector: ", values.size(),
        " values do not fill shape ", shape_str(shape), " (", numel_of(shape), " elements)");
  // Convert on the host, then move the bytes to the device.
  std::vector<char> bytes(values.size() * dtype_size(options.dtype));
  visit_dtype(options.dtype, [&]<typename S>() {
    S* out = reinterpret_cast<S*>(bytes.data());
    for (size_t i = 0; i < values.size(); ++i) out[i] = convert<S>(values[i]);
  });
  Tensor t = empty(shape, options);
  kernels::backend_for(options.device).copy_from_host(bytes.data(), t.data_ptr(), bytes.size());
  return t;
}

#define BYTEGRAD_INSTANTIATE(T) \
  template Tensor from_vector<T>(const std::vector<T>&, const Shape&, TensorOptions);
BYTEGRAD_INSTANTIATE(float)
BYTEGRAD_INSTANTIATE(double)
BYTEGRAD_INSTANTIATE(int32_t)
BYTEGRAD_INSTANTIATE(int64_t)
BYTEGRAD_INSTANTIATE(uint8_t)
BYTEGRAD_INSTANTIATE(int8_t)
BYTEGRAD_INSTANTIATE(bool)
BYTEGRAD_INSTANTIATE(BFloat16)
BYTEGRAD_INSTANTIATE(Float16)
#undef BYTEGRAD_INSTANTIATE

namespace {

Tensor draw(kernels::RandomKind kind, const Shape& shape, double a, double b,
            TensorOptions options, Generator* generator) {
  Generator& g = generator ? *generator : default_generator();
  Tensor t = empty(shape, options);
  const uint64_t offset = g.advance(t.numel());
  kernels::backend_for(options.device).random(kind, t.view(), g.seed(), offset, a, b);
  return t;
}

void check_floating(const char* op, DType dtype) {
  BYTEGRAD_CHECK(is_floating(dtype), op, ": expected a floating-point dtype, got ", dtype);
}

}  // namespace

Tensor uniform(const Shape& shape, double low, double high, TensorOptions options,
               Generator* generator) {
  check_floating("uniform", options.dtype);
  BYTEGRAD_CHECK(low <= high, "uniform: low ", low, " exceeds high ", high);
  return draw(kernels::RandomKind::Uniform, shape, low, high, options, generator);
}

Tensor normal(const Shape& shape, double mean, double std, TensorOptions options,
              Generator* generator) {
  check_floating("normal", options.dtype);
  BYTEGRAD_CHECK(std >= 0, "normal: std must be non-negative, got ", std);
  return draw(kernels::RandomKind::Normal, shape, mean, std, options, generator);
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  return uniform(shape, 0.0, 1.0, options, generator);
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  return normal(shape, 0.0, 1.0, options, generator);
}

Tensor randperm(int64_t n, TensorOptions options, Generator* generator) {
  BYTEGRAD_CHECK(n >= 0, "randperm: n must not be negative, got ", n);
  const Tensor keys = rand({n}, {DType::Float64, options.device}, generator);
  return ops::sort(keys, 0, /*descending=*/false).second;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
  BYTEGRAD_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  return draw(kernels::RandomKind::Integer, shape, double(low), double(high), options, generator);
}

}  // namespace bytegrad
