// Backend parity, in the spirit of ggml's test-backend-ops: every method of kernels::Backend, on
// every device this process can use, against a reference written here with plain loops in double
// precision. A new backend passes when it meets the same specification as the CPU one; a new
// backend method is one more row in the case table.
//
// Each row names a method (and variant) and the dtypes, layouts and sizes it runs over; a failure
// reports the row, the device, the dtype, the layout and the size. Sizes are 1, primes and lengths
// that are not multiples of 32, so kernels that assume full vector lanes or warps fail here.
// Methods that take strided views also see transposed, stepped and stride-0 (broadcast) inputs,
// and every strided output is checked for writes outside its view.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <numeric>
#include <span>
#include <sstream>

#include "base/philox.h"
#include "tests/devices.h"
#include "tests/kernels/parity_harness.h"

namespace bytegrad::testing {
namespace {

using kernels::BinaryOp;
using kernels::GemmBatch;
using kernels::RandomKind;
using kernels::ReduceOp;
using kernels::UnaryOp;
using Shape = std::vector<int64_t>;
using Values = std::vector<double>;

const std::vector<int64_t> kSizes = {1, 7, 13, 31, 33, 65, 97, 100};
const std::vector<DType> kFloats = {kFloat32, kFloat64, kBFloat16, kFloat16};
const std::vector<DType> kFloat32And64 = {kFloat32, kFloat64};
const std::vector<DType> kIntegers = {kInt32, kInt64};
const std::vector<DType> kFloatsAndIntegers = {kFloat32, kFloat64, kBFloat16, kFloat16,
                                               kInt32,   kInt64};
const std::vector<DType> kAllDTypes = {kFloat32, kFloat64, kBFloat16, kFloat16,
                                       kInt32,   kInt64,   kBool};
const std::vector<Layout> kContiguousOnly = {Layout::Contiguous};
const std::vector<Layout> kWritableLayouts = {Layout::Contiguous, Layout::Transposed,
                                              Layout::Stepped};
const std::vector<Layout> kAllLayouts = {Layout::Contiguous, Layout::Transposed, Layout::Stepped,
                                         Layout::BroadcastRows, Layout::BroadcastColumns};

// One run of a case: the backend under test and one choice of dtype, layout and size.
struct Setting {
  Backend& backend;
  DType dtype;
  Layout layout;
  int64_t size;
  Draws& draws;
};

struct ParityCase {
  std::string name;
  std::vector<DType> dtypes;
  std::vector<Layout> layouts;
  std::vector<int64_t> sizes;
  std::function<void(const Setting&)> check;
};

// An output's layout for an input laid out as `layout`: the same, unless the input broadcasts
// (outputs never have stride 0).
Layout output_layout(Layout layout) { return is_broadcast(layout) ? Layout::Contiguous : layout; }

// A second operand's layout, different from the first's, so binary kernels meet mixed strides.
Layout partner_layout(Layout layout) {
  switch (layout) {
    case Layout::Contiguous: return Layout::BroadcastRows;
    case Layout::Transposed: return Layout::Contiguous;
    case Layout::Stepped: return Layout::BroadcastColumns;
    case Layout::BroadcastRows: return Layout::Transposed;
    case Layout::BroadcastColumns: return Layout::Stepped;
  }
  return Layout::Contiguous;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double normal_cdf(double x) { return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }
constexpr double kSqrt2OverPi = 0.79788456080286535588;

// ---- memory ----

// allocate, copy_from_host, copy_to_host, deallocate: bytes survive the round trip, and two live
// allocations do not overlap.
void check_memory(const Setting& s) {
  const size_t nbytes = size_t(s.size) * dtype_size(s.dtype);
  std::vector<unsigned char> first(nbytes), second(nbytes);
  for (size_t i = 0; i < nbytes; ++i) {
    first[i] = static_cast<unsigned char>(i * 7 + 1);
    second[i] = static_cast<unsigned char>(255 - i);
  }
  void* a = s.backend.allocate(nbytes);
  void* b = s.backend.allocate(nbytes);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  s.backend.copy_from_host(first.data(), a, nbytes);
  s.backend.copy_from_host(second.data(), b, nbytes);
  std::vector<unsigned char> back_a(nbytes), back_b(nbytes);
  s.backend.copy_to_host(a, back_a.data(), nbytes);
  s.backend.copy_to_host(b, back_b.data(), nbytes);
  CHECK(back_a == first);
  CHECK(back_b == second);
  s.backend.deallocate(b, nbytes);
  s.backend.deallocate(a, nbytes);
}

// A buffer of raw bytes in a device's memory. Owns it.
class DeviceBytes {
 public:
  DeviceBytes(Backend& backend, const std::vector<unsigned char>& bytes)
      : backend_(backend), nbytes_(bytes.size()), data_(backend.allocate(nbytes_)) {
    backend_.copy_from_host(bytes.data(), data_, nbytes_);
  }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;
  ~DeviceBytes() { backend_.deallocate(data_, nbytes_); }

  unsigned char* at(size_t offset) const { return static_cast<unsigned char*>(data_) + offset; }
  std::vector<unsigned char> download() const {
    std::vector<unsigned char> bytes(nbytes_);
    backend_.copy_to_host(data_, bytes.data(), nbytes_);
    return bytes;
  }

 private:
  Backend& backend_;
  size_t nbytes_;
  void* data_;
};

// CHECKs that two byte buffers are equal; on failure the message names the first differing byte
// and how many differ.
void check_bytes(const std::string& what, const std::vector<unsigned char>& actual,
                 const std::vector<unsigned char>& expected) {
  REQUIRE(actual.size() == expected.size());
  size_t differing = 0, first = 0;
  for (size_t i = 0; i < actual.size(); ++i)
    if (actual[i] != expected[i] && differing++ == 0) first = i;
  CHECK_MESSAGE(differing == 0, what << ": " << differing << " of " << actual.size()
                                     << " bytes differ, the first at byte " << first << " ("
                                     << int(actual[first]) << ", expected " << int(expected[first]) << ")");
}

// copy_within_device of s.size elements of s.dtype: odd byte counts for bool, and 0 bytes (what
// copy_ of an empty tensor asks for). The source starts one element into its buffer and the
// destination three elements into its buffer, with 16 bytes after it, so bool copies start at odd
// addresses; the destination's bytes before and after the copied range keep their values, and the
// source is left as it was.
void check_copy_within_device(const Setting& s) {
  const size_t element = dtype_size(s.dtype);
  const size_t nbytes = size_t(s.size) * element;
  const size_t src_offset = element, dst_offset = 3 * element, guard = 16;
  std::vector<unsigned char> source(src_offset + nbytes), destination(dst_offset + nbytes + guard);
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<unsigned char>(i * 7 + 1);
  for (size_t i = 0; i < destination.size(); ++i) destination[i] = static_cast<unsigned char>(0xA5 ^ (i * 3));
  const DeviceBytes src(s.backend, source), dst(s.backend, destination);

  s.backend.copy_within_device(src.at(src_offset), dst.at(dst_offset), nbytes);
  s.backend.synchronize();

  std::vector<unsigned char> expected = destination;
  std::copy_n(source.begin() + std::ptrdiff_t(src_offset), nbytes,
              expected.begin() + std::ptrdiff_t(dst_offset));
  const std::string what = "copy_within_device of " + std::to_string(nbytes) + " bytes";
  check_bytes(what + ", destination buffer (3 elements before, 16 bytes after)", dst.download(), expected);
  check_bytes(what + ", source buffer", src.download(), source);
}

// synchronize returns when nothing was issued, after a chain of kernels whose results are then all
// there, and when called again at once. (On the CPU every call has finished when it returns; a
// device that queues its calls must have run the whole chain.)
void check_synchronize(const Setting& s) {
  s.backend.synchronize();
  DeviceArray a(s.backend, s.dtype, {s.size}), b(s.backend, s.dtype, {s.size}), c(s.backend, s.dtype, {s.size});
  s.backend.fill(a.view(), 1.5);
  s.backend.unary(UnaryOp::MulScalar, a.view(), b.view(), -2.0, 0.0);
  s.backend.binary(BinaryOp::Add, a.view(), b.view(), c.view());
  s.backend.synchronize();
  s.backend.synchronize();
  check_equal("after synchronize, fill", a.download(), Values(size_t(s.size), 1.5));
  check_equal("after synchronize, unary MulScalar of the fill", b.download(), Values(size_t(s.size), -3.0));
  check_equal("after synchronize, binary Add of both", c.download(), Values(size_t(s.size), -1.5));
}

// ---- copy, fill, arange, random ----

// copy from s.dtype in s.layout into every dtype in every writable layout. Values are small
// integers whenever an integral dtype is involved, so those conversions are exact; between floats
// the result must round as base/dtype.h's convert does (to nearest, ties to even).
void check_copy(const Setting& s) {
  const Shape shape{3, s.size};
  for (DType to : kAllDTypes) {
    for (Layout to_layout : kWritableLayouts) {
      INFO("to " << std::string(dtype_name(to)) << ", " << std::string(layout_name(to_layout)));
      DeviceArray src(s.backend, s.dtype, shape, s.layout);
      const bool integral = is_integral(s.dtype) || is_integral(to);
      const Values in =
          integral ? src.upload_drawn(s.draws.integers(-5, 5)) : src.upload_drawn(s.draws.uniform(-4, 4));
      DeviceArray dst(s.backend, to, shape, to_layout);
      s.backend.copy(src.view(), dst.view());
      Values expected;
      for (double v : in) expected.push_back(round_to(to, v));
      check_equal("copy", dst.download(), expected);
      check_untouched_outside("copy", dst);
    }
  }
}

void check_fill(const Setting& s) {
  DeviceArray dst(s.backend, s.dtype, {3, s.size}, s.layout);
  const double value = is_floating(s.dtype) ? 2.5 : (s.dtype == kBool ? 1.0 : -3.0);
  s.backend.fill(dst.view(), value);
  check_equal("fill", dst.download(), Values(size_t(dst.numel()), value));
  check_untouched_outside("fill", dst);
}

void check_arange(const Setting& s) {
  DeviceArray dst(s.backend, s.dtype, {s.size});
  const double start = is_floating(s.dtype) ? -1.5 : 3.0, step = is_floating(s.dtype) ? 0.25 : -2.0;
  s.backend.arange(dst.view(), start, step);
  Values expected;
  for (int64_t i = 0; i < s.size; ++i) expected.push_back(round_to(s.dtype, start + double(i) * step));
  check_equal("arange", dst.download(), expected);
}

// Sample mean and variance.
std::pair<double, double> moments(const Values& values) {
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / double(values.size());
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return {mean, squares / double(values.size())};
}

Values draw(const Setting& s, RandomKind kind, int64_t count, uint64_t seed, uint64_t offset,
            double a, double b) {
  DeviceArray dst(s.backend, s.dtype, {count});
  s.backend.random(kind, dst.view(), seed, offset, a, b);
  return dst.download();
}

// random: the numbers are the Philox stream's (the same on every device), the same seed and offset
// give the same numbers, the offset continues the stream (n elements use ceil(n/2) blocks), and
// large draws have the distribution's moments (within five standard errors).
void check_random(const Setting& s, RandomKind kind, double a, double b) {
  constexpr uint64_t kSeed = 1234, kOffset = 17;
  const int64_t n = s.size;
  const Values values = draw(s, kind, n, kSeed, kOffset, a, b);

  Values expected;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t at = uint64_t(i);
    switch (kind) {
      case RandomKind::Uniform: expected.push_back(a + (b - a) * philox::uniform(kSeed, kOffset, at)); break;
      case RandomKind::Normal: expected.push_back(a + b * philox::normal(kSeed, kOffset, at)); break;
      case RandomKind::Integer:
        expected.push_back(double(philox::integer(kSeed, kOffset, at, int64_t(a), int64_t(b))));
        break;
    }
    expected.back() = round_to(s.dtype, expected.back());
  }
  check_close("random against the Philox stream", values, expected, tolerance_for(s.dtype));
  check_equal("random, same seed and offset", draw(s, kind, n, kSeed, kOffset, a, b), values);

  const int64_t half = n + n % 2;  // even, so the second half starts on a block boundary
  const Values both_halves = draw(s, kind, 2 * half, kSeed, kOffset, a, b);
  const Values second_half = draw(s, kind, half, kSeed, kOffset + uint64_t(half / 2), a, b);
  check_equal("random, offset continues the stream", second_half,
              Values(both_halves.begin() + half, both_halves.end()));
  if (kind != RandomKind::Integer && n > 1)
    CHECK_MESSAGE(draw(s, kind, n, kSeed + 1, kOffset, a, b) != values, "another seed, same numbers");

  if (kind != RandomKind::Normal) {
    const double high = kind == RandomKind::Integer ? b - 1 : b;
    const auto [lowest, highest] = std::minmax_element(values.begin(), values.end());
    CHECK_MESSAGE(*lowest >= a, "random below the low end: " << *lowest);
    CHECK_MESSAGE(*highest <= high, "random above the high end: " << *highest);
  }
  if (n < 10000) return;
  const auto [mean, variance] = moments(values);
  double expected_mean = a, expected_variance = b * b, fourth_moment = 3 * b * b * b * b;
  if (kind == RandomKind::Uniform) {
    expected_mean = (a + b) / 2;
    expected_variance = (b - a) * (b - a) / 12;
    fourth_moment = std::pow(b - a, 4) / 80;
  } else if (kind == RandomKind::Integer) {
    const double count = b - a;  // values a .. b-1
    expected_mean = (a + b - 1) / 2;
    expected_variance = (count * count - 1) / 12;
    fourth_moment = expected_variance * expected_variance * 1.8;  // a uniform's kurtosis is 1.8
  }
  const double mean_error = 5 * std::sqrt(expected_variance / double(n));
  const double variance_error =
      5 * std::sqrt((fourth_moment - expected_variance * expected_variance) / double(n));
  CHECK_MESSAGE(std::fabs(mean - expected_mean) < mean_error,
                "mean " << mean << ", expected " << expected_mean);
  CHECK_MESSAGE(std::fabs(variance - expected_variance) < variance_error,
                "variance " << variance << ", expected " << expected_variance);
}

// ---- elementwise ----

double unary_reference(UnaryOp op, double x, double alpha, double beta) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Rsqrt: return 1 / std::sqrt(x);
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Sigmoid: return sigmoid(x);
    case UnaryOp::Silu: return x * sigmoid(x);
    case UnaryOp::Gelu: return x * normal_cdf(x);
    case UnaryOp::GeluTanh: return 0.5 * x * (1 + std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
    case UnaryOp::Relu: return x > 0 ? x : 0;
    case UnaryOp::Abs: return std::fabs(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Sign: return double((x > 0) - (x < 0));
    case UnaryOp::PowScalar: return std::pow(x, alpha);
    case UnaryOp::Clamp: return std::min(std::max(x, alpha), beta);
    case UnaryOp::AddScalar: return x + alpha;
    case UnaryOp::MulScalar: return x * alpha;
    case UnaryOp::RSubScalar: return alpha - x;
    case UnaryOp::RDivScalar: return alpha / x;
  }
  return 0;
}

struct UnaryOpCase {
  UnaryOp op;
  const char* name;
  double low, high;     // the input's range (integers draw from it too)
  double alpha, beta;
};

const std::vector<UnaryOpCase> kUnaryOps = {
    {UnaryOp::Neg, "Neg", -3, 3, 0, 0},
    {UnaryOp::Exp, "Exp", -3, 3, 0, 0},
    {UnaryOp::Log, "Log", 0.25, 4, 0, 0},
    {UnaryOp::Sqrt, "Sqrt", 0.25, 4, 0, 0},
    {UnaryOp::Rsqrt, "Rsqrt", 0.25, 4, 0, 0},
    {UnaryOp::Tanh, "Tanh", -3, 3, 0, 0},
    {UnaryOp::Sigmoid, "Sigmoid", -3, 3, 0, 0},
    {UnaryOp::Silu, "Silu", -3, 3, 0, 0},
    {UnaryOp::Gelu, "Gelu", -3, 3, 0, 0},
    {UnaryOp::GeluTanh, "GeluTanh", -3, 3, 0, 0},
    {UnaryOp::Relu, "Relu", -3, 3, 0, 0},
    {UnaryOp::Abs, "Abs", -3, 3, 0, 0},
    {UnaryOp::Square, "Square", -3, 3, 0, 0},
    {UnaryOp::Sign, "Sign", -3, 3, 0, 0},
    {UnaryOp::PowScalar, "PowScalar", 0.25, 4, 1.5, 0},
    {UnaryOp::Clamp, "Clamp", -3, 3, -0.5, 0.75},
    {UnaryOp::AddScalar, "AddScalar", -3, 3, 1.25, 0},
    {UnaryOp::MulScalar, "MulScalar", -3, 3, -0.75, 0},
    {UnaryOp::RSubScalar, "RSubScalar", -3, 3, 2.5, 0},
    {UnaryOp::RDivScalar, "RDivScalar", 0.25, 4, 1.5, 0},
};

// The unary ops integer tensors use, with integer scalars.
const std::vector<UnaryOpCase> kIntegerUnaryOps = {
    {UnaryOp::Neg, "Neg", -9, 9, 0, 0},        {UnaryOp::Abs, "Abs", -9, 9, 0, 0},
    {UnaryOp::Square, "Square", -9, 9, 0, 0},  {UnaryOp::Sign, "Sign", -9, 9, 0, 0},
    {UnaryOp::Relu, "Relu", -9, 9, 0, 0},      {UnaryOp::Clamp, "Clamp", -9, 9, -2, 4},
    {UnaryOp::AddScalar, "AddScalar", -9, 9, 3, 0}, {UnaryOp::MulScalar, "MulScalar", -9, 9, -2, 0},
    {UnaryOp::RSubScalar, "RSubScalar", -9, 9, 5, 0},
};

void check_unary(const Setting& s, const UnaryOpCase& c) {
  const Shape shape{3, s.size};
  DeviceArray in(s.backend, s.dtype, shape, s.layout);
  const Values x = is_floating(s.dtype) ? in.upload_drawn(s.draws.uniform(c.low, c.high))
                                        : in.upload_drawn(s.draws.integers(int64_t(c.low), int64_t(c.high)));
  DeviceArray out(s.backend, s.dtype, shape, output_layout(s.layout));
  s.backend.unary(c.op, in.view(), out.view(), c.alpha, c.beta);
  Values expected;
  for (double v : x) expected.push_back(unary_reference(c.op, v, c.alpha, c.beta));
  check_close("unary", out.download(), expected, tolerance_for(s.dtype));
  check_untouched_outside("unary", out);
}

bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Equal || op == BinaryOp::NotEqual || op == BinaryOp::Less ||
         op == BinaryOp::LessEqual || op == BinaryOp::Greater || op == BinaryOp::GreaterEqual;
}

double binary_reference(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return std::pow(a, b);
    case BinaryOp::Maximum: return std::max(a, b);
    case BinaryOp::Minimum: return std::min(a, b);
    case BinaryOp::Equal: return a == b;
    case BinaryOp::NotEqual: return a != b;
    case BinaryOp::Less: return a < b;
    case BinaryOp::LessEqual: return a <= b;
    case BinaryOp::Greater: return a > b;
    case BinaryOp::GreaterEqual: return a >= b;
    // Fused gradients: a is the forward input x (or output y), b the incoming gradient g.
    case BinaryOp::SigmoidBackwardFromOutput: return b * a * (1 - a);
    case BinaryOp::TanhBackwardFromOutput: return b * (1 - a * a);
    case BinaryOp::SiluBackward: return b * sigmoid(a) * (1 + a * (1 - sigmoid(a)));
    case BinaryOp::GeluBackward: return b * (normal_cdf(a) + a * normal_pdf(a));
    case BinaryOp::GeluTanhBackward: {
      const double t = std::tanh(kSqrt2OverPi * (a + 0.044715 * a * a * a));
      const double inner_derivative = kSqrt2OverPi * (1 + 3 * 0.044715 * a * a);
      return b * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner_derivative);
    }
    case BinaryOp::ReluBackward: return a > 0 ? b : 0;
  }
  return 0;
}

struct BinaryOpCase {
  BinaryOp op;
  const char* name;
  double a_low, a_high, b_low, b_high;
};

// Comparisons draw from a few values so that ties occur.
const std::vector<BinaryOpCase> kBinaryOps = {
    {BinaryOp::Add, "Add", -3, 3, -3, 3},
    {BinaryOp::Sub, "Sub", -3, 3, -3, 3},
    {BinaryOp::Mul, "Mul", -3, 3, -3, 3},
    {BinaryOp::Div, "Div", -3, 3, 0.5, 2},
    {BinaryOp::Pow, "Pow", 0.25, 3, 0, 3},
    {BinaryOp::Maximum, "Maximum", -3, 3, -3, 3},
    {BinaryOp::Minimum, "Minimum", -3, 3, -3, 3},
    {BinaryOp::Equal, "Equal", -2, 2, -2, 2},
    {BinaryOp::NotEqual, "NotEqual", -2, 2, -2, 2},
    {BinaryOp::Less, "Less", -2, 2, -2, 2},
    {BinaryOp::LessEqual, "LessEqual", -2, 2, -2, 2},
    {BinaryOp::Greater, "Greater", -2, 2, -2, 2},
    {BinaryOp::GreaterEqual, "GreaterEqual", -2, 2, -2, 2},
    {BinaryOp::SigmoidBackwardFromOutput, "SigmoidBackwardFromOutput", 0, 1, -2, 2},
    {BinaryOp::TanhBackwardFromOutput, "TanhBackwardFromOutput", -1, 1, -2, 2},
    {BinaryOp::SiluBackward, "SiluBackward", -4, 4, -2, 2},
    {BinaryOp::GeluBackward, "GeluBackward", -4, 4, -2, 2},
    {BinaryOp::GeluTanhBackward, "GeluTanhBackward", -4, 4, -2, 2},
    {BinaryOp::ReluBackward, "ReluBackward", -2, 2, -2, 2},
};

// Integer and bool operands: exact arithmetic on small integers, and comparisons.
bool integers_support(BinaryOp op) {
  return op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul || op == BinaryOp::Pow ||
         op == BinaryOp::Maximum || op == BinaryOp::Minimum || is_comparison(op);
}

auto draw_for(const Setting& s, double low, double high) -> std::function<double()> {
  if (s.dtype == kBool) return s.draws.integers(0, 1);
  if (!is_floating(s.dtype)) return s.draws.integers(int64_t(low), int64_t(high));
  if (low == -2 && high == 2) {  // the few values comparisons draw from: ties are common
    auto integer = s.draws.integers(-4, 4);
    return [integer]() mutable { return integer() / 2; };
  }
  return s.draws.uniform(low, high);
}

void check_binary(const Setting& s, const BinaryOpCase& c) {
  const Shape shape{3, s.size};
  DeviceArray a(s.backend, s.dtype, shape, s.layout);
  DeviceArray b(s.backend, s.dtype, shape, partner_layout(s.layout));
  const Values x = a.upload_drawn(draw_for(s, c.a_low, c.a_high));
  const Values y = b.upload_drawn(draw_for(s, c.b_low, c.b_high));
  const DType out_dtype = is_comparison(c.op) ? kBool : s.dtype;
  DeviceArray out(s.backend, out_dtype, shape, output_layout(s.layout));
  s.backend.binary(c.op, a.view(), b.view(), out.view());
  Values expected;
  for (size_t i = 0; i < x.size(); ++i) expected.push_back(binary_reference(c.op, x[i], y[i]));
  // The fused gradients subtract nearly equal terms where the activation saturates, so their
  // error is absolute, on the scale of g.
  const double scale = c.op >= BinaryOp::SigmoidBackwardFromOutput ? 4 : 1;
  check_close("binary", out.download(), expected, tolerance_for(out_dtype).scaled(scale));
  check_untouched_outside("binary", out);
}

// Maximum and Minimum return NaN when either operand is NaN, as in PyTorch.
void check_binary_nan(const Setting& s, BinaryOp op) {
  const Shape shape{3, s.size};
  DeviceArray a(s.backend, s.dtype, shape), b(s.backend, s.dtype, shape), out(s.backend, s.dtype, shape);
  Values x = a.upload_drawn(s.draws.uniform(-3, 3)), y = b.upload_drawn(s.draws.uniform(-3, 3));
  for (size_t i = 0; i < x.size(); i += 3) x[i] = std::nan("");
  for (size_t i = 1; i < y.size(); i += 4) y[i] = std::nan("");
  a.upload(x);
  b.upload(y);
  s.backend.binary(op, a.view(), b.view(), out.view());
  Values expected;
  for (size_t i = 0; i < x.size(); ++i)
    expected.push_back(std::isnan(x[i]) || std::isnan(y[i]) ? std::nan("")
                                                            : binary_reference(op, x[i], y[i]));
  check_equal("binary with NaN operands", out.download(), expected);
}

void check_where(const Setting& s) {
  const Shape shape{3, s.size};
  const Layout a_layout = partner_layout(s.layout), b_layout = partner_layout(a_layout);
  DeviceArray condition(s.backend, kBool, shape, s.layout);
  DeviceArray a(s.backend, s.dtype, shape, a_layout), b(s.backend, s.dtype, shape, b_layout);
  const Values take_a = condition.upload_drawn(s.draws.integers(0, 1));
  const Values x = a.upload_drawn(draw_for(s, -9, 9)), y = b.upload_drawn(draw_for(s, -9, 9));
  DeviceArray out(s.backend, s.dtype, shape, output_layout(s.layout));
  s.backend.where(condition.view(), a.view(), b.view(), out.view());
  Values expected;
  for (size_t i = 0; i < x.size(); ++i) expected.push_back(take_a[i] != 0 ? x[i] : y[i]);
  check_equal("where", out.download(), expected);
  check_untouched_outside("where", out);
}

// ---- reductions ----

struct ReduceOpCase {
  ReduceOp op;
  const char* name;
  bool with_indices;  // Max/Min: also write the indices
};

const std::vector<ReduceOpCase> kReduceOps = {
    {ReduceOp::Sum, "Sum", false},        {ReduceOp::Mean, "Mean", false},
    {ReduceOp::Max, "Max", false},        {ReduceOp::Min, "Min", false},
    {ReduceOp::Max, "Max with indices", true}, {ReduceOp::Min, "Min with indices", true},
    {ReduceOp::ArgMax, "ArgMax", false},  {ReduceOp::ArgMin, "ArgMin", false},
    {ReduceOp::LogSumExp, "LogSumExp", false}, {ReduceOp::Prod, "Prod", false},
};

bool picks_an_element(ReduceOp op) {
  return op == ReduceOp::Max || op == ReduceOp::Min || op == ReduceOp::ArgMax || op == ReduceOp::ArgMin;
}

// The extreme of one group of values: the value and the index of its first occurrence.
std::pair<double, int64_t> extreme(const Values& group, bool largest) {
  int64_t best = 0;
  for (int64_t i = 1; i < int64_t(group.size()); ++i)
    if (largest ? group[size_t(i)] > group[size_t(best)] : group[size_t(i)] < group[size_t(best)]) best = i;
  return {group[size_t(best)], best};
}

double reduce_reference(ReduceOp op, const Values& group) {
  switch (op) {
    case ReduceOp::Sum: return std::accumulate(group.begin(), group.end(), 0.0);
    case ReduceOp::Mean: return std::accumulate(group.begin(), group.end(), 0.0) / double(group.size());
    case ReduceOp::Prod:
      return std::accumulate(group.begin(), group.end(), 1.0, std::multiplies<double>());
    case ReduceOp::LogSumExp: {
      const double peak = *std::max_element(group.begin(), group.end());
      double sum = 0;
      for (double v : group) sum += std::exp(v - peak);
      return peak + std::log(sum);
    }
    default: return extreme(group, op == ReduceOp::Max || op == ReduceOp::ArgMax).first;
  }
}

// Inputs for a reduction: products stay near 1 (integers are +-1) so that they neither overflow
// nor vanish, even in float16 over 300 repeated values.
std::function<double()> reduce_inputs(const Setting& s, ReduceOp op) {
  if (op != ReduceOp::Prod) return is_floating(s.dtype) ? s.draws.uniform(-3, 3) : draw_for(s, -9, 9);
  if (is_floating(s.dtype)) return s.draws.uniform(0.97, 1.03);
  return [bit = s.draws.integers(0, 1)]() mutable { return 2 * bit() - 1; };
}

// Reduces the trailing `reduced_dims` of an input of `shape` (in s.layout) and compares each
// output with the reference over its group. Max/Min/ArgMax/ArgMin may pick any tied element:
// the index must point at the extreme value.
void check_reduce_shape(const Setting& s, const ReduceOpCase& c, const Shape& shape, int64_t reduced_dims) {
  CAPTURE(reduced_dims);
  DeviceArray in(s.backend, s.dtype, shape, s.layout);
  const Values x = in.upload_drawn(reduce_inputs(s, c.op));
  const Shape kept(shape.begin(), shape.end() - reduced_dims);
  int64_t outputs = 1;
  for (int64_t n : kept) outputs *= n;
  const int64_t group_size = in.numel() / outputs;

  const bool writes_indices = c.op == ReduceOp::ArgMax || c.op == ReduceOp::ArgMin;
  DeviceArray out(s.backend, writes_indices ? kInt64 : s.dtype, kept);
  DeviceArray indices(s.backend, kInt64, kept);
  s.backend.reduce(c.op, in.view(), reduced_dims, out.view(),
                   c.with_indices ? indices.view() : no_array(kInt64));
  const Values result = out.download(), found = indices.download();
  Values expected, picked;
  for (int64_t o = 0; o < outputs; ++o) {
    const Values group(x.begin() + o * group_size, x.begin() + (o + 1) * group_size);
    expected.push_back(reduce_reference(c.op, group));
    if (!picks_an_element(c.op)) continue;
    const double index = writes_indices ? result[size_t(o)] : found[size_t(o)];
    const bool valid = index >= 0 && index < double(group_size);
    picked.push_back(valid ? group[size_t(index)] : std::nan(""));
  }
  if (writes_indices) {
    check_equal("reduce: the element at the index", picked, expected);
    return;
  }
  const double scale = c.op == ReduceOp::Prod || c.op == ReduceOp::Max || c.op == ReduceOp::Min
                           ? 1.0 : std::sqrt(double(group_size));
  check_close("reduce", result, expected, tolerance_for(s.dtype).scaled(scale));
  if (c.with_indices) check_equal("reduce: the element at the index", picked, expected);
}

void check_reduce(const Setting& s, const ReduceOpCase& c) {
  check_reduce_shape(s, c, {3, s.size}, 1);
  check_reduce_shape(s, c, {s.size, 3}, 1);  // transposed: reduce across the contiguous rows
  check_reduce_shape(s, c, {2, 3, s.size}, 2);
  check_reduce_shape(s, c, {3, s.size}, 2);  // everything into one scalar
}

bool integers_support(ReduceOp op) { return op != ReduceOp::Mean && op != ReduceOp::LogSumExp; }

// A NaN anywhere in a group makes its Max or Min NaN, as in PyTorch; rows without one are unaffected.
void check_reduce_nan(const Setting& s, ReduceOp op) {
  const int64_t n = s.size;
  DeviceArray in(s.backend, s.dtype, {3, n}), out(s.backend, s.dtype, {3});
  Values x = in.upload_drawn(s.draws.uniform(-3, 3));
  x[size_t(n - 1)] = std::nan("");  // the last element of row 0
  x[size_t(2 * n)] = std::nan("");  // the first element of row 2
  in.upload(x);
  s.backend.reduce(op, in.view(), 1, out.view(), no_array(kInt64));
  const Values row_1(x.begin() + n, x.begin() + 2 * n);
  check_equal("reduce with NaN", out.download(), {std::nan(""), reduce_reference(op, row_1), std::nan("")});
}

// ---- row-wise ops: softmax, cumsum, sort, topk ----

constexpr int64_t kRows = 4;
const double kMinusInfinity = -std::numeric_limits<double>::infinity();

Values softmax_reference(const Values& x, int64_t n, bool log) {
  Values y(x.size());
  for (int64_t r = 0; r < int64_t(x.size()) / n; ++r) {
    const auto row = x.begin() + r * n;
    const double peak = *std::max_element(row, row + n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(row[i] - peak);
    for (int64_t i = 0; i < n; ++i) {
      double& out = y[size_t(r * n + i)];
      if (peak == kMinusInfinity) out = log ? kMinusInfinity : 0;  // a fully masked row: no mass
      else out = log ? row[i] - peak - std::log(sum) : std::exp(row[i] - peak) / sum;
    }
  }
  return y;
}

// Rows of logits where row 1 masks its first element and, for softmax, row 2 masks everything
// (attention over padding: zeros, not NaN).
Values masked_logits(const Setting& s, DeviceArray& in, bool mask_a_whole_row) {
  Values x = in.upload_drawn(s.draws.uniform(-4, 4));
  const int64_t n = s.size;
  if (n > 1) x[size_t(n)] = kMinusInfinity;
  if (mask_a_whole_row)
    for (int64_t i = 0; i < n; ++i) x[size_t(2 * n + i)] = kMinusInfinity;
  in.upload(x);
  return x;
}

void check_softmax(const Setting& s, bool log) {
  DeviceArray in(s.backend, s.dtype, {kRows, s.size}), out(s.backend, s.dtype, {kRows, s.size});
  const Values x = masked_logits(s, in, /*mask_a_whole_row=*/!log);
  s.backend.softmax(in.view(), out.view(), log);
  check_close(log ? "log_softmax" : "softmax", out.download(), softmax_reference(x, s.size, log),
              tolerance_for(s.dtype).scaled(2));
}

void check_softmax_backward(const Setting& s, bool log) {
  const int64_t n = s.size;
  DeviceArray y(s.backend, s.dtype, {kRows, n}), g(s.backend, s.dtype, {kRows, n});
  DeviceArray grad_in(s.backend, s.dtype, {kRows, n});
  Values logits(size_t(kRows * n));
  for (double& v : logits) v = s.draws.uniform(-4, 4)();
  Values forward = softmax_reference(logits, n, log);
  for (double& v : forward) v = round_to(s.dtype, v);
  y.upload(forward);
  const Values grad = g.upload_drawn(s.draws.uniform(-1, 1));
  s.backend.softmax_backward(y.view(), g.view(), grad_in.view(), log);
  Values expected(forward.size());
  for (int64_t r = 0; r < kRows; ++r) {
    double dot = 0;  // sum(g * y) for softmax, sum(g) for log-softmax
    for (int64_t i = 0; i < n; ++i) dot += grad[size_t(r * n + i)] * (log ? 1 : forward[size_t(r * n + i)]);
    for (int64_t i = 0; i < n; ++i) {
      const size_t at = size_t(r * n + i);
      expected[at] = log ? grad[at] - std::exp(forward[at]) * dot : forward[at] * (grad[at] - dot);
    }
  }
  check_close(log ? "log_softmax backward" : "softmax backward", grad_in.download(), expected,
              tolerance_for(s.dtype).scaled(std::sqrt(double(n))));
}

void check_cumsum(const Setting& s) {
  const int64_t n = s.size;
  DeviceArray in(s.backend, s.dtype, {kRows, n}), out(s.backend, s.dtype, {kRows, n});
  const Values x = is_floating(s.dtype) ? in.upload_drawn(s.draws.uniform(-1, 1))
                                        : in.upload_drawn(s.draws.integers(-9, 9));
  s.backend.cumsum(in.view(), out.view());
  Values expected(x.size());
  for (int64_t r = 0; r < kRows; ++r) {
    double running = 0;
    for (int64_t i = 0; i < n; ++i) expected[size_t(r * n + i)] = running += x[size_t(r * n + i)];
  }
  check_close("cumsum", out.download(), expected, tolerance_for(s.dtype).scaled(std::sqrt(double(n))));
}

// sort: values with many ties (small integers, halved for floats), so stability shows in the
// indices: equal values keep their input order in both directions.
void check_sort(const Setting& s, bool descending) {
  const int64_t n = s.size;
  DeviceArray in(s.backend, s.dtype, {kRows, n}), values(s.backend, s.dtype, {kRows, n});
  DeviceArray indices(s.backend, kInt64, {kRows, n});
  const Values x = in.upload_drawn(draw_for(s, -2, 2));
  s.backend.sort(in.view(), values.view(), indices.view(), descending);
  Values expected_values, expected_indices;
  for (int64_t r = 0; r < kRows; ++r) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t(0));
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      const double xa = x[size_t(r * n + a)], xb = x[size_t(r * n + b)];
      return descending ? xa > xb : xa < xb;
    });
    for (int64_t i : order) {
      expected_values.push_back(x[size_t(r * n + i)]);
      expected_indices.push_back(double(i));
    }
  }
  check_equal("sort values", values.download(), expected_values);
  check_equal("sort indices", indices.download(), expected_indices);
}

// topk: distinct values (a shuffled range of integers), for k = 1, 3 and the whole row.
void check_topk(const Setting& s, bool largest) {
  const int64_t n = s.size;
  DeviceArray in(s.backend, s.dtype, {kRows, n});
  Values x;
  for (int64_t r = 0; r < kRows; ++r) {
    Values row(static_cast<size_t>(n));
    std::iota(row.begin(), row.end(), double(-n / 2));
    std::shuffle(row.begin(), row.end(), s.draws.engine());
    x.insert(x.end(), row.begin(), row.end());
  }
  in.upload(x);
  for (int64_t k : {int64_t(1), std::min<int64_t>(3, n), n}) {
    CAPTURE(k);
    DeviceArray values(s.backend, s.dtype, {kRows, k}), indices(s.backend, kInt64, {kRows, k});
    s.backend.topk(in.view(), k, largest, values.view(), indices.view());
    Values expected_values, expected_indices;
    for (int64_t r = 0; r < kRows; ++r) {
      std::vector<int64_t> order(static_cast<size_t>(n));
      std::iota(order.begin(), order.end(), int64_t(0));
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        const double xa = x[size_t(r * n + a)], xb = x[size_t(r * n + b)];
        return largest ? xa > xb : xa < xb;
      });
      for (int64_t i = 0; i < k; ++i) {
        expected_values.push_back(x[size_t(r * n + order[size_t(i)])]);
        expected_indices.push_back(double(order[size_t(i)]));
      }
    }
    check_equal("topk values", values.download(), expected_values);
    check_equal("topk indices", indices.download(), expected_indices);
  }
}

// ---- fused losses and norms ----

void check_cross_entropy(const Setting& s) {
  const int64_t rows = 5, vocab = s.size;
  DeviceArray logits(s.backend, s.dtype, {rows, vocab}), targets(s.backend, kInt64, {rows});
  DeviceArray loss(s.backend, s.dtype, {rows}), log_normalizer(s.backend, s.dtype, {rows});
  const Values x = logits.upload_drawn(s.draws.uniform(-5, 5));
  const Values t = targets.upload_drawn(s.draws.integers(0, vocab - 1));
  s.backend.cross_entropy(logits.view(), targets.view(), loss.view(), log_normalizer.view());
  Values expected_loss, expected_normalizer;
  for (int64_t r = 0; r < rows; ++r) {
    double peak = kMinusInfinity, sum = 0;
    for (int64_t v = 0; v < vocab; ++v) peak = std::max(peak, x[size_t(r * vocab + v)]);
    for (int64_t v = 0; v < vocab; ++v) sum += std::exp(x[size_t(r * vocab + v)] - peak);
    expected_normalizer.push_back(peak + std::log(sum));
    expected_loss.push_back(expected_normalizer.back() - x[size_t(r * vocab + int64_t(t[size_t(r)]))]);
  }
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(4);
  check_close("cross_entropy log_normalizer", log_normalizer.download(), expected_normalizer, tolerance);
  check_close("cross_entropy loss", loss.download(), expected_loss, tolerance);
}

// Row 2's incoming gradient is zero (an ignored token): its gradient must be exactly zero.
void check_cross_entropy_backward(const Setting& s) {
  const int64_t rows = 5, vocab = s.size;
  DeviceArray logits(s.backend, s.dtype, {rows, vocab}), targets(s.backend, kInt64, {rows});
  DeviceArray log_normalizer(s.backend, s.dtype, {rows}), grad_loss(s.backend, s.dtype, {rows});
  DeviceArray grad_logits(s.backend, s.dtype, {rows, vocab});
  const Values x = logits.upload_drawn(s.draws.uniform(-5, 5));
  const Values t = targets.upload_drawn(s.draws.integers(0, vocab - 1));
  Values normalizer;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t v = 0; v < vocab; ++v) sum += std::exp(x[size_t(r * vocab + v)]);
    normalizer.push_back(round_to(s.dtype, std::log(sum)));
  }
  log_normalizer.upload(normalizer);
  Values g(static_cast<size_t>(rows));
  for (double& v : g) v = round_to(s.dtype, s.draws.uniform(-2, 2)());
  g[2] = 0;
  grad_loss.upload(g);
  s.backend.cross_entropy_backward(logits.view(), targets.view(), log_normalizer.view(),
                                   grad_loss.view(), grad_logits.view());
  Values expected;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vocab; ++v)
      expected.push_back(g[size_t(r)] * (std::exp(x[size_t(r * vocab + v)] - normalizer[size_t(r)]) -
                                         (v == int64_t(t[size_t(r)]) ? 1 : 0)));
  check_close("cross_entropy backward", grad_logits.download(), expected, tolerance_for(s.dtype).scaled(4));
}

// ---- sparse rows: embedding bags, multi-label BCE ----

// Four bags of 2, 0, 3 and 1 items (an empty bag is padding), m = 3 rows per item.
const Values kBagOffsets = {0, 2, 2, 5, 6};
constexpr int64_t kBagItems = 6, kBagPopulation = 3, kBagTable = 7;

// The first id (in the flattened [items, m] ids) of bag b.
int64_t bag_begin(int64_t b) { return int64_t(kBagOffsets[size_t(b)]) * kBagPopulation; }

// Bag w's factor: 1/m for mean items, 1/items when normalising (see Backend::embedding_bag).
double bag_factor_reference(int64_t w, bool mean_items, bool normalize) {
  const double items = kBagOffsets[size_t(w + 1)] - kBagOffsets[size_t(w)];
  return (mean_items ? 1.0 / kBagPopulation : 1.0) / (normalize && items > 0 ? items : 1.0);
}

void check_embedding_bag(const Setting& s, bool mean_items, bool normalize) {
  const int64_t width = s.size, bags = int64_t(kBagOffsets.size()) - 1;
  DeviceArray weight(s.backend, s.dtype, {kBagTable, width}), out(s.backend, s.dtype, {bags, width});
  DeviceArray ids(s.backend, kInt64, {kBagItems, kBagPopulation}), offsets(s.backend, kInt64, {bags + 1});
  const Values w = weight.upload_drawn(s.draws.uniform(-2, 2));
  const Values id = ids.upload_drawn(s.draws.integers(0, kBagTable - 1));
  offsets.upload(kBagOffsets);
  s.backend.embedding_bag(weight.view(), ids.view(), offsets.view(), mean_items, normalize, out.view());
  Values expected(size_t(bags * width), 0.0);
  for (int64_t b = 0; b < bags; ++b)
    for (int64_t i = bag_begin(b); i < bag_begin(b + 1); ++i)
      for (int64_t d = 0; d < width; ++d)
        expected[size_t(b * width + d)] +=
            bag_factor_reference(b, mean_items, normalize) * w[size_t(int64_t(id[size_t(i)]) * width + d)];
  check_close("embedding_bag", out.download(), expected, tolerance_for(s.dtype).scaled(8));
}

// The gradient is added into grad_weight's existing values.
void check_embedding_bag_backward(const Setting& s, bool mean_items, bool normalize) {
  const int64_t width = s.size, bags = int64_t(kBagOffsets.size()) - 1;
  DeviceArray grad_out(s.backend, s.dtype, {bags, width}), grad_weight(s.backend, s.dtype, {kBagTable, width});
  DeviceArray ids(s.backend, kInt64, {kBagItems, kBagPopulation}), offsets(s.backend, kInt64, {bags + 1});
  const Values g = grad_out.upload_drawn(s.draws.uniform(-2, 2));
  Values expected = grad_weight.upload_drawn(s.draws.uniform(-1, 1));
  const Values id = ids.upload_drawn(s.draws.integers(0, kBagTable - 1));
  offsets.upload(kBagOffsets);
  s.backend.embedding_bag_backward(grad_out.view(), ids.view(), offsets.view(), mean_items, normalize,
                                   grad_weight.view());
  for (int64_t b = 0; b < bags; ++b)
    for (int64_t i = bag_begin(b); i < bag_begin(b + 1); ++i)
      for (int64_t d = 0; d < width; ++d)
        expected[size_t(int64_t(id[size_t(i)]) * width + d)] +=
            bag_factor_reference(b, mean_items, normalize) * g[size_t(b * width + d)];
  check_close("embedding_bag backward", grad_weight.download(), expected, tolerance_for(s.dtype).scaled(8));
}

// Five rows: a repeated positive, none, two, one, and a row of weight 0.
const Values kTargetOffsets = {0, 3, 3, 5, 6, 7};
constexpr double kPosWeight = 3.0;

// Row r's positive classes (each once) as a mask over `classes`.
std::vector<bool> positives_reference(const Values& targets, int64_t r, int64_t classes) {
  std::vector<bool> positive(size_t(classes), false);
  for (int64_t i = int64_t(kTargetOffsets[size_t(r)]); i < int64_t(kTargetOffsets[size_t(r + 1)]); ++i)
    positive[size_t(targets[size_t(i)])] = true;
  return positive;
}

void check_multilabel_bce(const Setting& s) {
  const int64_t rows = int64_t(kTargetOffsets.size()) - 1, classes = s.size;
  DeviceArray logits(s.backend, s.dtype, {rows, classes}), weights(s.backend, s.dtype, {rows});
  DeviceArray targets(s.backend, kInt64, {int64_t(kTargetOffsets.back())}), offsets(s.backend, kInt64, {rows + 1});
  DeviceArray loss(s.backend, s.dtype, {rows});
  const Values z = logits.upload_drawn(s.draws.uniform(-30, 30));
  Values w = {1.0, 0.5, 2.0, 1.0, 0.0};
  weights.upload(w);
  const Values t = targets.upload_drawn(s.draws.integers(0, classes - 1));
  offsets.upload(kTargetOffsets);
  s.backend.multilabel_bce(logits.view(), targets.view(), offsets.view(), weights.view(), kPosWeight, loss.view());
  Values expected;
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<bool> positive = positives_reference(t, r, classes);
    double total = 0;
    for (int64_t v = 0; v < classes; ++v) {
      const double x = z[size_t(r * classes + v)];
      const double softplus_x = std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));  // -log(1 - sigmoid(x))
      total += positive[size_t(v)] ? kPosWeight * (softplus_x - x) : softplus_x;
    }
    expected.push_back(w[size_t(r)] * total);
  }
  check_close("multilabel_bce", loss.download(), expected, tolerance_for(s.dtype).scaled(8));
}

void check_multilabel_bce_backward(const Setting& s) {
  const int64_t rows = int64_t(kTargetOffsets.size()) - 1, classes = s.size;
  DeviceArray logits(s.backend, s.dtype, {rows, classes}), weights(s.backend, s.dtype, {rows});
  DeviceArray targets(s.backend, kInt64, {int64_t(kTargetOffsets.back())}), offsets(s.backend, kInt64, {rows + 1});
  DeviceArray grad_loss(s.backend, s.dtype, {rows}), grad_logits(s.backend, s.dtype, {rows, classes});
  const Values z = logits.upload_drawn(s.draws.uniform(-30, 30));
  const Values w = {1.0, 0.5, 2.0, 1.0, 0.0};
  weights.upload(w);
  const Values g = grad_loss.upload_drawn(s.draws.uniform(-2, 2));
  const Values t = targets.upload_drawn(s.draws.integers(0, classes - 1));
  offsets.upload(kTargetOffsets);
  s.backend.multilabel_bce_backward(logits.view(), targets.view(), offsets.view(), weights.view(), kPosWeight,
                                    grad_loss.view(), grad_logits.view());
  Values expected;
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<bool> positive = positives_reference(t, r, classes);
    for (int64_t v = 0; v < classes; ++v) {
      const double sigmoid = 1 / (1 + std::exp(-z[size_t(r * classes + v)]));
      expected.push_back(g[size_t(r)] * w[size_t(r)] * (positive[size_t(v)] ? kPosWeight * (sigmoid - 1) : sigmoid));
    }
  }
  check_close("multilabel_bce backward", grad_logits.download(), expected, tolerance_for(s.dtype).scaled(8));
}

constexpr double kRmsEpsilon = 1e-5;

Values inverse_rms_reference(const Values& x, int64_t rows, int64_t dim) {
  Values inverse;
  for (int64_t r = 0; r < rows; ++r) {
    double squares = 0;
    for (int64_t d = 0; d < dim; ++d) squares += x[size_t(r * dim + d)] * x[size_t(r * dim + d)];
    inverse.push_back(1 / std::sqrt(squares / double(dim) + kRmsEpsilon));
  }
  return inverse;
}

void check_rms_norm(const Setting& s) {
  const int64_t rows = 4, dim = s.size;
  DeviceArray x(s.backend, s.dtype, {rows, dim}), weight(s.backend, s.dtype, {dim});
  DeviceArray out(s.backend, s.dtype, {rows, dim}), inverse_rms(s.backend, s.dtype, {rows});
  const Values xs = x.upload_drawn(s.draws.uniform(-2, 2)), w = weight.upload_drawn(s.draws.uniform(-1, 1));
  s.backend.rms_norm(x.view(), weight.view(), kRmsEpsilon, out.view(), inverse_rms.view());
  const Values inverse = inverse_rms_reference(xs, rows, dim);
  Values expected;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d)
      expected.push_back(xs[size_t(r * dim + d)] * inverse[size_t(r)] * w[size_t(d)]);
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(4);
  check_close("rms_norm inverse_rms", inverse_rms.download(), inverse, tolerance);
  check_close("rms_norm", out.download(), expected, tolerance);
}

// dx = r * (g*w - x * r^2 * mean(g*w*x)), dw = sum over rows of g * x * r.
void check_rms_norm_backward(const Setting& s, bool with_weight_gradient) {
  const int64_t rows = 4, dim = s.size;
  DeviceArray x(s.backend, s.dtype, {rows, dim}), weight(s.backend, s.dtype, {dim});
  DeviceArray inverse_rms(s.backend, s.dtype, {rows}), grad_out(s.backend, s.dtype, {rows, dim});
  DeviceArray grad_x(s.backend, s.dtype, {rows, dim}), grad_weight(s.backend, s.dtype, {dim});
  const Values xs = x.upload_drawn(s.draws.uniform(-2, 2)), w = weight.upload_drawn(s.draws.uniform(-1, 1));
  const Values g = grad_out.upload_drawn(s.draws.uniform(-1, 1));
  Values inverse = inverse_rms_reference(xs, rows, dim);
  for (double& v : inverse) v = round_to(s.dtype, v);
  inverse_rms.upload(inverse);
  s.backend.rms_norm_backward(x.view(), weight.view(), inverse_rms.view(), grad_out.view(), grad_x.view(),
                              with_weight_gradient ? grad_weight.view() : no_array(s.dtype));
  Values expected_x, expected_weight(static_cast<size_t>(dim), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const double inv = inverse[size_t(r)];
    double mean_gwx = 0;
    for (int64_t d = 0; d < dim; ++d) {
      const size_t at = size_t(r * dim + d);
      mean_gwx += g[at] * w[size_t(d)] * xs[at] / double(dim);
      expected_weight[size_t(d)] += g[at] * xs[at] * inv;
    }
    for (int64_t d = 0; d < dim; ++d) {
      const size_t at = size_t(r * dim + d);
      expected_x.push_back(inv * (g[at] * w[size_t(d)] - xs[at] * inv * inv * mean_gwx));
    }
  }
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(4 * std::sqrt(double(dim)));
  check_close("rms_norm backward: grad_x", grad_x.download(), expected_x, tolerance);
  if (with_weight_gradient)
    check_close("rms_norm backward: grad_weight", grad_weight.download(), expected_weight, tolerance);
  else
    check_equal("rms_norm backward: skipped grad_weight untouched", grad_weight.download(),
                Values(size_t(dim), round_to(s.dtype, kUntouched)));
}

// ---- layer_norm ----

constexpr double kLayerNormEpsilon = 1e-5;

// Per row: the mean and 1 / sqrt(biased variance + eps).
std::pair<Values, Values> layer_norm_statistics(const Values& x, int64_t rows, int64_t dim) {
  Values means, inverses;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0, squares = 0;
    for (int64_t d = 0; d < dim; ++d) sum += x[size_t(r * dim + d)];
    const double mean = sum / double(dim);
    for (int64_t d = 0; d < dim; ++d) squares += (x[size_t(r * dim + d)] - mean) * (x[size_t(r * dim + d)] - mean);
    means.push_back(mean);
    inverses.push_back(1 / std::sqrt(squares / double(dim) + kLayerNormEpsilon));
  }
  return {means, inverses};
}

void check_layer_norm(const Setting& s) {
  const int64_t rows = 4, dim = s.size;
  DeviceArray x(s.backend, s.dtype, {rows, dim}), weight(s.backend, s.dtype, {dim}), bias(s.backend, s.dtype, {dim});
  DeviceArray out(s.backend, s.dtype, {rows, dim}), mean(s.backend, s.dtype, {rows}), inverse_std(s.backend, s.dtype, {rows});
  // An offset of 3 against a spread of 2: the variance must not come from sum(x^2) - mean^2.
  const Values xs = x.upload_drawn(s.draws.uniform(1, 5)), w = weight.upload_drawn(s.draws.uniform(-1, 1));
  const Values b = bias.upload_drawn(s.draws.uniform(-1, 1));
  s.backend.layer_norm(x.view(), weight.view(), bias.view(), kLayerNormEpsilon, out.view(), mean.view(),
                       inverse_std.view());
  const auto [means, inverses] = layer_norm_statistics(xs, rows, dim);
  Values expected;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d)
      expected.push_back((xs[size_t(r * dim + d)] - means[size_t(r)]) * inverses[size_t(r)] * w[size_t(d)] +
                         b[size_t(d)]);
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(8);
  check_close("layer_norm mean", mean.download(), means, tolerance);
  check_close("layer_norm inverse_std", inverse_std.download(), inverses, tolerance);
  check_close("layer_norm", out.download(), expected, tolerance);
}

// xhat = (x - m) r; dx = r (g w - mean(g w) - xhat mean(g w xhat)); dw = sum g xhat; db = sum g.
void check_layer_norm_backward(const Setting& s, bool with_parameter_gradients) {
  const int64_t rows = 4, dim = s.size;
  DeviceArray x(s.backend, s.dtype, {rows, dim}), weight(s.backend, s.dtype, {dim});
  DeviceArray mean(s.backend, s.dtype, {rows}), inverse_std(s.backend, s.dtype, {rows});
  DeviceArray grad_out(s.backend, s.dtype, {rows, dim}), grad_x(s.backend, s.dtype, {rows, dim});
  DeviceArray grad_weight(s.backend, s.dtype, {dim}), grad_bias(s.backend, s.dtype, {dim});
  const Values xs = x.upload_drawn(s.draws.uniform(-2, 2)), w = weight.upload_drawn(s.draws.uniform(-1, 1));
  const Values g = grad_out.upload_drawn(s.draws.uniform(-1, 1));
  auto [means, inverses] = layer_norm_statistics(xs, rows, dim);
  for (double& v : means) v = round_to(s.dtype, v);
  for (double& v : inverses) v = round_to(s.dtype, v);
  mean.upload(means);
  inverse_std.upload(inverses);
  s.backend.layer_norm_backward(x.view(), weight.view(), mean.view(), inverse_std.view(), grad_out.view(),
                                grad_x.view(), with_parameter_gradients ? grad_weight.view() : no_array(s.dtype),
                                with_parameter_gradients ? grad_bias.view() : no_array(s.dtype));
  Values expected_x, expected_weight(size_t(dim), 0.0), expected_bias(size_t(dim), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const double inv = inverses[size_t(r)];
    Values xhat;
    double mean_gw = 0, mean_gw_xhat = 0;
    for (int64_t d = 0; d < dim; ++d) {
      const size_t at = size_t(r * dim + d);
      xhat.push_back((xs[at] - means[size_t(r)]) * inv);
      mean_gw += g[at] * w[size_t(d)] / double(dim);
      mean_gw_xhat += g[at] * w[size_t(d)] * xhat.back() / double(dim);
      expected_weight[size_t(d)] += g[at] * xhat.back();
      expected_bias[size_t(d)] += g[at];
    }
    for (int64_t d = 0; d < dim; ++d) {
      const size_t at = size_t(r * dim + d);
      expected_x.push_back(inv * (g[at] * w[size_t(d)] - mean_gw - xhat[size_t(d)] * mean_gw_xhat));
    }
  }
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(8 * std::sqrt(double(dim)));
  check_close("layer_norm backward: grad_x", grad_x.download(), expected_x, tolerance);
  if (with_parameter_gradients) {
    check_close("layer_norm backward: grad_weight", grad_weight.download(), expected_weight, tolerance);
    check_close("layer_norm backward: grad_bias", grad_bias.download(), expected_bias, tolerance);
  } else {
    const Values untouched(size_t(dim), round_to(s.dtype, kUntouched));
    check_equal("layer_norm backward: skipped grad_weight untouched", grad_weight.download(), untouched);
    check_equal("layer_norm backward: skipped grad_bias untouched", grad_bias.download(), untouched);
  }
}

// ---- causal_attention ----

// The sizes of one attention check: 2 sequences, 4 query heads sharing 2 key/value heads, head
// size 8, `tokens` queries at the end of `keys` positions.
struct AttentionSizes {
  int64_t batch = 2, heads = 4, kv_heads = 2, tokens = 0, keys = 0, dim = 8;
};

AttentionSizes attention_sizes(const Setting& s) {
  // The setting's size is the key count; the queries are the last two thirds of them, so that
  // S > T is covered, and at least one.
  return {.tokens = std::max<int64_t>(1, 2 * s.size / 3), .keys = s.size};
}

// Probabilities and outputs in float64 from the definition: every score computed, the future
// keys masked.
std::pair<Values, Values> attention_reference(const AttentionSizes& z, const Values& q, const Values& k,
                                              const Values& v) {
  const double scale = 1 / std::sqrt(double(z.dim));
  Values probabilities, out;
  for (int64_t b = 0; b < z.batch; ++b)
    for (int64_t h = 0; h < z.heads; ++h) {
      const int64_t kv = b * z.kv_heads + h / (z.heads / z.kv_heads), qh = b * z.heads + h;
      for (int64_t i = 0; i < z.tokens; ++i) {
        Values row(size_t(z.keys), 0.0);
        double largest = -INFINITY, total = 0;
        const int64_t seen = z.keys - z.tokens + i + 1;
        for (int64_t j = 0; j < seen; ++j) {
          for (int64_t d = 0; d < z.dim; ++d)
            row[size_t(j)] += q[size_t((qh * z.tokens + i) * z.dim + d)] * k[size_t((kv * z.keys + j) * z.dim + d)];
          row[size_t(j)] *= scale;
          largest = std::max(largest, row[size_t(j)]);
        }
        for (int64_t j = 0; j < seen; ++j) total += (row[size_t(j)] = std::exp(row[size_t(j)] - largest));
        for (int64_t j = 0; j < seen; ++j) row[size_t(j)] /= total;
        for (int64_t d = 0; d < z.dim; ++d) {
          double sum = 0;
          for (int64_t j = 0; j < seen; ++j) sum += row[size_t(j)] * v[size_t((kv * z.keys + j) * z.dim + d)];
          out.push_back(sum);
        }
        probabilities.insert(probabilities.end(), row.begin(), row.end());
      }
    }
  return {probabilities, out};
}

void check_causal_attention(const Setting& s) {
  const AttentionSizes z = attention_sizes(s);
  DeviceArray q(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.dim});
  DeviceArray k(s.backend, s.dtype, {z.batch, z.kv_heads, z.keys, z.dim}), v(s.backend, s.dtype, {z.batch, z.kv_heads, z.keys, z.dim});
  DeviceArray out(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.dim});
  DeviceArray probabilities(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.keys});
  const Values qs = q.upload_drawn(s.draws.uniform(-2, 2)), ks = k.upload_drawn(s.draws.uniform(-2, 2));
  const Values vs = v.upload_drawn(s.draws.uniform(-1, 1));
  s.backend.causal_attention(q.view(), k.view(), v.view(), 1 / std::sqrt(double(z.dim)), out.view(),
                             probabilities.view());
  const auto [expected_probabilities, expected_out] = attention_reference(z, qs, ks, vs);
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(8 * std::sqrt(double(z.keys)));
  check_close("causal_attention probabilities", probabilities.download(), expected_probabilities, tolerance);
  check_close("causal_attention", out.download(), expected_out, tolerance);
}

// dP = dO V^T, dS = P (dP - rowsum(P dP)) / sqrt(D); dQ = dS K, dK = dS^T Q, dV = P^T dO, with
// dK and dV summed over the query heads that share a key/value head.
void check_causal_attention_backward(const Setting& s) {
  const AttentionSizes z = attention_sizes(s);
  const double scale = 1 / std::sqrt(double(z.dim));
  DeviceArray q(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.dim}), grad_out(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.dim});
  DeviceArray k(s.backend, s.dtype, {z.batch, z.kv_heads, z.keys, z.dim}), v(s.backend, s.dtype, {z.batch, z.kv_heads, z.keys, z.dim});
  DeviceArray probabilities(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.keys});
  DeviceArray grad_q(s.backend, s.dtype, {z.batch, z.heads, z.tokens, z.dim});
  DeviceArray grad_k(s.backend, s.dtype, {z.batch, z.kv_heads, z.keys, z.dim}), grad_v(s.backend, s.dtype, {z.batch, z.kv_heads, z.keys, z.dim});
  const Values qs = q.upload_drawn(s.draws.uniform(-2, 2)), ks = k.upload_drawn(s.draws.uniform(-2, 2));
  const Values vs = v.upload_drawn(s.draws.uniform(-1, 1)), g = grad_out.upload_drawn(s.draws.uniform(-1, 1));
  Values p = attention_reference(z, qs, ks, vs).first;
  for (double& x : p) x = round_to(s.dtype, x);
  probabilities.upload(p);
  s.backend.causal_attention_backward(q.view(), k.view(), v.view(), probabilities.view(), scale, grad_out.view(),
                                      grad_q.view(), grad_k.view(), grad_v.view());
  Values expected_q(qs.size(), 0.0), expected_k(ks.size(), 0.0), expected_v(vs.size(), 0.0);
  for (int64_t b = 0; b < z.batch; ++b)
    for (int64_t h = 0; h < z.heads; ++h) {
      const int64_t kv = b * z.kv_heads + h / (z.heads / z.kv_heads), qh = b * z.heads + h;
      for (int64_t i = 0; i < z.tokens; ++i) {
        const size_t prow = size_t((qh * z.tokens + i) * z.keys), qrow = size_t((qh * z.tokens + i) * z.dim);
        Values dp(size_t(z.keys), 0.0);
        double projection = 0;
        for (int64_t j = 0; j < z.keys; ++j) {
          for (int64_t d = 0; d < z.dim; ++d) dp[size_t(j)] += g[qrow + size_t(d)] * vs[size_t((kv * z.keys + j) * z.dim + d)];
          projection += p[prow + size_t(j)] * dp[size_t(j)];
        }
        for (int64_t j = 0; j < z.keys; ++j) {
          const double ds = scale * p[prow + size_t(j)] * (dp[size_t(j)] - projection);
          for (int64_t d = 0; d < z.dim; ++d) {
            const size_t kv_at = size_t((kv * z.keys + j) * z.dim + d);
            expected_q[qrow + size_t(d)] += ds * ks[kv_at];
            expected_k[kv_at] += ds * qs[qrow + size_t(d)];
            expected_v[kv_at] += p[prow + size_t(j)] * g[qrow + size_t(d)];
          }
        }
      }
    }
  const Tolerance tolerance = tolerance_for(s.dtype).scaled(16 * std::sqrt(double(z.keys)));
  check_close("causal_attention backward: grad_q", grad_q.download(), expected_q, tolerance);
  check_close("causal_attention backward: grad_k", grad_k.download(), expected_k, tolerance);
  check_close("causal_attention backward: grad_v", grad_v.download(), expected_v, tolerance);
}

// ---- gemm ----

struct GemmShape {
  int64_t m, n, k;
};

// Runs one batched product with the given transposes, `entries` batch entries stored in reverse
// order with gaps between them, and leading dimensions `padding` wider than the matrices.
void check_gemm_batch(const Setting& s, GemmShape shape, bool transpose_a, bool transpose_b,
                      int64_t entries, int64_t padding) {
  CAPTURE(shape.m);
  CAPTURE(shape.n);
  CAPTURE(shape.k);
  CAPTURE(transpose_a);
  CAPTURE(transpose_b);
  CAPTURE(entries);
  CAPTURE(padding);
  const auto [m, n, k] = shape;
  const int64_t a_rows = transpose_a ? k : m, a_cols = transpose_a ? m : k;
  const int64_t b_rows = transpose_b ? n : k, b_cols = transpose_b ? k : n;
  const int64_t lda = a_cols + padding, ldb = b_cols + padding, ldc = n + padding;
  constexpr int64_t kGap = 3;  // elements between consecutive entries
  const int64_t a_entry = a_rows * lda + kGap, b_entry = b_rows * ldb + kGap, c_entry = m * ldc + kGap;
  std::vector<int64_t> a_offsets, b_offsets, c_offsets;
  for (int64_t e = 0; e < entries; ++e) {
    a_offsets.push_back((entries - 1 - e) * a_entry);
    b_offsets.push_back((entries - 1 - e) * b_entry);
    c_offsets.push_back((entries - 1 - e) * c_entry);
  }
  DeviceArray a(s.backend, s.dtype, {entries * a_entry}), b(s.backend, s.dtype, {entries * b_entry});
  DeviceArray c(s.backend, s.dtype, {entries * c_entry});
  std::function<double()> values = s.draws.integers(-4, 4);
  if (is_floating(s.dtype)) values = s.draws.uniform(-1, 1);
  const Values av = a.upload_drawn(values), bv = b.upload_drawn(values);

  const GemmBatch batch{m, n, k, transpose_a, transpose_b, lda, ldb, ldc, a_offsets, b_offsets, c_offsets};
  s.backend.gemm(s.dtype, a.data(), b.data(), c.data(), batch);

  // Expected: the products at their places, and kUntouched in the padding and the gaps.
  Values expected(size_t(entries * c_entry), round_to(s.dtype, kUntouched));
  for (int64_t e = 0; e < entries; ++e)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double x = av[size_t(a_offsets[size_t(e)] + (transpose_a ? p * lda + i : i * lda + p))];
          const double y = bv[size_t(b_offsets[size_t(e)] + (transpose_b ? j * ldb + p : p * ldb + j))];
          sum += x * y;
        }
        expected[size_t(c_offsets[size_t(e)] + i * ldc + j)] = sum;
      }
  check_close("gemm", c.download(), expected, tolerance_for(s.dtype).scaled(double(k)));
}

void check_gemm(const Setting& s, bool transpose_a, bool transpose_b) {
  // The size is each dimension in turn; one row or one column of output is a matrix-vector product.
  const int64_t size = s.size;
  for (const GemmShape shape : {GemmShape{size, 7, 13}, GemmShape{7, size, 33}, GemmShape{13, 5, size},
                                GemmShape{1, 13, size}, GemmShape{13, 1, size}}) {
    check_gemm_batch(s, shape, transpose_a, transpose_b, /*entries=*/1, /*padding=*/0);
    check_gemm_batch(s, shape, transpose_a, transpose_b, /*entries=*/3, /*padding=*/5);
  }
}

// ---- indexing ----

// A contiguous [outer, dim, inner] shape with the indexed dimension `dim` of length `length`.
Shape shape_with(int64_t dim, int64_t length) {
  Shape shape{2, 3, 4};
  shape[size_t(dim)] = length;
  return shape;
}

// Row-major index of (o, j, i) in a shape seen as [outer, shape[dim], inner].
struct Split {
  int64_t outer = 1, length = 1, inner = 1;
  Split(const Shape& shape, int64_t dim) {
    for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
      if (d < dim) outer *= shape[size_t(d)];
      else if (d == dim) length = shape[size_t(d)];
      else inner *= shape[size_t(d)];
    }
  }
  size_t at(int64_t o, int64_t j, int64_t i) const { return size_t((o * length + j) * inner + i); }
};

// Values whose sums are exact in every dtype: quarters for floats, small integers, and bool.
std::function<double()> exact_values(const Setting& s) {
  if (s.dtype == kBool) return s.draws.integers(0, 1);
  if (!is_floating(s.dtype)) return s.draws.integers(-9, 9);
  return [quarter = s.draws.integers(-8, 8)]() mutable { return quarter() / 4; };
}

// Addition as the kernels define it per dtype: bool adds as logical or.
double add_values(DType dtype, double a, double b) {
  return dtype == kBool ? double(a != 0 || b != 0) : a + b;
}

constexpr int64_t kPicked = 5;  // indices per gathered row: more than some lengths, so repeats occur

void check_gather(const Setting& s) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    CAPTURE(dim);
    const Shape in_shape = shape_with(dim, s.size), out_shape = shape_with(dim, kPicked);
    DeviceArray in(s.backend, s.dtype, in_shape), index(s.backend, kInt64, out_shape);
    DeviceArray out(s.backend, s.dtype, out_shape);
    const Values x = in.upload_drawn(exact_values(s));
    const Values idx = index.upload_drawn(s.draws.integers(0, s.size - 1));
    s.backend.gather(in.view(), index.view(), out.view(), dim);
    const Split from(in_shape, dim), to(out_shape, dim);
    Values expected(idx.size());
    for (int64_t o = 0; o < to.outer; ++o)
      for (int64_t j = 0; j < to.length; ++j)
        for (int64_t i = 0; i < to.inner; ++i)
          expected[to.at(o, j, i)] = x[from.at(o, int64_t(idx[to.at(o, j, i)]), i)];
    check_equal("gather", out.download(), expected);
  }
}

void check_scatter_add(const Setting& s) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    CAPTURE(dim);
    const Shape dst_shape = shape_with(dim, s.size), src_shape = shape_with(dim, kPicked);
    DeviceArray dst(s.backend, s.dtype, dst_shape), index(s.backend, kInt64, src_shape);
    DeviceArray src(s.backend, s.dtype, src_shape);
    Values expected = dst.upload_drawn(exact_values(s));
    const Values x = src.upload_drawn(exact_values(s));
    const Values idx = index.upload_drawn(s.draws.integers(0, s.size - 1));
    s.backend.scatter_add(dst.view(), index.view(), src.view(), dim);
    const Split from(src_shape, dim), to(dst_shape, dim);
    for (int64_t o = 0; o < from.outer; ++o)
      for (int64_t j = 0; j < from.length; ++j)
        for (int64_t i = 0; i < from.inner; ++i) {
          double& target = expected[to.at(o, int64_t(idx[from.at(o, j, i)]), i)];
          target = add_values(s.dtype, target, x[from.at(o, j, i)]);
        }
    check_equal("scatter_add", dst.download(), expected);
  }
}

void check_index_select(const Setting& s) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    CAPTURE(dim);
    const Shape in_shape = shape_with(dim, s.size), out_shape = shape_with(dim, kPicked);
    DeviceArray in(s.backend, s.dtype, in_shape), index(s.backend, kInt64, {kPicked});
    DeviceArray out(s.backend, s.dtype, out_shape);
    const Values x = in.upload_drawn(exact_values(s));
    const Values idx = index.upload_drawn(s.draws.integers(0, s.size - 1));
    s.backend.index_select(in.view(), index.view(), out.view(), dim);
    const Split from(in_shape, dim), to(out_shape, dim);
    Values expected(size_t(out.numel()));
    for (int64_t o = 0; o < to.outer; ++o)
      for (int64_t j = 0; j < kPicked; ++j)
        for (int64_t i = 0; i < to.inner; ++i)
          expected[to.at(o, j, i)] = x[from.at(o, int64_t(idx[size_t(j)]), i)];
    check_equal("index_select", out.download(), expected);
  }
}

void check_index_add(const Setting& s) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    CAPTURE(dim);
    const Shape dst_shape = shape_with(dim, s.size), src_shape = shape_with(dim, kPicked);
    DeviceArray dst(s.backend, s.dtype, dst_shape), index(s.backend, kInt64, {kPicked});
    DeviceArray src(s.backend, s.dtype, src_shape);
    Values expected = dst.upload_drawn(exact_values(s));
    const Values x = src.upload_drawn(exact_values(s));
    const Values idx = index.upload_drawn(s.draws.integers(0, s.size - 1));
    s.backend.index_add(dst.view(), index.view(), src.view(), dim);
    const Split from(src_shape, dim), to(dst_shape, dim);
    for (int64_t o = 0; o < from.outer; ++o)
      for (int64_t j = 0; j < kPicked; ++j)
        for (int64_t i = 0; i < from.inner; ++i) {
          double& target = expected[to.at(o, int64_t(idx[size_t(j)]), i)];
          target = add_values(s.dtype, target, x[from.at(o, j, i)]);
        }
    check_equal("index_add", dst.download(), expected);
  }
}

// triangle over a batch of 2 matrices, square and not, for diagonals below, on and above the main.
void check_triangle(const Setting& s, bool upper) {
  for (const Shape& shape : {Shape{2, s.size, s.size}, Shape{2, s.size, 13}, Shape{2, 7, s.size}}) {
    for (int64_t k : {-2, 0, 1}) {
      CAPTURE(k);
      const int64_t rows = shape[1], cols = shape[2];
      DeviceArray in(s.backend, s.dtype, shape), out(s.backend, s.dtype, shape);
      const Values x = in.upload_drawn(exact_values(s));
      s.backend.triangle(in.view(), out.view(), k, upper);
      Values expected(x.size());
      for (size_t at = 0; at < x.size(); ++at) {
        const int64_t r = int64_t(at) / cols % rows, c = int64_t(at) % cols;
        expected[at] = (upper ? c - r >= k : c - r <= k) ? x[at] : 0.0;
      }
      check_equal(upper ? "triangle upper" : "triangle lower", out.download(), expected);
    }
  }
}

// ---- fused optimizer kernels ----

// The fused kernels update several buffers in one call. Each call here holds buffers of 1, 7,
// s.size, 0, 97 and 100 elements; the rows' sizes include lengths above the CPU's chunk of 32768
// elements (40001: one chunk and a part; 65537: two chunks and one element), so that a buffer is
// split between chunks and the buffers after it must still be found from their chunks.
std::vector<int64_t> buffer_sizes(int64_t size) { return {1, 7, size, 0, 97, 100}; }
const std::vector<int64_t> kFusedSizes = {1, 100, 40001, 65537};

// Every other buffer (the first, the third, ...) takes weight decay; the others do not.
bool decays(size_t buffer) { return buffer % 2 == 0; }

// A contiguous float32 buffer of n elements with kGuard elements of kUntouched on each side, so
// that a write past either end shows in check_untouched_outside.
constexpr int64_t kGuard = 4;
Strided guarded(int64_t n) { return Strided{{n}, {1}, kGuard, n + 2 * kGuard}; }

float* float_data(const DeviceArray& array) { return static_cast<float*>(array.data()); }

// Draws the elements of a guarded buffer and stores them, the guards keeping kUntouched; returns
// the elements as float32 holds them.
Values upload_elements(DeviceArray& array, const std::function<double()>& draw) {
  Values values(size_t(array.numel()));
  for (double& v : values) v = round_to(kFloat32, draw());
  array.upload(values);
  return values;
}

// Names buffer `b` (from 0) of a fused call in failure messages; an optimizer step also says
// whether the buffer takes weight decay.
std::string buffer_name(const std::string& method, int step, size_t b, size_t count, int64_t numel) {
  std::ostringstream name;
  name << method;
  if (step > 0) name << " step " << step;
  name << ", buffer " << b + 1 << " of " << count << " (" << numel << " elements";
  if (step > 0) name << ", " << (decays(b) ? "with" : "without") << " weight decay";
  name << ")";
  return name.str();
}

// One parameter of an AdamW call: its buffers on the device, and the reference state carried in
// double precision on the host.
struct AdamWBuffers {
  AdamWBuffers(Backend& backend, int64_t n)
      : numel(n), param(backend, kFloat32, guarded(n)), grad(backend, kFloat32, guarded(n)),
        exp_avg(backend, kFloat32, guarded(n)), exp_avg_sq(backend, kFloat32, guarded(n)) {}
  int64_t numel;
  DeviceArray param, grad, exp_avg, exp_avg_sq;
  Values p, m, v;
};

// adamw over every buffer for three steps in a row, with a fresh gradient each step and the state
// carried in the device's buffers, against torch.optim.AdamW term for term (train/optimizer.h):
//   p <- p * (1 - lr * wd)                    (decayed parameters only)
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// The moments start at zero, as torch's do. Betas, eps and the learning rate are not the
// defaults, so that swapped betas, a misplaced eps or a missing bias correction show.
void check_adamw(const Setting& s) {
  constexpr double lr = 0.01, beta1 = 0.8, beta2 = 0.95, eps = 1e-3, weight_decay = 0.1;
  const std::vector<int64_t> sizes = buffer_sizes(s.size);
  std::vector<std::unique_ptr<AdamWBuffers>> buffers;
  std::vector<kernels::AdamWParameter> parameters;
  for (size_t b = 0; b < sizes.size(); ++b) {
    auto& buffer = *buffers.emplace_back(std::make_unique<AdamWBuffers>(s.backend, sizes[b]));
    buffer.p = upload_elements(buffer.param, s.draws.uniform(-1, 1));
    buffer.m = buffer.v = Values(size_t(sizes[b]), 0.0);
    buffer.exp_avg.upload(buffer.m);
    buffer.exp_avg_sq.upload(buffer.v);
    parameters.push_back({float_data(buffer.param), float_data(buffer.grad), float_data(buffer.exp_avg),
                          float_data(buffer.exp_avg_sq), sizes[b],
                          decays(b) ? float(1 - lr * weight_decay) : 1.0f});
  }
  for (int t = 1; t <= 3; ++t) {
    const double bias_correction1 = 1 - std::pow(beta1, t), bias_correction2 = 1 - std::pow(beta2, t);
    std::vector<Values> gradients;
    for (auto& buffer : buffers) gradients.push_back(upload_elements(buffer->grad, s.draws.uniform(-1, 1)));

    // The numbers train::AdamW hands the kernel for step t.
    const kernels::AdamWStep step{float(beta1), float(beta2), float(eps), float(lr / bias_correction1),
                                  float(1 / std::sqrt(bias_correction2))};
    s.backend.adamw(parameters, step);

    for (size_t b = 0; b < buffers.size(); ++b) {
      AdamWBuffers& buffer = *buffers[b];
      const Values& g = gradients[b];
      for (size_t i = 0; i < g.size(); ++i) {
        if (decays(b)) buffer.p[i] *= 1 - lr * weight_decay;
        buffer.m[i] = beta1 * buffer.m[i] + (1 - beta1) * g[i];
        buffer.v[i] = beta2 * buffer.v[i] + (1 - beta2) * g[i] * g[i];
        buffer.p[i] -= (lr / bias_correction1) * buffer.m[i] /
                       (std::sqrt(buffer.v[i]) / std::sqrt(bias_correction2) + eps);
      }
      const std::string what = buffer_name("adamw", t, b, buffers.size(), buffer.numel);
      const Tolerance tolerance = tolerance_for(kFloat32);
      check_close(what + ": param", buffer.param.download(), buffer.p, tolerance);
      check_close(what + ": exp_avg", buffer.exp_avg.download(), buffer.m, tolerance);
      check_close(what + ": exp_avg_sq", buffer.exp_avg_sq.download(), buffer.v, tolerance);
      check_equal(what + ": grad is read only", buffer.grad.download(), g);
      for (const DeviceArray* array : {&buffer.param, &buffer.grad, &buffer.exp_avg, &buffer.exp_avg_sq})
        check_untouched_outside(what, *array);
    }
  }
}

// One parameter of an SGD call: its buffers on the device, and the reference state in double
// precision on the host.
struct SgdBuffers {
  SgdBuffers(Backend& backend, int64_t n)
      : numel(n), param(backend, kFloat32, guarded(n)), grad(backend, kFloat32, guarded(n)),
        velocity(backend, kFloat32, guarded(n)) {}
  int64_t numel;
  DeviceArray param, grad, velocity;
  Values p, v;
};

// sgd over every buffer for three steps in a row, against torch.optim.SGD without dampening or
// Nesterov (train/optimizer.h), with L2 weight decay on every other buffer:
//   v <- momentum v + (g + wd p);  p <- p - lr v
// The velocity starts from drawn values (a state carried from earlier steps): with momentum 0 it
// must not matter.
void check_sgd(const Setting& s, double momentum) {
  constexpr double lr = 0.05, weight_decay = 0.01;
  const std::vector<int64_t> sizes = buffer_sizes(s.size);
  std::vector<std::unique_ptr<SgdBuffers>> buffers;
  std::vector<kernels::SgdParameter> parameters;
  for (size_t b = 0; b < sizes.size(); ++b) {
    auto& buffer = *buffers.emplace_back(std::make_unique<SgdBuffers>(s.backend, sizes[b]));
    buffer.p = upload_elements(buffer.param, s.draws.uniform(-1, 1));
    buffer.v = upload_elements(buffer.velocity, s.draws.uniform(-1, 1));
    parameters.push_back({float_data(buffer.param), float_data(buffer.grad), float_data(buffer.velocity),
                          sizes[b], decays(b) ? float(weight_decay) : 0.0f});
  }
  for (int t = 1; t <= 3; ++t) {
    std::vector<Values> gradients;
    for (auto& buffer : buffers) gradients.push_back(upload_elements(buffer->grad, s.draws.uniform(-1, 1)));

    s.backend.sgd(parameters, float(lr), float(momentum));

    for (size_t b = 0; b < buffers.size(); ++b) {
      SgdBuffers& buffer = *buffers[b];
      const Values& g = gradients[b];
      const double wd = decays(b) ? double(float(weight_decay)) : 0.0;
      for (size_t i = 0; i < g.size(); ++i) {
        buffer.v[i] = momentum * buffer.v[i] + (g[i] + wd * buffer.p[i]);
        buffer.p[i] -= lr * buffer.v[i];
      }
      const std::string what = buffer_name("sgd", t, b, buffers.size(), buffer.numel);
      const Tolerance tolerance = tolerance_for(kFloat32);
      check_close(what + ": param", buffer.param.download(), buffer.p, tolerance);
      check_close(what + ": velocity", buffer.velocity.download(), buffer.v, tolerance);
      check_equal(what + ": grad is read only", buffer.grad.download(), g);
      for (const DeviceArray* array : {&buffer.param, &buffer.grad, &buffer.velocity})
        check_untouched_outside(what, *array);
    }
  }
}

// sum_of_squares over every buffer against a float64 sum of the squares of the stored values, the
// buffers left as they were; and over no buffers at all (clip_grad_norm with no gradients), 0.
// The kernel accumulates in float64, so the result matches to far better than float32's rounding.
void check_sum_of_squares(const Setting& s) {
  const std::vector<int64_t> sizes = buffer_sizes(s.size);
  std::vector<std::unique_ptr<DeviceArray>> arrays;
  std::vector<Values> values;
  std::vector<std::span<const float>> buffers;
  double expected = 0;
  for (int64_t n : sizes) {
    const auto& array = *arrays.emplace_back(std::make_unique<DeviceArray>(s.backend, kFloat32, guarded(n)));
    values.push_back(upload_elements(*arrays.back(), s.draws.uniform(-4, 4)));
    for (double x : values.back()) expected += x * x;
    buffers.emplace_back(float_data(array), size_t(n));
  }
  const double sum = s.backend.sum_of_squares(buffers);
  check_close("sum_of_squares of buffers of 1, 7, " + std::to_string(s.size) + ", 0, 97 and 100 elements",
              {sum}, {expected}, {0, 1e-10});
  for (size_t b = 0; b < arrays.size(); ++b) {
    const std::string what = buffer_name("sum_of_squares", 0, b, arrays.size(), sizes[b]);
    check_equal(what + " is read only", arrays[b]->download(), values[b]);
    check_untouched_outside(what, *arrays[b]);
  }
  CHECK_MESSAGE(s.backend.sum_of_squares({}) == 0.0, "sum_of_squares of no buffers is not 0");
}

// scale multiplies every element of every buffer by a float32 factor: one rounding of an exact
// product, so the result is exact.
void check_scale(const Setting& s) {
  const float factor = -0.37f;
  const std::vector<int64_t> sizes = buffer_sizes(s.size);
  std::vector<std::unique_ptr<DeviceArray>> arrays;
  std::vector<Values> values;
  std::vector<std::span<float>> buffers;
  for (int64_t n : sizes) {
    const auto& array = *arrays.emplace_back(std::make_unique<DeviceArray>(s.backend, kFloat32, guarded(n)));
    values.push_back(upload_elements(*arrays.back(), s.draws.uniform(-4, 4)));
    buffers.emplace_back(float_data(array), size_t(n));
  }
  s.backend.scale(buffers, factor);
  for (size_t b = 0; b < arrays.size(); ++b) {
    Values expected;
    for (double x : values[b]) expected.push_back(round_to(kFloat32, x * double(factor)));
    const std::string what = buffer_name("scale by -0.37", 0, b, arrays.size(), sizes[b]);
    check_equal(what, arrays[b]->download(), expected);
    check_untouched_outside(what, *arrays[b]);
  }
  s.backend.scale({}, factor);  // no buffers: nothing to do, and nothing to fail
}

// ---- the table ----

std::vector<ParityCase> parity_cases() {
  std::vector<ParityCase> cases = {
      {"allocate, copy_from_host, copy_to_host, deallocate", kAllDTypes, kContiguousOnly, kSizes,
       check_memory},
      {"copy_within_device", kAllDTypes, kContiguousOnly, {0, 1, 7, 13, 97, 100, 40001},
       check_copy_within_device},
      {"synchronize", {kFloat32}, kContiguousOnly, {1, 100, 40001}, check_synchronize},
      {"copy with dtype conversion", kAllDTypes, kAllLayouts, kSizes, check_copy},
      {"fill", kAllDTypes, kWritableLayouts, kSizes, check_fill},
      {"arange", kFloatsAndIntegers, kContiguousOnly, kSizes, check_arange},
      {"random Uniform", kFloats, kContiguousOnly, {1, 7, 33, 100, 40001},
       [](const Setting& s) { check_random(s, RandomKind::Uniform, -2.0, 3.0); }},
      {"random Normal", kFloat32And64, kContiguousOnly, {1, 7, 33, 100, 40001},
       [](const Setting& s) { check_random(s, RandomKind::Normal, 1.5, 2.0); }},
      {"random Integer", {kInt64, kInt32, kFloat32}, kContiguousOnly, {1, 7, 33, 100, 40001},
       [](const Setting& s) { check_random(s, RandomKind::Integer, -3.0, 5.0); }},
      {"where", kAllDTypes, kAllLayouts, kSizes, check_where},
  };
  for (const UnaryOpCase& op : kUnaryOps)
    cases.push_back({std::string("unary ") + op.name, kFloats, kAllLayouts, kSizes,
                     [op](const Setting& s) { check_unary(s, op); }});
  for (const UnaryOpCase& op : kIntegerUnaryOps)
    cases.push_back({std::string("unary ") + op.name + " on integers", kIntegers, kAllLayouts, kSizes,
                     [op](const Setting& s) { check_unary(s, op); }});
  for (const BinaryOpCase& op : kBinaryOps) {
    cases.push_back({std::string("binary ") + op.name, kFloats, kAllLayouts, kSizes,
                     [op](const Setting& s) { check_binary(s, op); }});
    if (integers_support(op.op)) {
      std::vector<DType> dtypes = kIntegers;
      if (is_comparison(op.op)) dtypes.push_back(kBool);
      cases.push_back({std::string("binary ") + op.name + " on integers", dtypes, kAllLayouts, kSizes,
                       [op](const Setting& s) { check_binary(s, op); }});
    }
  }
  for (const ReduceOpCase& op : kReduceOps) {
    std::vector<DType> dtypes = kFloats;
    if (integers_support(op.op)) dtypes.insert(dtypes.end(), kIntegers.begin(), kIntegers.end());
    cases.push_back({std::string("reduce ") + op.name, dtypes, kAllLayouts, kSizes,
                     [op](const Setting& s) { check_reduce(s, op); }});
  }
  for (BinaryOp op : {BinaryOp::Maximum, BinaryOp::Minimum})
    cases.push_back({std::string("binary ") + (op == BinaryOp::Maximum ? "Maximum" : "Minimum") + " with NaN",
                     kFloats, kContiguousOnly, kSizes, [op](const Setting& s) { check_binary_nan(s, op); }});
  for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min})
    cases.push_back({std::string("reduce ") + (op == ReduceOp::Max ? "Max" : "Min") + " with NaN", kFloats,
                     kContiguousOnly, kSizes, [op](const Setting& s) { check_reduce_nan(s, op); }});
  const std::vector<ParityCase> rows_and_products = {
      {"softmax", kFloats, kContiguousOnly, kSizes,
       [](const Setting& s) { check_softmax(s, false); }},
      {"log_softmax", kFloats, kContiguousOnly, kSizes,
       [](const Setting& s) { check_softmax(s, true); }},
      {"softmax_backward", kFloats, kContiguousOnly, kSizes,
       [](const Setting& s) { check_softmax_backward(s, false); }},
      {"softmax_backward of log_softmax", kFloats, kContiguousOnly, kSizes,
       [](const Setting& s) { check_softmax_backward(s, true); }},
      {"cumsum", kFloatsAndIntegers, kContiguousOnly, kSizes, check_cumsum},
      {"cross_entropy", kFloat32And64, kContiguousOnly, kSizes, check_cross_entropy},
      {"cross_entropy_backward", kFloat32And64, kContiguousOnly, kSizes, check_cross_entropy_backward},
      {"embedding_bag, sum", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_embedding_bag(s, false, false); }},
      {"embedding_bag, mean and normalised", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_embedding_bag(s, true, true); }},
      {"embedding_bag_backward, sum", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_embedding_bag_backward(s, false, false); }},
      {"embedding_bag_backward, mean and normalised", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_embedding_bag_backward(s, true, true); }},
      {"multilabel_bce", kFloat32And64, kContiguousOnly, kSizes, check_multilabel_bce},
      {"multilabel_bce_backward", kFloat32And64, kContiguousOnly, kSizes, check_multilabel_bce_backward},
      {"rms_norm", kFloat32And64, kContiguousOnly, kSizes, check_rms_norm},
      {"rms_norm_backward", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_rms_norm_backward(s, true); }},
      {"rms_norm_backward without grad_weight", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_rms_norm_backward(s, false); }},
      {"layer_norm", kFloat32And64, kContiguousOnly, kSizes, check_layer_norm},
      {"layer_norm_backward", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_layer_norm_backward(s, true); }},
      {"layer_norm_backward without grad_weight and grad_bias", kFloat32And64, kContiguousOnly, kSizes,
       [](const Setting& s) { check_layer_norm_backward(s, false); }},
      {"causal_attention", kFloat32And64, kContiguousOnly, kSizes, check_causal_attention},
      {"causal_attention_backward", kFloat32And64, kContiguousOnly, kSizes, check_causal_attention_backward},
      {"sort ascending, stable", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_sort(s, false); }},
      {"sort descending, stable", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_sort(s, true); }},
      {"topk largest", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_topk(s, true); }},
      {"topk smallest", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_topk(s, false); }},
      {"gemm A B", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_gemm(s, false, false); }},
      {"gemm A^T B", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_gemm(s, true, false); }},
      {"gemm A B^T", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_gemm(s, false, true); }},
      {"gemm A^T B^T", kFloatsAndIntegers, kContiguousOnly, kSizes,
       [](const Setting& s) { check_gemm(s, true, true); }},
      {"gather", kAllDTypes, kContiguousOnly, kSizes, check_gather},
      {"scatter_add", kAllDTypes, kContiguousOnly, kSizes, check_scatter_add},
      {"index_select", kAllDTypes, kContiguousOnly, kSizes, check_index_select},
      {"index_add", kAllDTypes, kContiguousOnly, kSizes, check_index_add},
      {"triangle upper", kAllDTypes, kContiguousOnly, kSizes,
       [](const Setting& s) { check_triangle(s, true); }},
      {"triangle lower", kAllDTypes, kContiguousOnly, kSizes,
       [](const Setting& s) { check_triangle(s, false); }},
  };
  cases.insert(cases.end(), rows_and_products.begin(), rows_and_products.end());
  const std::vector<ParityCase> fused_optimizers = {
      {"adamw, three steps", {kFloat32}, kContiguousOnly, kFusedSizes, check_adamw},
      {"sgd with momentum 0.9, three steps", {kFloat32}, kContiguousOnly, kFusedSizes,
       [](const Setting& s) { check_sgd(s, 0.9); }},
      {"sgd without momentum, three steps", {kFloat32}, kContiguousOnly, kFusedSizes,
       [](const Setting& s) { check_sgd(s, 0.0); }},
      {"sum_of_squares", {kFloat32}, kContiguousOnly, kFusedSizes, check_sum_of_squares},
      {"scale", {kFloat32}, kContiguousOnly, kFusedSizes, check_scale},
  };
  cases.insert(cases.end(), fused_optimizers.begin(), fused_optimizers.end());
  return cases;
}

// A seed per case, so a case's data does not change when rows are added before it.
uint64_t seed_of(const std::string& name) { return std::hash<std::string>{}(name); }

TEST_CASE("every Backend method matches a double-precision reference on every device") {
  static const std::vector<ParityCase> cases = parity_cases();
  for_each_device([](Device device) {
    Backend& backend = kernels::backend_for(device);
    for (const ParityCase& parity_case : cases) {
      SUBCASE(parity_case.name.c_str()) {
        Draws draws(seed_of(parity_case.name));
        bool skipped = false;  // the method is not implemented on this device yet
        for (DType dtype : parity_case.dtypes)
          for (Layout layout : parity_case.layouts)
            for (int64_t size : parity_case.sizes) {
              if (skipped) continue;
              INFO(parity_case.name << " on " << device.str() << ": " << std::string(dtype_name(dtype))
                                    << ", " << std::string(layout_name(layout)) << ", size " << size);
              try {
                parity_case.check(Setting{backend, dtype, layout, size, draws});
              } catch (const kernels::NotYetImplemented& missing) {
                // Reported, not failed, except on the CPU, which implements every method.
                if (device.is_cpu()) FAIL_CHECK("threw: " << missing.what());
                std::printf("skipped: %s (parity case \"%s\")\n", missing.what(),
                            parity_case.name.c_str());
                skipped = true;
              } catch (const std::exception& error) {
                FAIL_CHECK("threw: " << error.what());
              }
            }
      }
    }
  });
}

}  // namespace
}  // namespace bytegrad::testing
