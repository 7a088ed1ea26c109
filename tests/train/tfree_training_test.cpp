// T-Free end to end through the API: a corpus split into words and packed like token data, a
// short training run whose held-out next-word accuracy beats always predicting the most frequent
// word, greedy generation that continues a learned sentence, and the word batches' layout.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "infer/tfree_generate.h"
#include "nn/tfree.h"
#include "tests/tiny_llama.h"
#include "tokenizer/tfree_words.h"
#include "train/data/token_stream.h"
#include "train/data/word_stream.h"
#include "train/next_word_accuracy.h"
#include "train/optimizer.h"
#include "train/tfree_objective.h"
#include "train/trainer.h"

using namespace bytegrad;

namespace {

// Documents that each recite one of three fixed sentences: a model that has learned them
// predicts most next words; the most frequent word alone predicts few.
std::vector<std::string> sentence_documents(int count) {
  const std::vector<std::string> sentences = {
      "the quick brown fox jumps over the lazy dog.",
      "a journey of a thousand miles begins with one step.",
      "all that glitters is not gold, said the old man.",
  };
  std::vector<std::string> documents;
  for (int i = 0; i < count; ++i) documents.push_back(sentences[size_t(i) % sentences.size()]);
  return documents;
}

nn::ModelConfig tiny_tfree_config() {
  nn::ModelConfig config = testing::tiny_llama_config(/*vocab_size=*/512, /*hidden_size=*/32, /*max_positions=*/32);
  config.tfree.population = 4;
  config.tfree.lowercase_overlap = 1;
  config.tfree.loss_pos_weight = 20;
  config.tfree.loss_scale = 10;
  return config;
}

}  // namespace

TEST_CASE("T-Free words hold out the same documents as tokens and restart positions at each end of text") {
  const std::vector<std::string> documents = {"one two", "three", "four five six", "seven", "eight nine"};
  const tokenizer::TrigramHasher hasher({.vocab_size = 64, .population = 2, .lowercase_overlap = 0});
  const train::WordCorpus corpus = train::split_into_words(documents, hasher, 0.4, 7);
  const train::DocumentSplit split = train::split_documents(documents.size(), 0.4, 7);
  std::vector<std::string> expected_eval;
  for (size_t index : split.eval) {
    for (const std::string& word : tokenizer::text_to_words(documents[index])) expected_eval.push_back(word);
    expected_eval.emplace_back(train::kTfreeEndOfText);
  }
  std::vector<std::string> eval;
  for (int32_t id : corpus.eval) eval.push_back(corpus.table->words[size_t(id)]);
  CHECK(eval == expected_eval);

  train::WordBatches batches(corpus.table, corpus.train, 1, 5, "train");
  std::vector<int32_t> inputs, targets;
  const train::WordBatch batch = batches.next_words(&inputs, &targets);
  REQUIRE(inputs.size() == 5);
  std::vector<int64_t> expected_positions;
  for (size_t i = 0; i < inputs.size(); ++i) {
    CHECK(targets[i] == corpus.train[i + 1]);
    const bool starts = i == 0 || inputs[i] == corpus.table->end_of_text;
    expected_positions.push_back(starts ? 0 : expected_positions.back() + 1);
  }
  CHECK(batch.position_ids.to_vector<int64_t>() == expected_positions);
  // Bags hold m ids per trigram; targets are the next words' patterns.
  CHECK(batch.trigram_ids.size(1) == 2);
  CHECK(batch.bag_offsets.to_vector<int64_t>().back() == batch.trigram_ids.size(0));
  CHECK(batch.target_offsets.to_vector<int64_t>().back() == batch.target_ids.size(0));
  CHECK(batches.position() == 5);
}

TEST_CASE("a short T-Free run beats the most frequent word and continues a learned sentence") {
  const std::vector<std::string> documents = sentence_documents(60);
  const nn::ModelConfig config = tiny_tfree_config();
  const tokenizer::TrigramHasher hasher(infer::tfree_hash_config(config));
  const train::WordCorpus corpus = train::split_into_words(documents, hasher, 0.1, 3);
  Generator generator(5);
  nn::TFree model(config, generator);
  train::AdamW optimizer(model.named_parameters(), {.learning_rate = 1e-2});
  train::Trainer trainer(model, optimizer, {.peak = 1e-2, .total_steps = 80},
                         std::make_unique<train::WordBatches>(corpus.table, corpus.train, 4, 16, "train"), nullptr,
                         generator, {.steps = 80}, std::make_shared<train::TFreeObjective>());
  const double first = trainer.train_step().loss;
  train::MetricsRecord last;
  while (trainer.step() < 80) last = trainer.train_step();
  CHECK(last.loss < 0.5 * first);

  tokenizer::WordCounts counts;
  for (size_t w = 0; w < corpus.table->words.size(); ++w) counts[corpus.table->words[w]] = corpus.table->counts[w];
  const auto dictionary = tokenizer::TfreeDictionary::from_counts(hasher, counts, 100);
  const train::HeldOutWords held_out = train::held_out_words(documents, 0.1, 3, 10);
  const train::NextWordAccuracy accuracy = train::tfree_next_word_accuracy(model, hasher, dictionary, held_out, 16);
  MESSAGE("accuracy ", accuracy.accuracy(), " baseline ", accuracy.baseline(), " over ", accuracy.positions);
  CHECK(accuracy.positions > 50);
  CHECK(accuracy.accuracy() > accuracy.baseline() + 0.3);

  infer::TfreeGenerationOptions greedy;
  greedy.temperature = 0;
  greedy.max_new_words = 12;
  const infer::TfreeGeneration reply = infer::tfree_generate(model, hasher, dictionary, "all that glitters", greedy);
  CHECK(reply.text == " is not gold, said the old man.");
  CHECK(reply.stopped_at_end_of_text);
  CHECK(reply.log_probs.size() == reply.words.size());
}

