// T-Free's training data: documents split into T-Free words (tokenizer/tfree_words.h), packed
// end to end with "<|endoftext|>" after each, and read back as batches of word windows whose
// inputs are trigram bags and whose targets are the next words' patterns (train/word_batch.h).
//
// The documents are shuffled and split exactly as token models' are (pack_documents with the
// same seed), so a T-Free run and a BPE run on one corpus hold out the same documents and can be
// judged on the same words. As in the original's pre-training samples, positions restart at 0
// and attention restarts with every document; unlike it, the "<|endoftext|>" that ends a
// document is also the input that begins the next one (as EOS does for token models), so that a
// model can start a text from nothing, and a document's first word is a target too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/trigram_hasher.h"
#include "train/batch_source.h"
#include "train/data/text_corpus.h"
#include "train/word_batch.h"

namespace bytegrad::train {

inline constexpr std::string_view kTfreeEndOfText = "<|endoftext|>";

// The distinct words of a corpus, each with what a batch needs of it, computed once.
struct WordTable {
  std::vector<std::string> words;             // word id -> word
  std::vector<int64_t> counts;                // occurrences in the training stream
  std::vector<std::vector<int64_t>> rows;     // the embedding bag's ids, m per trigram
  std::vector<std::vector<int64_t>> patterns; // sorted distinct ids: the multi-label target
  int64_t population = 0;
  int32_t end_of_text = 0;                    // the id of "<|endoftext|>"
};

struct WordCorpus {
  std::shared_ptr<const WordTable> table;
  std::vector<int32_t> train;  // word ids: doc, EOT, doc, EOT, ...
  std::vector<int32_t> eval;   // the held-out documents, packed the same way
};

// The documents of a T-Free run: the text files of `corpus`, or, when `memory_map` names a
// MemoryMap prefix, its aligned chunks in group order if it has an aligned index
// (train/data/aligned_memory_map.h), else its documents. Throws Error naming the files.
std::vector<std::string> read_word_documents(const std::string& memory_map, const CorpusOptions& corpus);

// Splits every document into words, interns them, shuffles the documents with `seed` and holds
// out the last eval_fraction of them (pack_documents), and hashes every distinct word's trigrams
// with `hasher`. Throws Error when no document has a word.
WordCorpus split_into_words(const std::vector<std::string>& documents, const tokenizer::TrigramHasher& hasher,
                            double eval_fraction, uint64_t seed);

// Consecutive windows of seq_len + 1 words, wrapping around at the end, as TokenBatches reads
// tokens: row r of a batch holds inputs stream[p .. p + T - 1] and targets stream[p + 1 .. p + T].
// Position ids count from the start of the row and restart at 0 at every "<|endoftext|>" input.
class WordBatches final : public BatchSource {
 public:
  // Throws Error naming `name` when the stream is shorter than one window.
  WordBatches(std::shared_ptr<const WordTable> table, std::vector<int32_t> stream, int64_t batch_size,
              int64_t seq_len, const std::string& name);

  Batch next() override;
  // The batch's words as WordBatch tensors, and the words themselves (inputs, targets) row-major.
  WordBatch next_words(std::vector<int32_t>* inputs = nullptr, std::vector<int32_t>* targets = nullptr);

  int64_t position() const override { return position_; }
  void set_position(int64_t position) override;
  int64_t size() const { return int64_t(stream_.size()); }
  const WordTable& table() const { return *table_; }

 private:
  std::shared_ptr<const WordTable> table_;
  std::vector<int32_t> stream_;
  int64_t batch_size_, seq_len_;
  int64_t position_ = 0;
};

}  // namespace bytegrad::train
