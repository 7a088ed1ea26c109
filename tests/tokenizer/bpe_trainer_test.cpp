// The BPE trainer: what it writes must load here and in Hugging Face's tokenizers.js, with the
// same ids from both.
#include <doctest/doctest.h>

#include "reference_support.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

void check_trained_tokenizer(PretokenizerPattern pattern, const std::string& name) {
  const std::vector<std::string> corpus = testing::reference_corpus();
  BpeTrainerOptions options;
  options.vocab_size = 700;
  options.pattern = pattern;
  options.special_tokens = {"<|endoftext|>", "<|pad|>"};
  const TrainedBpe trained = train_byte_level_bpe(corpus, options);
  CHECK(trained.bytes_by_id.size() + trained.special_tokens.size() == options.vocab_size);

  const std::filesystem::path path = testing::scratch_dir() / name / "tokenizer.json";
  std::filesystem::create_directories(path.parent_path());
  write_tokenizer_json(trained, path);
  const Tokenizer tokenizer = load_tokenizer(path);
  CHECK(tokenizer.vocab_size() == options.vocab_size);
  CHECK(tokenizer.special_token_id("<|pad|>") == 699);

  const std::vector<std::vector<TokenId>> expected =
      testing::javascript_reference_ids("hf:" + path.string(), corpus);
  int mismatches = 0;
  for (std::size_t i = 0; i < corpus.size() && mismatches < 5; ++i) {
    const std::vector<TokenId> ids = tokenizer.encode(corpus[i], {.parse_special = true});
    CAPTURE(corpus[i]);
    CHECK(ids == expected[i]);
    CHECK(tokenizer.decode(ids) == corpus[i]);
    mismatches += ids != expected[i];
  }
}

TEST_CASE("a trained GPT-2-pattern BPE loads here and in Hugging Face's tokenizers.js with the same ids") {
  check_trained_tokenizer(PretokenizerPattern::kGpt2, "trained-gpt2");
}

TEST_CASE("a trained cl100k-pattern BPE loads here and in Hugging Face's tokenizers.js with the same ids") {
  check_trained_tokenizer(PretokenizerPattern::kCl100k, "trained-cl100k");
}

TEST_CASE("training compresses: learned merges make the corpus shorter than its bytes") {
  const std::vector<std::string> corpus = testing::reference_corpus();
  BpeTrainerOptions options;
  options.vocab_size = 1000;
  const TrainedBpe trained = train_byte_level_bpe(corpus, options);
  const std::filesystem::path path = testing::scratch_dir() / "trained-1000" / "tokenizer.json";
  std::filesystem::create_directories(path.parent_path());
  write_tokenizer_json(trained, path);
  const Tokenizer tokenizer = load_tokenizer(path);
  std::size_t bytes = 0, tokens = 0;
  for (const std::string& text : corpus) bytes += text.size(), tokens += tokenizer.encode(text).size();
  CHECK(tokens * 2 < bytes);
}

TEST_CASE("a vocabulary too small for the bytes and specials is an error") {
  const std::vector<std::string> corpus = {"abc"};
  BpeTrainerOptions options;
  options.vocab_size = 100;
  CHECK_THROWS_AS(train_byte_level_bpe(corpus, options), std::invalid_argument);
}

}  // namespace
}  // namespace bytegrad::tokenizer
