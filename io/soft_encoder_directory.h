// A trained soft byte-to-token encoder (nn/soft_encoder.h) as its own model directory:
//   config.json        SoftEncoderConfig's fields, "model_type": "soft_byte_encoder"
//   model.safetensors  its parameters by their module names ("layers.0.attn.q_proj.weight")
//
//   save_soft_encoder("runs/soft/encoder", encoder);
//   LoadedSoftEncoder loaded = load_soft_encoder("runs/soft/encoder");
//   Tensor embeddings = loaded.encoder->forward(nn::frame_bytes({" hello"}, loaded.encoder->config().max_bytes));
#pragma once

#include <filesystem>
#include <memory>

#include "nn/soft_encoder.h"
#include "tensor/generator.h"

namespace bytegrad::io {

struct LoadedSoftEncoder {
  std::unique_ptr<Generator> generator;  // outlives encoder
  std::unique_ptr<nn::SoftByteEncoder> encoder;
};

// Writes config.json and model.safetensors into `directory` (created if needed), atomically.
void save_soft_encoder(const std::filesystem::path& directory, const nn::SoftByteEncoder& encoder);

// Reads a directory save_soft_encoder wrote. Throws Error naming the file for a missing or
// malformed config.json, a config that is not a soft encoder's, and missing, unexpected or
// mis-shaped weights.
LoadedSoftEncoder load_soft_encoder(const std::filesystem::path& directory);

}  // namespace bytegrad::io
