// The soft byte-to-token encoder: a small bidirectional transformer that reads a token's UTF-8
// bytes and outputs an embedding in a host language model's input space, so that the host's
// token table can be replaced by a function of spelling (and a string that is no token can
// still be given one embedding position).
//
//   bytes [N, L] int64: START b_1 .. b_n END PAD .. PAD   (ids 0..255 are bytes, right-padded)
//     -> byte table (+ learned positions) -> layers of pre-norm bidirectional attention + GELU
//        MLP, attention blocked to the pads -> final LayerNorm -> the END position's vector
//     -> projection (linear times a learned scale, or a GELU MLP) -> [N, output_size]
//
// Right padding and the key padding mask make the output independent of the padded length: the
// real bytes keep positions 0..n+1 and no query attends to a pad, so a pad never changes it.
// Turning the mask off (padding_mask = false) reproduces the original's pads-attended encoder.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/attention.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/module.h"
#include "nn/module_list.h"
#include "nn/norm.h"

namespace bytegrad::nn {

// The byte table's three ids beyond the 256 bytes.
inline constexpr int64_t kStartByte = 256;
inline constexpr int64_t kEndByte = 257;
inline constexpr int64_t kPadByte = 258;
inline constexpr int64_t kByteTableSize = 259;

// The encoder's dims, as its config.json holds them (model_type "soft_byte_encoder").
struct SoftEncoderConfig {
  int64_t hidden_size = 128;         // the encoder's width
  int64_t num_hidden_layers = 2;
  int64_t num_attention_heads = 4;   // divides hidden_size
  int64_t intermediate_size = 512;   // the GELU MLP's width
  int64_t max_bytes = 32;            // the longest byte string it reads (framed: max_bytes + 2)
  int64_t output_size = 0;           // the host's hidden size
  bool learned_positions = true;     // add a learned position table (the original V0 had none)
  bool padding_mask = true;          // block attention to pads (the original attended to them)
  std::string projection = "linear"; // "linear": Linear(no bias) * learned scale; "mlp": GELU MLP
  double initial_scale = 1.0;        // the linear projection's scale at initialisation
  double norm_eps = 1e-5;

  // Throws Error naming `source` and the field for a non-positive dim, heads that do not divide
  // hidden_size or an unknown projection.
  void validate(const std::string& source) const;
  nlohmann::json to_json() const;
  // Reads the fields present in `json` over the defaults; throws Error naming `source` and the
  // key for an unknown key or a value of the wrong type, then validates.
  static SoftEncoderConfig from_json(const nlohmann::json& json, const std::string& source);
};

// One pre-norm block: x + attn(ln_1(x), blocked), then h + mlp(ln_2(h)).
class SoftEncoderLayer : public Module {
 public:
  SoftEncoderLayer(const SoftEncoderConfig& config, Generator& generator);
  // x [N, L, hidden], blocked bool [N, L, L] or undefined -> [N, L, hidden].
  Tensor forward(const Tensor& x, const Tensor& blocked) const;

  LayerNorm ln_1;
  GroupedQueryAttention attn;  // no rotary: positions are learned and added, or absent
  LayerNorm ln_2;
  GeluMLP mlp;
};

class SoftByteEncoder : public Module {
 public:
  // Validates `config`; weights start normal(0, 0.02) as GPT-2's. `generator` must outlive it.
  SoftByteEncoder(const SoftEncoderConfig& config, Generator& generator);

  // bytes [N, L] int64 framed by frame_bytes (L <= max_bytes + 2) -> embeddings [N, output_size].
  // Throws Error when bytes is not int64 [N, L] or L is too long; each row must hold one END.
  Tensor forward(const Tensor& bytes) const;
  // The pooled, normalised END-position vectors [N, hidden_size], before the projection.
  Tensor pooled(const Tensor& bytes) const;

  const SoftEncoderConfig& config() const { return config_; }

  Embedding byte_embeddings;                  // [259, hidden]
  std::optional<Embedding> position_embeddings;  // [max_bytes + 2, hidden], with learned_positions
  ModuleList<SoftEncoderLayer> layers;
  LayerNorm norm;
  std::optional<Linear> projection;   // "linear": hidden -> output, no bias
  Tensor scale;                       // "linear": [1], the learned scale
  std::optional<Linear> mlp_in;       // "mlp": hidden -> 4 hidden
  std::optional<Linear> mlp_out;      // "mlp": 4 hidden -> output

 private:
  SoftEncoderConfig config_;
};

// The framed byte rows of `strings`: START, the bytes, END, then PAD up to `length` (0: the
// longest string + 2). Throws Error naming the string's index when one is longer than
// `max_bytes` or than length - 2.
Tensor frame_bytes(const std::vector<std::string>& strings, int64_t max_bytes, int64_t length = 0);

}  // namespace bytegrad::nn
