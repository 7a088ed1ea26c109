// Text generation with a T-Free model (nn/tfree.h): words in, words out, through the decoding
// dictionary (infer/tfree_decode.h). As the original's generation loop:
//   1. the prompt is split into words (tokenizer/tfree_words.h), a trailing space becoming
//      "<|ws|>", and run through the model at once after "<|endoftext|>", filling the KV cache;
//   2. the last position's logits score every dictionary word, and one is chosen (greedy, or
//      sampled with a temperature, top-k and top-p, which the original does not offer);
//   3. the chosen word is hashed alone into its trigram bag and fed back for one step;
//   4. generation stops at "<|endoftext|>" or after max_new_words; the text is words_to_text.
// The prompt's words are added to the dictionary first (the original does this at every call),
// so that a name in the prompt can be repeated. The words read are "<|endoftext|>" and then the
// prompt's: a document begins that way in training (train/data/word_stream.h), so an empty
// prompt starts a fresh text.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "infer/sampling.h"
#include "infer/tfree_decode.h"
#include "nn/tfree.h"
#include "tokenizer/tfree_dictionary.h"
#include "tokenizer/trigram_hasher.h"

namespace bytegrad::infer {

// The file of a T-Free model directory that holds its decoding dictionary
// (tokenizer::TfreeDictionary::save), beside config.json and model.safetensors.
inline constexpr const char* kTfreeDictionaryFile = "tfree_dictionary.jsonl";

struct TfreeGenerationOptions : SamplingOptions {
  int64_t max_new_words = 64;
  uint64_t seed = 0;                // seeds the sampler's Generator
  TfreeDecodeOptions decode;        // score variant and edge weight
  std::vector<std::string> more_words;  // added to the dictionary, as --more-words
  // Called with each chosen word (the end of text excluded) as soon as it is chosen.
  std::function<void(const std::string& word)> on_word;
};

struct TfreeGeneration {
  std::vector<std::string> prompt_words;
  std::vector<std::string> words;      // generated, the end of text excluded
  std::vector<double> log_probs;       // log softmax score of each chosen word (the original's)
  std::string text;                    // the continuation: words_to_text(prompt + words) after the prompt's text
  bool stopped_at_end_of_text = false;
};

// Continues `prompt` with `model`. The dictionary is copied and the prompt's words (and
// more_words) added to the copy. Runs without recording gradients and in eval mode, restoring
// the model's mode. Throws Error for invalid sampling options, a dictionary built for another
// hash config than the model's, or a prompt longer than the model's context.
TfreeGeneration tfree_generate(nn::TFree& model, const tokenizer::TrigramHasher& hasher,
                               const tokenizer::TfreeDictionary& dictionary, std::string_view prompt,
                               const TfreeGenerationOptions& options);

// The hash config a T-Free model was trained with (vocab_size, population, lowercase overlap).
tokenizer::TrigramHashConfig tfree_hash_config(const nn::ModelConfig& config);

// The model's input vectors for `words` as one row [1, words.size(), hidden].
Tensor embed_tfree_words(const nn::TFree& model, const tokenizer::TrigramHasher& hasher,
                         const std::vector<std::string>& words);

}  // namespace bytegrad::infer
