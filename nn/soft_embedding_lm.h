// A host causal LM whose input embeddings come from a table other than its own: the soft
// byte-to-token encoder's embeddings of the host's vocabulary, followed by extra rows for strings
// that are not tokens (one embedding position each). Ids 0..host vocab-1 are the host's tokens;
// ids from the host vocab on are the extra rows, which the head never predicts (their logits are
// -inf), so generation, scoring and the KV cache work on it as on any CausalLM.
//
//   SoftEmbeddingLM soft(*host, table);           // table [host vocab + extra, hidden]
//   Tensor logits = soft.forward(ids);            // ids may name extra rows
#pragma once

#include <string>
#include <vector>

#include "nn/causal_lm.h"

namespace bytegrad::nn {

class SoftEmbeddingLM : public CausalLM {
 public:
  // `host` must outlive this model. Throws Error naming both shapes when `table` is not
  // [rows >= host vocab, host hidden] floating.
  SoftEmbeddingLM(const CausalLM& host, Tensor table);

  std::string model_type() const override { return host_.model_type(); }
  // ids [B, T] -> the table's rows [B, T, hidden].
  Tensor embed(const Tensor& ids) const override;
  // The host's head, with -inf logits for the extra rows: [..., host vocab + extra].
  Tensor head(const Tensor& hidden) const override;
  std::vector<std::string> embedding_parameter_names() const override { return {}; }

  const Tensor& table() const { return table_; }

 private:
  Tensor decode(const Tensor& inputs_embeds, int64_t start_pos, KVCache* cache) const override;
  Tensor decode_packed(const Tensor& inputs_embeds, const Tensor& position_ids, const Tensor& blocked) const override;

  const CausalLM& host_;
  Tensor table_;
};

}  // namespace bytegrad::nn
