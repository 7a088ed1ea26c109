#include "base/device.h"

#include "base/error.h"

namespace bytegrad {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return kCPU;
  if (text.rfind("cuda", 0) == 0) {
    if (text == "cuda") return Device{DeviceKind::CUDA, 0};
    if (text.size() > 5 && text[4] == ':' &&
        text.find_first_not_of("0123456789", 5) == std::string::npos)
      return Device{DeviceKind::CUDA, std::stoi(text.substr(5))};
  }
  throw Error(concat("device: cannot parse '", text, "' (expected cpu, cuda or cuda:N)"));
}

std::string Device::str() const { return is_cpu() ? "cpu" : concat("cuda:", index); }

std::ostream& operator<<(std::ostream& out, const Device& device) { return out << device.str(); }

}  // namespace bytegrad
