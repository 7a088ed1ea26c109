// Where a tensor's storage lives. Ops dispatch on this to a backend (kernels/backend.h).
#pragma once

#include <ostream>
#include <string>

namespace bytegrad {

enum class DeviceKind : unsigned char { CPU, CUDA };

struct Device {
  DeviceKind kind = DeviceKind::CPU;
  int index = 0;

  bool is_cpu() const { return kind == DeviceKind::CPU; }
  bool is_cuda() const { return kind == DeviceKind::CUDA; }
  bool operator==(const Device&) const = default;

  // Parses "cpu", "cuda", "cuda:1"; throws Error naming the text otherwise.
  static Device parse(const std::string& text);
  std::string str() const;  // "cpu" or "cuda:0"
};

inline const Device kCPU{DeviceKind::CPU, 0};

std::ostream& operator<<(std::ostream& out, const Device& device);

}  // namespace bytegrad
