// Export of a Llama model to llama2.c's legacy ("version 0") checkpoint, the file run.c reads:
//   header  7 little-endian int32: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
//           seq_len; vocab_size is negated when the classifier is not shared with the embedding
//   then float32, row-major: token embedding [vocab, dim]; per layer, each kind for all layers
//   in turn: attention norm [dim], wq [dim, dim], wk [kv_dim, dim], wv [kv_dim, dim],
//   wo [dim, dim], ffn norm [dim], w1 (gate) [hidden, dim], w2 (down) [dim, hidden],
//   w3 (up) [hidden, dim]; final norm [dim]; RoPE cos and sin tables [seq_len, head_size / 2]
//   (unused by run.c but expected in the file); the classifier [vocab, dim] when not shared.
//
// Hugging Face's q/k projections order each head's rows as (all real parts, all imaginary
// parts) for its "rotate half" RoPE, while run.c rotates interleaved pairs (x[2i], x[2i+1]).
// The export undoes Hugging Face's permutation as llama2.c's export.py does:
//   row h*head_size + 2*i + p  <-  row h*head_size + p*(head_size/2) + i
#pragma once

#include <string>

#include "nn/config.h"
#include "io/safetensors.h"
#include "tokenizer/tokenizer.h"

namespace bytegrad::io {

// Writes `weights` (Hugging Face names: model.embed_tokens.weight,
// model.layers.N.self_attn.{q,k,v,o}_proj.weight, model.layers.N.mlp.{gate,up,down}_proj.weight,
// model.layers.N.{input,post_attention}_layernorm.weight, model.norm.weight and, unless the
// classifier is shared, lm_head.weight; any floating dtype) to `path` atomically. The
// classifier counts as shared when lm_head.weight is absent or equal to the embedding.
// seq_len is config.max_position_embeddings. Throws Error naming the tensor for a missing or
// mis-shaped weight, and for configs run.c cannot reproduce: biases, an activation other than
// silu, head_dim != hidden_size / num_attention_heads, or rope_theta other than run.c's 10000.
void export_llama2c(const std::string& path, const TensorMap& weights,
                    const nn::ModelConfig& config);

// Writes `weights` (as export_llama2c takes them) to `path` atomically as llama2.c's version-2
// file, the int8 one its runq.c reads (export.py's version2_export):
//   header  256 bytes: uint32 magic 0x616b3432 ("ak42"), int32 version 2, the 7 int32 of
//           version 0 (vocab_size positive), uint8 1 when the classifier is shared, int32 group
//           size, zeros
//   then float32: attention norms [dim] of all layers, ffn norms of all layers, final norm;
//   then each matrix as int8 values (row-major) followed by its float32 scales, one per group of
//   `group` consecutive values (Q8_0, kernels/cpu/weight_rows.h): token embedding, wq of every
//   layer, then wk, wv, wo, w1, w2, w3 likewise, and the classifier when not shared.
// q and k rows are reordered as in export_llama2c. `group` is halved until it divides
// hidden_size, as version2_export does. Throws Error as export_llama2c does, and naming the
// weight whose size is not a multiple of the group.
void export_llama2c_q8(const std::string& path, const TensorMap& weights, const nn::ModelConfig& config,
                       int64_t group = 64);

// Which of the two files: version 0 (float32, run.c) or version 2 (int8 groups of 64, runq.c).
enum class Llama2cVersion { Float32, Int8Groups };

// Writes llama2.c's tokenizer.bin for `tokenizer` at `path` atomically:
//   int32 max_token_length, then for each id 0 .. vocab_size-1: float32 score, int32 byte
//   length, the token's bytes (no terminator).
// A token's bytes are its decoded text (a byte-level token's raw bytes, a special token's text),
// so run.c prints what decode prints. Scores rank merges for run.c's prompt encoder: -id, as a
// BPE learned later merges at higher ids; special tokens get -1e9 so that no merge forms them.
// Ids the tokenizer lacks (a model vocab padded past it) are written empty. Throws Error naming
// the path when `vocab_size` is below the tokenizer's vocabulary.
void export_llama2c_tokenizer(const std::string& path, const tokenizer::Tokenizer& tokenizer, int64_t vocab_size);

}  // namespace bytegrad::io
