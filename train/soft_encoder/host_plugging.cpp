#include "train/soft_encoder/host_plugging.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "base/error.h"
#include "nn/loss.h"
#include "tensor/creation.h"
#include "train/data/text_corpus.h"
#include "train/data/token_stream.h"
#include "train/grad_clip.h"
#include "train/optimizer.h"
#include "train/schedule.h"

namespace bytegrad::train {
namespace {

// The batch's inputs embedded through the encoder: the distinct tokens of `inputs` [B, T] get one
// row each (the encoder's for ordinary tokens, the host's for the rest), and every position reads
// its token's row.
Tensor soft_embeds(const nn::SoftByteEncoder& encoder, const TokenDataset& data, const Tensor& inputs) {
  const std::vector<int64_t> ids = inputs.to_vector<int64_t>();
  std::vector<int64_t> distinct = ids;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<std::string> strings;
  std::vector<int64_t> encoded_ids, other_ids;
  for (int64_t id : distinct) {
    if (data.encoded[size_t(id)]) {
      encoded_ids.push_back(id);
      strings.push_back(data.bytes[size_t(id)]);
    } else {
      other_ids.push_back(id);
    }
  }
  std::vector<Tensor> rows;
  if (!strings.empty()) rows.push_back(encoder.forward(nn::frame_bytes(strings, encoder.config().max_bytes)));
  if (!other_ids.empty())
    rows.push_back(index_select(data.targets, 0, from_vector(other_ids, {int64_t(other_ids.size())})));
  const Tensor local_table = rows.size() == 1 ? rows[0] : cat(rows, 0);  // [U, hidden]
  std::map<int64_t, int64_t> local;
  for (int64_t id : encoded_ids) local.emplace(id, int64_t(local.size()));
  for (int64_t id : other_ids) local.emplace(id, int64_t(local.size()));
  std::vector<int64_t> remapped;
  for (int64_t id : ids) remapped.push_back(local.at(id));
  return embedding(local_table, from_vector(remapped, inputs.shape()));
}

}  // namespace

HostText read_host_text(const HostTextOptions& options, const tokenizer::Tokenizer& tokenizer,
                        const std::string& source) {
  BYTEGRAD_CHECK(tokenizer.eos_id().has_value(), source, ": the host's tokenizer has no EOS token to separate documents");
  const TextCorpus corpus = read_text_corpus({options.paths, options.document_delimiter});
  PackedTokens packed =
      pack_documents(tokenizer.encode_batch(corpus.documents), *tokenizer.eos_id(), options.eval_fraction, options.seed);
  BYTEGRAD_CHECK(!packed.eval.empty(), source, ": host_data holds nothing out (eval_fraction ", options.eval_fraction,
                 ")");
  return {TokenSource(std::move(packed.train)), TokenSource(std::move(packed.eval))};
}

double host_heldout_loss(const nn::CausalLM& host, const Tensor& table, const TokenSource& eval,
                         const HostTextOptions& options) {
  NoGradGuard no_grad;
  TokenBatches batches(eval, options.batch_size, options.seq_len, "host held-out text");
  double total = 0;
  for (int64_t i = 0; i < options.eval_batches; ++i) {
    const TokenBatch batch = batches.next_tokens();
    const Tensor logits = host.forward_embeds(embedding(table, batch.inputs));
    total += nn::cross_entropy(logits, batch.targets).item<float>();
  }
  return total / double(options.eval_batches);
}

void finetune_through_host(nn::CausalLM& host, nn::SoftByteEncoder& encoder, const TokenDataset& data,
                           const TokenSource& train, const HostTextOptions& text, const FinetuneOptions& options,
                           const std::function<void(const MetricsRecord&, double eta_seconds)>& on_step) {
  NamedTensors parameters = encoder.named_parameters();
  std::vector<std::string> host_tables = host.embedding_parameter_names();
  std::set<std::string> no_decay;
  for (const auto& [name, parameter] : host.named_parameters()) {
    if (options.freeze_host) {
      Tensor(parameter).set_requires_grad(false);
    } else {
      parameters.emplace_back("host." + name, parameter);
      if (std::find(host_tables.begin(), host_tables.end(), name) != host_tables.end()) no_decay.insert("host." + name);
    }
  }
  AdamWOptions adamw;
  adamw.learning_rate = options.learning_rate;
  adamw.beta2 = 0.95;
  AdamW optimizer(parameters, adamw, no_decay);
  std::vector<Tensor> trained;
  for (const auto& named : parameters) trained.push_back(named.second);
  const LearningRateSchedule schedule{.peak = options.learning_rate,
                                      .floor = options.learning_rate / 10,
                                      .warmup_steps = options.warmup_steps,
                                      .total_steps = options.steps};
  TokenBatches batches(train, text.batch_size, text.seq_len, "host training text");
  encoder.train();
  host.train();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < options.steps; ++step) {
    const auto step_start = std::chrono::steady_clock::now();
    const TokenBatch batch = batches.next_tokens();
    const Tensor loss = nn::cross_entropy(host.forward_embeds(soft_embeds(encoder, data, batch.inputs)), batch.targets);
    optimizer.zero_grad();
    backward(loss);
    MetricsRecord record;
    record.grad_norm = clip_grad_norm(trained, options.grad_clip);
    record.lr = schedule.at(step);
    optimizer.set_learning_rate(record.lr);
    optimizer.step();
    record.step = step + 1;
    record.loss = loss.item<float>();
    const auto now = std::chrono::steady_clock::now();
    record.tokens_per_second =
        double(batch.inputs.numel()) / std::chrono::duration<double>(now - step_start).count();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (on_step) on_step(record, elapsed / double(step + 1) * double(options.steps - step - 1));
  }
  encoder.eval();
  host.eval();
  if (options.freeze_host)
    for (const auto& [name, parameter] : host.named_parameters()) Tensor(parameter).set_requires_grad(true);
}

}  // namespace bytegrad::train
