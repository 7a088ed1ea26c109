// The tools of the backend-parity test: arrays in a device's memory laid out as contiguous,
// transposed, stepped or broadcast views; host-side rounding to a dtype; and comparison of what a
// kernel wrote with a reference computed in double precision on the host.
//
// Nothing here calls a backend's arithmetic: data moves only through allocate, copy_from_host and
// copy_to_host, and conversions happen on the host (base/dtype.h), so a reference built from these
// values is independent of the kernels under test.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kernels/backend.h"

namespace bytegrad::testing {

using kernels::ArrayView;
using kernels::Backend;

// How a view's elements sit in its buffer.
enum class Layout {
  Contiguous,        // row-major
  Transposed,        // column-major: the transpose of a contiguous array
  Stepped,           // every other element of a buffer twice as large in each dimension, offset 1
  BroadcastRows,     // stride 0 along the first dimension: one row repeated
  BroadcastColumns,  // stride 0 along the last dimension: one value per row
};

inline const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::Contiguous: return "contiguous";
    case Layout::Transposed: return "transposed";
    case Layout::Stepped: return "stepped";
    case Layout::BroadcastRows: return "broadcast rows";
    case Layout::BroadcastColumns: return "broadcast columns";
  }
  return "?";
}

inline bool is_broadcast(Layout layout) {
  return layout == Layout::BroadcastRows || layout == Layout::BroadcastColumns;
}

// A view's shape and element strides, the offset of its first element in the buffer, and the
// number of elements the buffer holds.
struct Strided {
  std::vector<int64_t> shape, strides;
  int64_t offset = 0;
  int64_t buffer_elements = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
  }
  // Buffer index of the element at row-major position `flat` of the shape.
  int64_t position(int64_t flat) const {
    int64_t at = offset;
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      at += (flat % shape[size_t(d)]) * strides[size_t(d)];
      flat /= shape[size_t(d)];
    }
    return at;
  }
};

inline std::vector<int64_t> row_major_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[size_t(d)] = strides[size_t(d) + 1] * shape[size_t(d) + 1];
  return strides;
}

inline Strided strided(Layout layout, const std::vector<int64_t>& shape) {
  Strided s{shape, row_major_strides(shape), 0, 0};
  const size_t dims = shape.size();
  switch (layout) {
    case Layout::Contiguous: break;
    case Layout::Transposed: {
      int64_t stride = 1;
      for (size_t d = 0; d < dims; ++d) {
        s.strides[d] = stride;
        stride *= shape[d];
      }
      break;
    }
    case Layout::Stepped: {
      std::vector<int64_t> doubled = shape;
      for (int64_t& n : doubled) n *= 2;
      s.strides = row_major_strides(doubled);
      for (int64_t& stride : s.strides) stride *= 2;
      s.offset = 1;
      break;
    }
    case Layout::BroadcastRows: {
      std::vector<int64_t> rest(shape.begin() + (dims > 0 ? 1 : 0), shape.end());
      const std::vector<int64_t> inner = row_major_strides(rest);
      if (dims > 0) s.strides[0] = 0;
      for (size_t d = 1; d < dims; ++d) s.strides[d] = inner[d - 1];
      break;
    }
    case Layout::BroadcastColumns: {
      std::vector<int64_t> rest(shape.begin(), shape.end() - (dims > 0 ? 1 : 0));
      const std::vector<int64_t> outer = row_major_strides(rest);
      for (size_t d = 0; d + 1 < dims; ++d) s.strides[d] = outer[d];
      if (dims > 0) s.strides[dims - 1] = 0;
      break;
    }
  }
  s.buffer_elements = s.offset + 1;
  for (size_t d = 0; d < dims; ++d) s.buffer_elements += (shape[d] - 1) * s.strides[d];
  return s;
}

// `value` as the dtype stores it, read back as a double: what a kernel sees after an upload.
inline double round_to(DType dtype, double value) {
  return visit_dtype(dtype, [&]<typename T>() { return convert<double>(convert<T>(value)); });
}

// A value written into buffer elements outside a view; a kernel must leave it alone.
constexpr double kUntouched = -13.0;

// One array in a device's memory, viewed through a layout. Owns its buffer.
class DeviceArray {
 public:
  DeviceArray(Backend& backend, DType dtype, Strided layout)
      : backend_(backend), dtype_(dtype), layout_(std::move(layout)),
        nbytes_(size_t(std::max<int64_t>(layout_.buffer_elements, 1)) * dtype_size(dtype)),
        data_(backend_.allocate(nbytes_)) {
    upload_buffer(std::vector<double>(buffer_elements(), kUntouched));
  }
  DeviceArray(Backend& backend, DType dtype, const std::vector<int64_t>& shape,
              Layout layout = Layout::Contiguous)
      : DeviceArray(backend, dtype, strided(layout, shape)) {}
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { backend_.deallocate(data_, nbytes_); }

  DType dtype() const { return dtype_; }
  const Strided& layout() const { return layout_; }
  int64_t numel() const { return layout_.numel(); }
  void* data() const { return static_cast<char*>(data_) + layout_.offset * int64_t(dtype_size(dtype_)); }
  ArrayView view() const { return ArrayView{data(), dtype_, layout_.shape, layout_.strides}; }

  void upload_buffer(const std::vector<double>& values) {
    std::vector<char> bytes(nbytes_);
    visit_dtype(dtype_, [&]<typename T>() {
      T* out = reinterpret_cast<T*>(bytes.data());
      for (size_t i = 0; i < values.size(); ++i) out[i] = convert<T>(values[i]);
    });
    backend_.copy_from_host(bytes.data(), data_, nbytes_);
  }
  std::vector<double> download_buffer() const {
    std::vector<char> bytes(nbytes_);
    backend_.copy_to_host(data_, bytes.data(), nbytes_);
    std::vector<double> values(buffer_elements());
    visit_dtype(dtype_, [&]<typename T>() {
      const T* in = reinterpret_cast<const T*>(bytes.data());
      for (size_t i = 0; i < values.size(); ++i) values[i] = convert<double>(in[i]);
    });
    return values;
  }

  // Writes the view's elements (row-major values; `kUntouched` fills the rest of the buffer).
  // For a broadcast layout, elements that share memory must be given equal values.
  void upload(const std::vector<double>& values) {
    std::vector<double> buffer(buffer_elements(), kUntouched);
    for (int64_t i = 0; i < numel(); ++i) buffer[size_t(layout_.position(i))] = values[size_t(i)];
    upload_buffer(buffer);
  }
  // Draws one value per buffer element, stores them, and returns the view's elements as the
  // dtype holds them (row-major): broadcast views repeat their values, as they must.
  template <typename Draw>
  std::vector<double> upload_drawn(Draw&& draw) {
    std::vector<double> buffer(buffer_elements());
    for (double& v : buffer) v = round_to(dtype_, draw());
    upload_buffer(buffer);
    return elements_of(buffer);
  }
  std::vector<double> download() const { return elements_of(download_buffer()); }

  // Buffer elements outside the view whose value changed, i.e. writes out of bounds.
  int64_t changed_outside_view() const {
    const std::vector<double> buffer = download_buffer();
    std::vector<bool> inside(buffer.size(), false);
    for (int64_t i = 0; i < numel(); ++i) inside[size_t(layout_.position(i))] = true;
    int64_t changed = 0;
    for (size_t i = 0; i < buffer.size(); ++i)
      if (!inside[i] && buffer[i] != round_to(dtype_, kUntouched)) ++changed;
    return changed;
  }

 private:
  size_t buffer_elements() const { return size_t(std::max<int64_t>(layout_.buffer_elements, 1)); }
  std::vector<double> elements_of(const std::vector<double>& buffer) const {
    std::vector<double> values(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i) values[size_t(i)] = buffer[size_t(layout_.position(i))];
    return values;
  }

  Backend& backend_;
  DType dtype_;
  Strided layout_;
  size_t nbytes_;
  void* data_;
};

// A view that points nowhere: an optional output the kernel must skip.
inline ArrayView no_array(DType dtype) { return ArrayView{nullptr, dtype, {}, {}}; }

struct Tolerance {
  double absolute;
  double relative;

  // For results that sum many terms: rounding errors add up in absolute terms, while the
  // relative part stays the rounding of the result to its dtype.
  Tolerance scaled(double factor) const { return {absolute * factor, relative}; }
};

// What a result in `dtype` can be expected to match a double-precision reference to: a few
// units in the last place of the dtype; exact for integers and bool.
inline Tolerance tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::Float64: return {1e-12, 1e-12};
    case DType::Float32: return {1e-6, 1e-5};
    case DType::Float16: return {1e-4, 2e-3};
    case DType::BFloat16: return {1e-3, 1.6e-2};
    default: return {0, 0};
  }
}

inline bool same_special_value(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || (std::isinf(a) && a == b);
}

// CHECKs that `actual` matches `expected` element by element within the tolerance; on failure the
// message names what was compared and the worst element.
inline void check_close(const std::string& what, const std::vector<double>& actual,
                        const std::vector<double>& expected, Tolerance tolerance) {
  REQUIRE_MESSAGE(actual.size() == expected.size(),
                  what << ": " << actual.size() << " elements, expected " << expected.size());
  double worst_excess = 0;
  size_t worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] == expected[i] || same_special_value(actual[i], expected[i])) continue;
    const double allowed = tolerance.absolute + tolerance.relative * std::fabs(expected[i]);
    const double error = std::fabs(actual[i] - expected[i]);
    const double excess =
        std::isfinite(error) ? error - allowed : std::numeric_limits<double>::infinity();
    if (excess > worst_excess) worst_excess = excess, worst = i;
  }
  if (worst_excess > 0) {
    std::ostringstream message;
    message.precision(17);
    message << what << ": element " << worst << " is " << actual[worst] << ", expected "
            << expected[worst] << " (tolerance " << tolerance.absolute << " + "
            << tolerance.relative << " * |expected|)";
    FAIL_CHECK(message.str());
  }
}

inline void check_equal(const std::string& what, const std::vector<double>& actual,
                        const std::vector<double>& expected) {
  check_close(what, actual, expected, {0, 0});
}

// CHECKs that the kernel wrote nothing outside `array`'s view.
inline void check_untouched_outside(const std::string& what, const DeviceArray& array) {
  const int64_t changed = array.changed_outside_view();
  CHECK_MESSAGE(changed == 0, what << ": " << changed << " buffer elements outside the view changed");
}

// Uniform draws in [low, high), and integers in [low, high], from one seeded engine.
class Draws {
 public:
  explicit Draws(uint64_t seed) : engine_(seed) {}
  auto uniform(double low, double high) {
    return [this, low, high] { return std::uniform_real_distribution<double>(low, high)(engine_); };
  }
  auto integers(int64_t low, int64_t high) {
    return [this, low, high] { return double(std::uniform_int_distribution<int64_t>(low, high)(engine_)); };
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace bytegrad::testing
