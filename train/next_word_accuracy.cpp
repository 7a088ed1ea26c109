#include "train/next_word_accuracy.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "infer/generate.h"
#include "infer/tfree_decode.h"
#include "infer/tfree_generate.h"
#include "tokenizer/tfree_words.h"
#include "train/data/token_stream.h"

namespace bytegrad::train {
namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

// The positions i < limit of `words` whose context w_0 .. w_{i-1} comes back unchanged from
// words_to_text -> text_to_words, with that context's text.
std::vector<std::pair<int64_t, std::string>> judged_positions(const std::vector<std::string>& words, int64_t limit) {
  std::vector<std::pair<int64_t, std::string>> positions;
  const int64_t count = std::min<int64_t>(limit, int64_t(words.size()));
  for (int64_t i = 0; i < count; ++i) {
    const std::vector<std::string> context(words.begin(), words.begin() + i);
    std::string text = tokenizer::words_to_text(context);
    if (tokenizer::text_to_words(text) == context) positions.emplace_back(i, std::move(text));
  }
  return positions;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

HeldOutWords held_out_words(const std::vector<std::string>& documents, double eval_fraction, uint64_t seed,
                            int64_t max_documents) {
  const DocumentSplit split = split_documents(documents.size(), eval_fraction, seed);
  HeldOutWords held_out;
  for (size_t index : split.eval) {
    if (int64_t(held_out.documents.size()) >= max_documents) break;
    held_out.documents.push_back(tokenizer::text_to_words(documents[index]));
  }
  std::unordered_map<std::string, int64_t> counts;
  for (size_t index : split.train)
    for (std::string& word : tokenizer::text_to_words(documents[index])) ++counts[std::move(word)];
  int64_t best = -1;
  for (const auto& [word, count] : counts)
    if (count > best || (count == best && word < held_out.most_frequent_word)) {
      best = count;
      held_out.most_frequent_word = word;
    }
  return held_out;
}

NextWordAccuracy tfree_next_word_accuracy(nn::TFree& model, const tokenizer::TrigramHasher& hasher,
                                          const tokenizer::TfreeDictionary& dictionary, const HeldOutWords& held_out,
                                          int64_t words_per_document) {
  BYTEGRAD_CHECK(words_per_document > 0 && words_per_document <= model.config().max_position_embeddings,
                 "next-word accuracy: ", words_per_document, " words per document do not fit the model's context of ",
                 model.config().max_position_embeddings);
  const auto start = std::chrono::steady_clock::now();
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  NextWordAccuracy result;
  for (const std::vector<std::string>& words : held_out.documents) {
    const auto positions = judged_positions(words, words_per_document);
    if (positions.empty()) continue;
    // One pass over "<|endoftext|>" w_0 .. w_{L-2}: the logits at j predict w_j.
    const int64_t length = positions.back().first + 1;
    std::vector<std::string> inputs{kEndOfText};
    inputs.insert(inputs.end(), words.begin(), words.begin() + length - 1);
    const Tensor logits = contiguous(to(model.forward_embeds(infer::embed_tfree_words(model, hasher, inputs)), kFloat32));
    const std::vector<float> values = logits.to_vector<float>();
    const size_t vocab = size_t(model.config().vocab_size);
    for (const auto& [i, context] : positions) {
      const std::span<const float> row(values.data() + size_t(i) * vocab, vocab);
      const int64_t chosen = infer::tfree_greedy_word(dictionary, row);
      ++result.positions;
      result.correct += dictionary.word(chosen) == words[size_t(i)];
      result.baseline_correct += held_out.most_frequent_word == words[size_t(i)];
    }
  }
  model.train(was_training);
  result.seconds = seconds_since(start);
  return result;
}

NextWordAccuracy token_next_word_accuracy(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                                          const HeldOutWords& held_out, int64_t words_per_document,
                                          int64_t continuation_tokens) {
  BYTEGRAD_CHECK(tokenizer.eos_id().has_value(), "next-word accuracy: the tokenizer has no EOS token to begin "
                 "a document with");
  const auto start = std::chrono::steady_clock::now();
  const int64_t eos = *tokenizer.eos_id();
  infer::GenerationOptions greedy;
  greedy.temperature = 0;
  greedy.max_gen_len = continuation_tokens;
  greedy.stop_tokens = {eos};
  NextWordAccuracy result;
  for (const std::vector<std::string>& words : held_out.documents) {
    const auto positions = judged_positions(words, words_per_document);
    if (positions.empty()) continue;
    std::vector<std::vector<int64_t>> prompts;
    for (const auto& [i, context] : positions) {
      std::vector<int64_t>& prompt = prompts.emplace_back(1, eos);
      for (tokenizer::TokenId id : tokenizer.encode(context)) prompt.push_back(id);
      BYTEGRAD_CHECK(int64_t(prompt.size()) + continuation_tokens <= model.config().max_position_embeddings,
                     "next-word accuracy: a context of ", i, " words takes ", prompt.size(),
                     " tokens, too many for the model's context of ", model.config().max_position_embeddings,
                     " with ", continuation_tokens, " more; judge fewer words per document");
    }
    const infer::GenerationResult continued = infer::generate(model, prompts, greedy);
    for (size_t p = 0; p < positions.size(); ++p) {
      const auto& [i, context] = positions[p];
      const std::vector<int32_t> ids(continued.tokens[p].begin(), continued.tokens[p].end());
      std::vector<std::string> predicted;
      try {
        predicted = tokenizer::text_to_words(context + tokenizer.decode(ids));
      } catch (const std::exception&) {
        // A continuation cut inside a UTF-8 character; its first word is then incomplete.
      }
      const bool same_context = int64_t(predicted.size()) > i &&
                                std::equal(words.begin(), words.begin() + i, predicted.begin());
      ++result.positions;
      result.correct += same_context && predicted[size_t(i)] == words[size_t(i)];
      result.baseline_correct += held_out.most_frequent_word == words[size_t(i)];
    }
  }
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace bytegrad::train
