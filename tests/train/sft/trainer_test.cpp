// The fine-tuning loop on a tiny Llama: the loss on a generated task falls, the KL to a frozen
// copy of the starting model starts at zero, batches cover every example once per epoch, and
// greedy answers stop at the first special token.
#include <algorithm>
#include <set>

#include "tests/tiny_llama.h"
#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "tests/train/sft/word_tokenizer.h"
#include "nn/llama.h"
#include "nn/model_family.h"
#include "train/sft/eval.h"
#include "train/sft/tasks.h"
#include "train/sft/trainer.h"

namespace bytegrad::train {
namespace {

nn::ModelConfig tiny_llama() { return testing::tiny_llama_config(42, 32, 16); }

// One-digit additions ("3+4=" -> "7" EOS) in the character tokenizer.
std::vector<SftExample> addition_examples(int64_t count) {
  const SftTaskSplit split = make_sft_task("addition", count, 0, 5, 1);
  return encode_sft_records(split.train, testing::character_tokenizer(), {});
}

struct Run {
  Generator generator, reference_generator;
  nn::Llama model, reference;
  AdamW optimizer;
  SftTrainer trainer;

  Run(int64_t steps, double kl_coef)
      : generator(7),
        reference_generator(7),
        model(tiny_llama(), generator),
        reference(tiny_llama(), reference_generator),
        optimizer(model.named_parameters(), {.learning_rate = 1e-2, .weight_decay = 0.0}),
        trainer(model, optimizer, {.peak = 1e-2, .floor = 1e-3, .warmup_steps = 2, .total_steps = steps},
                SftBatches(addition_examples(80), 16, 40, 3), kl_coef > 0 ? &reference : nullptr,
                {.steps = steps, .batch_size = 16, .grad_accum_steps = 2, .kl_coef = kl_coef, .seed = 3}) {}
};

}  // namespace

TEST_CASE("a short fine-tuning run on one-digit additions lowers the response loss") {
  Run run(40, 0.0);
  std::vector<double> losses;
  for (int64_t i = 0; i < 40; ++i) {
    const SftMetricsRecord r = run.trainer.train_step();
    CHECK(r.training.step == i + 1);
    CHECK(r.training.loss == doctest::Approx(r.nll));
    CHECK(r.response_entropy > 0);
    CHECK_FALSE(r.kl.has_value());
    losses.push_back(r.training.loss);
  }
  const double last = (losses[35] + losses[36] + losses[37] + losses[38] + losses[39]) / 5;
  MESSAGE("loss " << losses.front() << " -> " << last);
  CHECK(last < 0.6 * losses.front());
  CHECK(run.trainer.batches().epoch() >= 15);  // 40 steps x 2 x 16 examples over 80
}

TEST_CASE("the KL to a frozen copy of the starting model is zero before the first update, then grows") {
  Run run(3, 0.5);
  const SftMetricsRecord first = run.trainer.train_step();
  REQUIRE(first.kl.has_value());
  CHECK(std::fabs(*first.kl) < 1e-7);
  CHECK(first.training.loss == doctest::Approx(first.nll));
  const SftMetricsRecord second = run.trainer.train_step();
  CHECK(*second.kl > 1e-6);
  CHECK(second.training.loss == doctest::Approx(second.nll + 0.5 * *second.kl));
  // The reference stays frozen: no gradients, and the same weights as a fresh copy.
  for (const Tensor& p : run.reference.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("batches draw every example once per epoch, in an order fixed by the seed") {
  std::vector<SftExample> examples;
  for (int32_t i = 0; i < 12; ++i) examples.push_back({{1, i}, {0, 1}});
  SftBatches a(examples, 4, 40, 9), b(examples, 4, 40, 9), c(examples, 4, 40, 10);
  std::vector<int64_t> seen_a, seen_c;
  for (int i = 0; i < 3; ++i) {
    const SftBatch batch = a.next();
    CHECK(batch.input_ids.shape() == Shape{4, 1});
    CHECK(batch.labels.to_vector<int64_t>() == b.next().labels.to_vector<int64_t>());
    for (int64_t label : batch.labels.to_vector<int64_t>()) seen_a.push_back(label);
    for (int64_t label : c.next().labels.to_vector<int64_t>()) seen_c.push_back(label);
  }
  CHECK(a.epoch() == 0);
  std::vector<int64_t> sorted = seen_a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(seen_a != seen_c);
  a.next();
  CHECK(a.epoch() == 1);
  CHECK(bytegrad::testing::error_of([] { SftBatches({}, 4, 40, 0); }).find("no training examples") != std::string::npos);
}

TEST_CASE("a greedy answer is the temperature-0 continuation cut at the first special token") {
  Generator generator(8);
  const std::unique_ptr<nn::CausalLM> model_owner = nn::build_causal_lm("llama", tiny_llama(), generator);
  nn::CausalLM& model = *model_owner;
  const tokenizer::Tokenizer tok = testing::character_tokenizer();
  const SftQuestion question{tok.encode("2+2=", {.add_special_tokens = true}), "4", "q:1"};
  const std::vector<int64_t> prompt(question.prompt_ids.begin(), question.prompt_ids.end());
  // The reference: argmax of a full forward over the sequence so far, one token at a time.
  std::vector<int64_t> continuation, sequence = prompt;
  for (int i = 0; i < 6; ++i) {
    const Tensor logits = model.forward(from_vector(sequence, {1, int64_t(sequence.size())}));
    const std::vector<float> last = select(select(logits, 0, 0), 0, logits.size(1) - 1).to_vector<float>();
    continuation.push_back(int64_t(std::max_element(last.begin(), last.end()) - last.begin()));
    sequence.push_back(continuation.back());
  }
  std::vector<int32_t> expected;
  for (int64_t id : continuation) {
    if (id >= 40) break;  // <eos> and <bos> are the special tokens
    expected.push_back(int32_t(id));
  }
  const std::string answer = greedy_answer(model, tok, question, 6);
  CHECK(answer == tok.decode(expected));
  const SftAccuracy accuracy =
      exact_match_accuracy(model, tok, std::vector<SftQuestion>{question, {question.prompt_ids, answer, "q:2"}}, 6);
  CHECK(accuracy.correct == (answer == "4" ? 2 : 1));
  CHECK(accuracy.answers[1].correct);
}

TEST_CASE("the SFT metrics log adds its fields to lines the training log reader and plot still read") {
  const std::string path = testing::scratch_directory("sft_metrics") + "/metrics.jsonl";
  SftMetricsRecord record;
  record.training = {.step = 3, .loss = 0.75, .lr = 1e-3, .grad_norm = 0.5, .tokens_per_second = 100};
  record.nll = 0.7;
  record.response_entropy = 0.9;
  record.kl = 0.1;
  record.eval_accuracy = 0.25;
  {
    SftMetricsLog log(path);
    log.write(record);
    record.training.step = 4;
    record.kl.reset();
    record.eval_accuracy.reset();
    log.write(record);
  }
  const std::vector<MetricsRecord> read = read_metrics(path);
  REQUIRE(read.size() == 2);
  CHECK(read[0].step == 3);
  CHECK(read[0].loss == 0.75);
  CHECK(read[1].step == 4);
  const std::vector<char> bytes = testing::read_bytes(path);
  const std::string text(bytes.begin(), bytes.end());
  CHECK(text.find("\"response_entropy\":0.9,\"kl\":0.1,\"eval_accuracy\":0.25}\n") != std::string::npos);
  CHECK(text.find("\"step\":4,") != std::string::npos);
}

}  // namespace bytegrad::train
