// The README's tensor-core example as a program: one step of softmax regression on random
// data, built against an installed bytegrad (see CMakeLists.txt beside this file).
#include <iostream>

#include "bytegrad.h"
using namespace bytegrad;

int main() {
  Generator gen(0);                                            // Philox: same stream on any device
  Tensor w = randn({784, 10}, {kFloat32}, &gen).set_requires_grad();
  Tensor x = randn({32, 784}, {}, &gen);
  Tensor labels = randint(0, 10, {32}, {kInt64}, &gen);
  Tensor logp = log_softmax(matmul(x, w), -1);                 // stable log-softmax
  Tensor loss = neg(mean(gather(logp, 1, unsqueeze(labels, 1))));
  backward(loss);                                              // w.grad() is [784, 10]
  {
    NoGradGuard no_grad;                                       // records nothing
    ops::copy_(w, w - w.grad() * 0.1);
  }

  std::cout << "loss before the step: " << loss.item<float>() << "\n";
  std::cout << "gradient shape: " << shape_str(w.grad().shape()) << "\n";
  NoGradGuard no_grad;
  Tensor loss_after = neg(mean(gather(log_softmax(matmul(x, w), -1), 1, unsqueeze(labels, 1))));
  std::cout << "loss after the step: " << loss_after.item<float>() << "\n";
  return loss_after.item<float>() < loss.item<float>() ? 0 : 1;
}
