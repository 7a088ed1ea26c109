// Anomaly mode, as torch.autograd.detect_anomaly: while it is on, every op recorded for
// gradients has its output checked for NaN in forward (an infinity there may be meant: the
// -inf of an attention mask), and every gradient backward computes for NaN or infinity; the
// first one throws Error naming the op, its shapes and dtypes, and the module path whose
// forward ran it (e.g. "model.layers.3.self_attn", nn/module_scope.h).
//
//   { DetectAnomaly anomaly; backward(loss_of(model, batch)); }   // `bytegrad train --detect-anomaly`
//
// Off (the default), the only cost is one test of a thread-local flag per recorded op, per
// backward node and per module forward. On, each check is a pass over the tensor.
#pragma once

#include <string>
#include <vector>

#include "autograd/node.h"
#include "tensor/tensor.h"

namespace bytegrad {

namespace detail {
// Defined here, constant-initialised, so that reading it is a plain thread-local load (an
// extern thread_local would be read through a wrapper function).
inline thread_local bool anomaly_mode = false;
}  // namespace detail

// Whether anomaly mode is on in this thread.
inline bool anomaly_enabled() { return detail::anomaly_mode; }
void set_anomaly_enabled(bool enabled);

// Turns anomaly mode on (or off) for its lifetime in this thread, restoring the mode after.
class DetectAnomaly {
 public:
  explicit DetectAnomaly(bool enabled = true) : previous_(anomaly_enabled()) { set_anomaly_enabled(enabled); }
  ~DetectAnomaly() { set_anomaly_enabled(previous_); }
  DetectAnomaly(const DetectAnomaly&) = delete;
  DetectAnomaly& operator=(const DetectAnomaly&) = delete;

 private:
  bool previous_;
};

// The stack of module paths whose forward is running (pushed by nn::ModuleScope while anomaly
// mode is on); current_module_path() is the innermost, "" outside any module.
void push_module_path(std::string path);
void pop_module_path();
const std::string& current_module_path();

// Throws Error when `output` of op `name` over `inputs` holds a NaN, naming the op,
// the shapes and dtypes, and the current module path.
void check_forward_anomaly(const char* name, const Tensor& output, const std::vector<Tensor>& inputs);

// Throws Error when `gradient`, computed by `node`'s backward for its input `input` (or, for a
// sparse op, the input's accumulated .grad), holds a NaN or infinity, naming the op, the input's
// shape and dtype, and the module path recorded with the node.
void check_backward_anomaly(const Node& node, size_t input, const Tensor& gradient);

}  // namespace bytegrad
