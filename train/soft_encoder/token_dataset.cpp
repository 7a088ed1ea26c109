#include "train/soft_encoder/token_dataset.h"

#include <algorithm>
#include <cmath>

#include "autograd/functions.h"
#include "base/error.h"
#include "tensor/creation.h"
#include "tokenizer/token_bytes.h"

namespace bytegrad::train {

Tensor host_input_table(const nn::CausalLM& host, const std::string& source) {
  const nn::ModelConfig& config = host.config();
  const std::vector<std::string> tables = host.embedding_parameter_names();
  for (const auto& [name, parameter] : host.named_parameters()) {
    const bool listed = std::find(tables.begin(), tables.end(), name) != tables.end();
    if (listed && parameter.shape() == Shape{config.vocab_size, config.hidden_size})
      return bytegrad::to(parameter.detach(), kFloat32);
  }
  throw Error(concat(source, ": the model has no input embedding table [", config.vocab_size, ", ",
                     config.hidden_size, "] (", host.model_type(), ")"));
}

TokenDataset make_token_dataset(const tokenizer::Tokenizer& tokenizer, const Tensor& table,
                                const TokenDatasetOptions& options, const std::string& source) {
  BYTEGRAD_CHECK(table.dim() == 2, source, ": the embedding table ", shape_str(table.shape()), " is not a matrix");
  BYTEGRAD_CHECK(int64_t(tokenizer.vocab_size()) == table.size(0), source, ": the tokenizer has ",
                 tokenizer.vocab_size(), " tokens but the embedding table ", table.size(0), " rows");
  BYTEGRAD_CHECK(options.heldout_fraction >= 0 && options.heldout_fraction < 1, source, ": heldout_fraction ",
                 options.heldout_fraction, " must lie in [0, 1)");
  const std::vector<tokenizer::TokenBytes> tokens =
      options.true_bytes ? tokenizer::true_token_bytes(tokenizer) : tokenizer::raw_piece_bytes(tokenizer);
  TokenDataset data;
  data.targets = table;
  data.bytes.resize(tokens.size());
  data.encoded.assign(tokens.size(), false);
  std::vector<int64_t> ordinary;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (tokens[id].special || tokens[id].unused || tokens[id].bytes.empty()) continue;
    data.bytes[id] = tokens[id].bytes;
    data.encoded[id] = true;
    data.max_bytes = std::max(data.max_bytes, int64_t(tokens[id].bytes.size()));
    ordinary.push_back(int64_t(id));
  }
  // A seeded permutation of the ordinary tokens; its first `heldout` are held out. The original
  // had no held-out split, so its accuracy was measured on the tokens it trained on.
  Generator generator(options.seed);
  const std::vector<int64_t> order =
      randperm(int64_t(ordinary.size()), {kInt64, kCPU}, &generator).to_vector<int64_t>();
  const auto heldout = size_t(std::llround(options.heldout_fraction * double(ordinary.size())));
  for (size_t i = 0; i < order.size(); ++i)
    (i < heldout ? data.heldout_ids : data.train_ids).push_back(ordinary[size_t(order[i])]);
  std::sort(data.heldout_ids.begin(), data.heldout_ids.end());
  return data;
}

}  // namespace bytegrad::train
