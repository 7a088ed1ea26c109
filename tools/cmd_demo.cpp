// `bytegrad demo`: trains a two-layer MLP with autograd to classify points of three interleaved
// spirals, printing the loss as it falls. Everything is plain tensor code: the forward pass,
// cross-entropy from log_softmax, backward(), and an SGD-with-momentum update.
#include <cmath>
#include <cstdio>
#include <string>

#include "bytegrad.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {
namespace {

struct SpiralData {
  Tensor points;  // [n, 2] float32
  Tensor labels;  // [n] int64
};

// Three spiral arms of `per_class` points each, with a little radial noise.
SpiralData make_spirals(int64_t per_class, Generator& generator) {
  const int64_t classes = 3, n = per_class * classes;
  const std::vector<float> noise = randn({n}, {}, &generator).to_vector<float>();
  std::vector<float> xy;
  std::vector<int64_t> labels;
  for (int64_t c = 0; c < classes; ++c)
    for (int64_t i = 0; i < per_class; ++i) {
      const float radius = float(i) / float(per_class);
      const float angle = float(c) * 4.0f + radius * 4.0f + noise[size_t(c * per_class + i)] * 0.2f;
      xy.push_back(radius * std::sin(angle));
      xy.push_back(radius * std::cos(angle));
      labels.push_back(c);
    }
  return {from_vector(xy, {n, 2}), from_vector(labels)};
}

// Mean negative log-likelihood of the labels under softmax(logits).
Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  const Tensor log_probs = log_softmax(logits, -1);
  const Tensor picked = gather(log_probs, 1, unsqueeze(labels, 1));
  return neg(mean(picked));
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  return mean(to(eq(argmax(logits, 1), labels), kFloat32)).item<float>();
}

}  // namespace

int run_demo(const Args& args) {
  const int64_t steps = std::stoll(parse_options(command_spec("demo"), args).get("--steps"));

  Generator generator(1234);
  const SpiralData data = make_spirals(200, generator);
  const int64_t hidden = 64;
  // Parameters with scaled normal initialisation (He for the ReLU layer).
  Tensor w1 = mul(randn({2, hidden}, {}, &generator), std::sqrt(2.0 / 2)).set_requires_grad();
  Tensor b1 = zeros({hidden}).set_requires_grad();
  Tensor w2 = mul(randn({hidden, 3}, {}, &generator), std::sqrt(1.0 / hidden)).set_requires_grad();
  Tensor b2 = zeros({3}).set_requires_grad();
  std::vector<Tensor> parameters{w1, b1, w2, b2};
  std::vector<Tensor> velocity;
  for (const Tensor& p : parameters) velocity.push_back(zeros_like(p));

  const double learning_rate = 0.5, momentum = 0.9;
  std::printf("training a 2-64-3 MLP on 600 spiral points (%lld steps of full-batch SGD)\n",
              static_cast<long long>(steps));
  double first_loss = 0, last_loss = 0;
  for (int64_t step = 0; step <= steps; ++step) {
    const Tensor logits = matmul(relu(matmul(data.points, w1) + b1), w2) + b2;
    const Tensor loss = cross_entropy(logits, data.labels);
    last_loss = loss.item<float>();
    if (step == 0) first_loss = last_loss;
    if (step % 50 == 0)
      std::printf("step %4lld  loss %.4f  accuracy %.3f\n", static_cast<long long>(step),
                  last_loss, accuracy(logits, data.labels));
    if (step == steps) break;
    for (Tensor& p : parameters) p.zero_grad();
    backward(loss);
    NoGradGuard no_grad;
    for (size_t i = 0; i < parameters.size(); ++i) {
      ops::copy_(velocity[i], velocity[i] * momentum + parameters[i].grad());
      ops::copy_(parameters[i], parameters[i] - velocity[i] * learning_rate);
    }
  }
  std::printf("loss fell from %.4f to %.4f\n", first_loss, last_loss);
  return last_loss < first_loss ? 0 : 1;
}

}  // namespace bytegrad::tools
