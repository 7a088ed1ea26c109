// T-Free fine-tuning data: segment lists read with their loss weights, rows padded with empty
// positions of weight 0, malformed lines named by file and line, and a short fine-tuning run
// that learns to answer only from the segments the loss counts.
#include <doctest/doctest.h>

#include <fstream>

#include "infer/tfree_generate.h"
#include "nn/tfree.h"
#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "tests/tiny_llama.h"
#include "train/data/word_segments.h"
#include "train/optimizer.h"
#include "train/tfree_objective.h"
#include "train/trainer.h"

using namespace bytegrad;

namespace {

std::string write_lines(const std::string& name, const std::vector<std::string>& lines) {
  const std::string path = testing::scratch_directory(name) + "/segments.jsonl";
  std::ofstream out(path);
  for (const std::string& line : lines) out << line << '\n';
  return path;
}

std::string sample_line(const std::string& question, const std::string& answer) {
  return R"([{"type": "text", "content": "Q: )" + question + R"( ", "has_loss": false}, )" +
         R"({"type": "text", "content": " A: )" + answer + R"(<|endoftext|>", "has_loss": true}])";
}

}  // namespace

TEST_CASE("segment samples: each segment split alone, targets weighted by their segment's has_loss") {
  const std::string path = write_lines("segments_read", {sample_line("sky", "blue"), "", sample_line("grass", "green")});
  const std::vector<train::SegmentSample> samples = train::read_segment_samples(path);
  REQUIRE(samples.size() == 2);
  // "<|endoftext|>" begins the sample; the stripped segments give Q, :, sky | A, :, blue, EOT.
  CHECK(samples[0].words == std::vector<std::string>{"<|endoftext|>", "Q", ":", "sky", "A", ":", "blue", "<|endoftext|>"});
  CHECK(samples[0].weights == std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1});

  const tokenizer::TrigramHasher hasher({.vocab_size = 64, .population = 2, .lowercase_overlap = 0});
  train::SegmentBatches batches(samples, hasher, 1, 10, "segments");
  const train::WordBatch batch = batches.next_words();
  // 7 real positions (inputs EOT .. blue), 3 of padding: no trigrams, no target, weight 0.
  CHECK(batch.weights.to_vector<float>() == std::vector<float>{0, 0, 0, 1, 1, 1, 1, 0, 0, 0});
  const std::vector<int64_t> offsets = batch.bag_offsets.to_vector<int64_t>();
  CHECK(offsets[7] == offsets[10]);
  const std::vector<int64_t> targets = batch.target_offsets.to_vector<int64_t>();
  CHECK(targets[7] == targets[10]);
  CHECK(batches.position() == 1);
}

TEST_CASE("segment samples: malformed lines are named by file and line") {
  const auto error = [](const std::vector<std::string>& lines) {
    const std::string path = write_lines("segments_bad", lines);
    return testing::error_of([&] { train::read_segment_samples(path); });
  };
  CHECK(error({sample_line("a", "b"), "{not json"}).find("segments.jsonl:2: not valid JSON") != std::string::npos);
  CHECK(error({R"([{"type": "text", "content": "x"}])"}).find("segments.jsonl:1: each segment must be") !=
        std::string::npos);
  CHECK(error({"[]"}).find("segments.jsonl:1: expected a non-empty JSON list") != std::string::npos);
  CHECK(error({""}).find("no samples") != std::string::npos);
  CHECK(error({R"([{"type": "text", "content": "\u00ff", "has_loss": true}])"}).empty());
}

TEST_CASE("a short T-Free fine-tuning run learns the answers the loss counts") {
  const std::vector<std::pair<std::string, std::string>> pairs = {{"sky", "blue"}, {"grass", "green"}, {"snow", "white"}};
  std::vector<std::string> lines;
  for (const auto& [question, answer] : pairs) lines.push_back(sample_line(question, answer));
  const std::string path = write_lines("segments_train", lines);
  nn::ModelConfig config = testing::tiny_llama_config(/*vocab_size=*/256, /*hidden_size=*/32, /*max_positions=*/16);
  config.tfree.population = 4;
  config.tfree.loss_pos_weight = 20;
  config.tfree.loss_scale = 10;
  const tokenizer::TrigramHasher hasher(infer::tfree_hash_config(config));
  Generator generator(9);
  nn::TFree model(config, generator);
  train::AdamW optimizer(model.named_parameters(), {.learning_rate = 1e-2});
  train::Trainer trainer(
      model, optimizer, {.peak = 1e-2, .total_steps = 200},
      std::make_unique<train::SegmentBatches>(train::read_segment_samples(path), hasher, 3, 12, "segments"), nullptr,
      generator, {.steps = 200}, std::make_shared<train::TFreeObjective>());
  while (trainer.step() < 200) trainer.train_step();

  tokenizer::TfreeDictionary dictionary(hasher.config());
  dictionary.add_words(hasher, {"<|endoftext|>", "Q", ":", "A", "sky", "blue", "grass", "green", "snow", "white"});
  infer::TfreeGenerationOptions greedy;
  greedy.temperature = 0;
  greedy.max_new_words = 5;
  for (const auto& [question, answer] : pairs)
    CHECK(infer::tfree_generate(model, hasher, dictionary, "Q: " + question + " A:", greedy).text == " " + answer);
}
