// Seed 003's tokenize_prompt_and_output: shifting, padding and the response mask, on its worked
// example and on prompts of different lengths.
//
// The seed's ids come from Qwen2.5's tokenizer ("Hello, world!" = 9707, 11, 1879, 0; EOS
// <|endoftext|> = 151643), which is not among the reference tokenizers installed here; a
// hand-made tokenizer with those exact ids (tests/train/sft/word_tokenizer.h) reproduces it.
#include <numeric>

#include "tests/test_util.h"
#include "tests/train/sft/word_tokenizer.h"
#include "train/sft/batch.h"

namespace bytegrad::train {
namespace {

using testing::character_tokenizer;
using testing::qwen_like_tokenizer;

std::vector<int64_t> row(const Tensor& t, int64_t b) {
  const std::vector<int64_t> all = t.to_vector<int64_t>();
  const int64_t width = t.size(1);
  return {all.begin() + b * width, all.begin() + (b + 1) * width};
}

std::vector<float> mask_row(const Tensor& t, int64_t b) {
  const std::vector<float> all = t.to_vector<float>();
  const int64_t width = t.size(1);
  return {all.begin() + b * width, all.begin() + (b + 1) * width};
}

// Seed 003's Python, line for line, over already-encoded prompts and outputs.
struct SeedRows {
  std::vector<std::vector<int64_t>> input_ids, labels;
  std::vector<std::vector<float>> response_mask;
};

SeedRows seed_reference(const std::vector<std::vector<int32_t>>& prompt_ids,
                        const std::vector<std::vector<int32_t>>& output_ids, int64_t eos) {
  std::vector<std::vector<int64_t>> combined;
  size_t max_length = 0;
  for (size_t i = 0; i < prompt_ids.size(); ++i) {
    std::vector<int64_t> ids(prompt_ids[i].begin(), prompt_ids[i].end());
    ids.insert(ids.end(), output_ids[i].begin(), output_ids[i].end());
    max_length = std::max(max_length, ids.size());
    combined.push_back(ids);
  }
  const size_t target_len = max_length - 1;
  SeedRows out;
  for (size_t i = 0; i < combined.size(); ++i) {
    const std::vector<int64_t>& ids = combined[i];
    std::vector<int64_t> input_ids(ids.begin(), ids.end() - 1), labels(ids.begin() + 1, ids.end());
    const int64_t padding_length = int64_t(target_len) - int64_t(input_ids.size());
    if (padding_length > 0) {
      input_ids.insert(input_ids.end(), size_t(padding_length - 1), 0);
      input_ids.push_back(eos);
      labels.insert(labels.end(), size_t(padding_length), eos);
    }
    std::vector<float> response_mask(target_len, 0.0f);
    const size_t response_start = prompt_ids[i].size() - 1;
    const size_t response_end = std::min(ids.size() - 1, target_len);
    for (size_t j = response_start; j < response_end; ++j) response_mask[j] = 1.0f;
    out.input_ids.push_back(input_ids);
    out.labels.push_back(labels);
    out.response_mask.push_back(response_mask);
  }
  return out;
}

}  // namespace

TEST_CASE("seed 003's worked example: [9707, 11, 1879, 0] twice, padded to 9 positions") {
  const tokenizer::Tokenizer tok = qwen_like_tokenizer();
  REQUIRE(tok.encode("Hello, world!", {.add_special_tokens = true}) == std::vector<int32_t>{9707, 11, 1879, 0});
  // The second pair is two tokens longer, so max_length - 1 = 9 as in the seed.
  const SftBatch batch =
      tokenize_prompt_and_output({"Hello, world!", "Hello, world!"}, {"Hello, world!", "Hello, world! again!"}, tok);
  REQUIRE(batch.input_ids.shape() == Shape{2, 9});
  REQUIRE(batch.labels.shape() == Shape{2, 9});
  REQUIRE(batch.response_mask.shape() == Shape{2, 9});
  CHECK(batch.input_ids.dtype() == DType::Int64);
  CHECK(batch.labels.dtype() == DType::Int64);
  CHECK(batch.response_mask.dtype() == DType::Float32);

  CHECK(row(batch.input_ids, 0) == std::vector<int64_t>{9707, 11, 1879, 0, 9707, 11, 1879, 0, 151643});
  CHECK(row(batch.labels, 0) == std::vector<int64_t>{11, 1879, 0, 9707, 11, 1879, 0, 151643, 151643});
  CHECK(mask_row(batch.response_mask, 0) == std::vector<float>{0, 0, 0, 1, 1, 1, 1, 0, 0});

  CHECK(row(batch.input_ids, 1) == std::vector<int64_t>{9707, 11, 1879, 0, 9707, 11, 1879, 0, 1549});
  CHECK(row(batch.labels, 1) == std::vector<int64_t>{11, 1879, 0, 9707, 11, 1879, 0, 1549, 0});
  CHECK(mask_row(batch.response_mask, 1) == std::vector<float>{0, 0, 0, 1, 1, 1, 1, 1, 1});
  CHECK(batch.response_tokens == 10);
}

TEST_CASE("prompts of different lengths with a BOS follow the seed's rules row by row") {
  const tokenizer::Tokenizer tok = character_tokenizer();
  const std::vector<std::string> prompts = {"1+2=", "12+34=", "9=", "abc->", "7+8="};
  const std::vector<std::string> outputs = {"3", "46", "nines", "cba", ""};
  std::vector<std::vector<int32_t>> prompt_ids, output_ids;
  for (size_t i = 0; i < prompts.size(); ++i) {
    prompt_ids.push_back(tok.encode(prompts[i], {.add_special_tokens = true}));
    output_ids.push_back(tok.encode(outputs[i]));
    REQUIRE(prompt_ids.back().front() == 41);  // BOS
  }
  const SftBatch batch = tokenize_prompt_and_output(prompts, outputs, tok);
  const SeedRows expected = seed_reference(prompt_ids, output_ids, 40);
  REQUIRE(batch.input_ids.shape() == Shape{5, 8});  // longest: BOS + "12+34=" + "46" = 9 tokens
  for (int64_t b = 0; b < 5; ++b) {
    CAPTURE(b);
    CHECK(row(batch.input_ids, b) == expected.input_ids[size_t(b)]);
    CHECK(row(batch.labels, b) == expected.labels[size_t(b)]);
    CHECK(mask_row(batch.response_mask, b) == expected.response_mask[size_t(b)]);
  }
  // Spelled out for "1+2=" -> "3": [BOS 1 + 2 = 3] is 6 tokens, 2 short of the 8 positions.
  CHECK(row(batch.input_ids, 0) == std::vector<int64_t>{41, 1, 36, 2, 37, 0, 0, 40});
  CHECK(row(batch.labels, 0) == std::vector<int64_t>{1, 36, 2, 37, 3, 40, 40, 40});
  CHECK(mask_row(batch.response_mask, 0) == std::vector<float>{0, 0, 0, 0, 1, 0, 0, 0});
  // "9=" -> "nines": one short, so input_ids' padding is the EOS alone.
  CHECK(row(batch.input_ids, 2) == std::vector<int64_t>{41, 9, 37, 23, 18, 23, 14, 40});
  // An empty output trains on nothing.
  CHECK(mask_row(batch.response_mask, 4) == std::vector<float>(8, 0.0f));
  const std::vector<float> mask = batch.response_mask.to_vector<float>();
  CHECK(batch.response_tokens == int64_t(std::accumulate(mask.begin(), mask.end(), 0.0f)));
}

TEST_CASE("the mask marks exactly the labels that are response tokens") {
  const tokenizer::Tokenizer tok = character_tokenizer();
  const SftBatch batch = tokenize_prompt_and_output({"ab->", "abcd->"}, {"ba", "dcba"}, tok);
  const std::vector<int64_t> labels = batch.labels.to_vector<int64_t>();
  const std::vector<float> mask = batch.response_mask.to_vector<float>();
  std::string trained;
  for (size_t i = 0; i < labels.size(); ++i)
    if (mask[i] == 1.0f) trained += tok.decode(std::vector<int32_t>{int32_t(labels[i])});
  CHECK(trained == "badcba");
}

TEST_CASE("examples with an appended EOS train on it; collation checks its input") {
  const tokenizer::Tokenizer tok = character_tokenizer();
  const SftExample example = prompt_response_example(tok, "1+1=", "2", /*append_eos=*/true);
  CHECK(example.ids == std::vector<int32_t>{41, 1, 36, 1, 37, 2, 40});
  CHECK(example.trained == std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 1});
  const SftBatch batch = collate_sft_examples(std::vector<SftExample>{example}, 40);
  CHECK(mask_row(batch.response_mask, 0) == std::vector<float>{0, 0, 0, 0, 1, 1});
  CHECK(row(batch.labels, 0) == std::vector<int64_t>{1, 36, 1, 37, 2, 40});

  CHECK(bytegrad::testing::error_of([&] { collate_sft_examples(std::vector<SftExample>{}, 40); })
            .find("no examples") != std::string::npos);
  CHECK(bytegrad::testing::error_of([&] { collate_sft_examples(std::vector<SftExample>{{{5}, {1}}}, 40); })
            .find("fewer than 2 tokens") != std::string::npos);
  CHECK(bytegrad::testing::error_of([&] { collate_sft_examples(std::vector<SftExample>{{{5, 6}, {1}}}, 40); })
            .find("mask of 1") != std::string::npos);
}

TEST_CASE("tokenize_prompt_and_output rejects mismatched lists and prompts without tokens") {
  const tokenizer::Tokenizer tok = qwen_like_tokenizer();  // adds no BOS
  CHECK(bytegrad::testing::error_of([&] { tokenize_prompt_and_output({"Hello"}, {}, tok); })
            .find("1 prompts but 0 outputs") != std::string::npos);
  CHECK(bytegrad::testing::error_of([&] { tokenize_prompt_and_output({""}, {"Hello"}, tok); })
            .find("encodes to no token") != std::string::npos);
}

}  // namespace bytegrad::train
