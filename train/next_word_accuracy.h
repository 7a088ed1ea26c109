// Held-out next-word accuracy, one measure for T-Free and token models alike, so that a T-Free
// model and a BPE model trained on the same documents can be compared word for word.
//
// The words are T-Free's (tokenizer/tfree_words.h), whitespace and layout markers included. For
// each held-out document w_0 .. w_{n-1} and each position i below a limit, the model sees the
// beginning of a document ("<|endoftext|>" for T-Free, EOS for a token model) and w_0 .. w_{i-1},
// and predicts w_i greedily:
//   - T-Free: the best dictionary word for that position (infer/tfree_decode.h), the dictionary
//     being the model's own (its training words), so a word outside it is always a miss;
//   - a token model: the text words_to_text(w_0 .. w_{i-1}) is encoded and continued greedily
//     for a few tokens; the prediction is the i-th word of text_to_words(text + continuation),
//     and it is a miss unless the first i words are still w_0 .. w_{i-1} (a continuation that
//     extends the last word predicted that the word had not ended; T-Free is told it has).
// Positions whose context does not survive words_to_text -> text_to_words unchanged are left
// out for both, so both kinds of model are judged on exactly the same (context, word) pairs.
// The baseline always predicts the most frequent word of the training documents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/causal_lm.h"
#include "nn/tfree.h"
#include "tokenizer/tfree_dictionary.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/trigram_hasher.h"

namespace bytegrad::train {

struct HeldOutWords {
  std::vector<std::vector<std::string>> documents;  // each held-out document's words
  std::string most_frequent_word;                   // of the training documents
};

// The held-out documents of a run over `documents` (split_documents with the run's
// eval_fraction and seed), at most `max_documents` of them, as words.
HeldOutWords held_out_words(const std::vector<std::string>& documents, double eval_fraction, uint64_t seed,
                            int64_t max_documents);

struct NextWordAccuracy {
  int64_t positions = 0;         // (context, word) pairs judged
  int64_t correct = 0;           // the model's greedy word was the true one
  int64_t baseline_correct = 0;  // the true word was the most frequent training word
  double seconds = 0;
  double accuracy() const { return positions ? double(correct) / double(positions) : 0.0; }
  double baseline() const { return positions ? double(baseline_correct) / double(positions) : 0.0; }
};

// The first `words_per_document` positions of each document, for a T-Free model.
NextWordAccuracy tfree_next_word_accuracy(nn::TFree& model, const tokenizer::TrigramHasher& hasher,
                                          const tokenizer::TfreeDictionary& dictionary, const HeldOutWords& held_out,
                                          int64_t words_per_document);

// The same positions for a token model with its tokenizer; `continuation_tokens` greedy tokens
// are drawn per position.
NextWordAccuracy token_next_word_accuracy(nn::CausalLM& model, const tokenizer::Tokenizer& tokenizer,
                                          const HeldOutWords& held_out, int64_t words_per_document,
                                          int64_t continuation_tokens = 8);

}  // namespace bytegrad::train
