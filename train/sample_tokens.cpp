#include "train/sample_tokens.h"

#include <cmath>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "tensor/creation.h"

namespace bytegrad::train {
namespace {

// An index drawn from softmax(logits / temperature), with `uniform` in [0, 1).
int64_t draw(const std::vector<float>& logits, double temperature, double uniform) {
  const float top = *std::max_element(logits.begin(), logits.end());
  std::vector<double> weights(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) total += weights[i] = std::exp((logits[i] - top) / temperature);
  double target = uniform * total;
  for (size_t i = 0; i < weights.size(); ++i)
    if ((target -= weights[i]) < 0) return int64_t(i);
  return int64_t(weights.size()) - 1;
}

}  // namespace

std::vector<int64_t> sample_tokens(nn::LanguageModel& model, const std::vector<int64_t>& prompt, int64_t count,
                                   double temperature, uint64_t seed) {
  BYTEGRAD_CHECK(!prompt.empty(), "sample_tokens: the prompt is empty");
  NoGradGuard no_grad;
  const bool was_training = model.module().is_training();
  model.module().eval();
  nn::KVCache cache = model.make_cache();
  Generator generator(seed);
  std::vector<int64_t> generated;
  Tensor ids = from_vector(prompt, {1, int64_t(prompt.size())});
  const int64_t context = model.config().max_position_embeddings;
  while (int64_t(generated.size()) < count && cache.length + ids.size(1) <= context) {
    const Tensor logits = model.forward(ids, cache.length, &cache);
    const std::vector<float> last = select(select(logits, 0, 0), 0, logits.size(1) - 1).to_vector<float>();
    const int64_t next = temperature <= 0
                             ? int64_t(std::max_element(last.begin(), last.end()) - last.begin())
                             : draw(last, temperature, rand({1}, {}, &generator).item<float>());
    generated.push_back(next);
    ids = from_vector(std::vector<int64_t>{next}, {1, 1});
  }
  model.module().train(was_training);
  return generated;
}

}  // namespace bytegrad::train
