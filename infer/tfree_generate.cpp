#include "infer/tfree_generate.h"

#include <cmath>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "tensor/creation.h"
#include "tokenizer/tfree_words.h"

namespace bytegrad::infer {
namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";

// Puts the model in eval mode for a scope and restores its mode after.
class EvalScope {
 public:
  explicit EvalScope(nn::Module& module) : module_(module), was_training_(module.is_training()) { module.eval(); }
  ~EvalScope() { module_.train(was_training_); }

 private:
  nn::Module& module_;
  bool was_training_;
};

// The logits of the last position of [1, T, V] as floats.
std::vector<float> last_logits(const Tensor& logits) {
  const Tensor last = contiguous(to(select(select(logits, 0, 0), 0, logits.size(1) - 1), kFloat32));
  return last.to_vector<float>();
}

}  // namespace

tokenizer::TrigramHashConfig tfree_hash_config(const nn::ModelConfig& config) {
  return {config.vocab_size, int(config.tfree.population), int(config.tfree.lowercase_overlap)};
}

Tensor embed_tfree_words(const nn::TFree& model, const tokenizer::TrigramHasher& hasher,
                         const std::vector<std::string>& words) {
  const tokenizer::TrigramBatch bags = hasher.encode_batch(words);
  const Tensor ids = from_vector(bags.ids, {bags.num_trigrams(), int64_t(bags.population)});
  const Tensor offsets = from_vector(bags.word_offsets, {int64_t(bags.word_offsets.size())});
  return model.embed_words(ids, offsets, 1, int64_t(words.size()));
}

TfreeGeneration tfree_generate(nn::TFree& model, const tokenizer::TrigramHasher& hasher,
                               const tokenizer::TfreeDictionary& dictionary, std::string_view prompt,
                               const TfreeGenerationOptions& options) {
  options.validate();
  BYTEGRAD_CHECK(dictionary.config() == hasher.config() && hasher.config() == tfree_hash_config(model.config()),
                 "tfree_generate: the dictionary (V ", dictionary.config().vocab_size, ", m ",
                 dictionary.config().population, ", k ", dictionary.config().lowercase_overlap,
                 "), the hasher and the model (V ", model.config().vocab_size, ", m ", model.config().tfree.population,
                 ", k ", model.config().tfree.lowercase_overlap, ") must share one hash config");
  BYTEGRAD_CHECK(options.max_new_words >= 0, "tfree_generate: max_new_words must be >= 0, got ",
                 options.max_new_words);
  TfreeGeneration result;
  result.prompt_words = tokenizer::text_to_words(prompt);
  // A document begins after an end of text, as in training (train/data/word_stream.h).
  std::vector<std::string> context{std::string(kEndOfText)};
  context.insert(context.end(), result.prompt_words.begin(), result.prompt_words.end());
  const int64_t capacity = model.config().max_position_embeddings;
  BYTEGRAD_CHECK(int64_t(context.size()) <= capacity, "tfree_generate: the prompt has ", context.size() - 1,
                 " words, more than the model's context of ", capacity);

  tokenizer::TfreeDictionary words = dictionary;
  words.add_words(hasher, result.prompt_words);
  words.add_words(hasher, options.more_words);

  NoGradGuard no_grad;
  EvalScope eval(model);
  Generator generator(options.seed);
  nn::KVCache cache = model.make_cache(capacity);
  std::vector<float> logits = last_logits(model.forward_embeds(embed_tfree_words(model, hasher, context), 0, &cache));
  for (int64_t step = 0; step < options.max_new_words; ++step) {
    const std::vector<float> scores = tfree_word_scores(words, logits, options.decode);
    const int64_t chosen = tfree_pick_word(scores, options, generator);
    // The original's log-prob: log softmax of the scores at temperature 1.
    const std::vector<float> probabilities = tfree_word_probabilities(scores);
    const std::string& word = words.word(chosen);
    if (word == kEndOfText) {
      result.stopped_at_end_of_text = true;
      break;
    }
    result.words.push_back(word);
    result.log_probs.push_back(std::log(double(probabilities[size_t(chosen)])));
    if (options.on_word) options.on_word(word);
    if (step + 1 == options.max_new_words || int64_t(cache.length) >= capacity) break;
    logits = last_logits(model.forward_embeds(embed_tfree_words(model, hasher, {word}), cache.length, &cache));
  }
  std::vector<std::string> all = result.prompt_words;
  all.insert(all.end(), result.words.begin(), result.words.end());
  const std::string full = tokenizer::words_to_text(all), before = tokenizer::words_to_text(result.prompt_words);
  result.text = full.compare(0, before.size(), before) == 0 ? full.substr(before.size())
                                                              : tokenizer::words_to_text(result.words);
  return result;
}

}  // namespace bytegrad::infer
