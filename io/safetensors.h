// Reading and writing safetensors files, the checkpoint format of Hugging Face and PyTorch.
//
// Layout: an 8-byte little-endian header length N; N bytes of JSON
//   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<string value>", ...}}
// padded with spaces to a multiple of 8; then the data region, where each tensor's bytes lie
// row-major and little-endian at [begin, end) counted from the region's start.
// DTypes: F32, F64, BF16, F16, I32, I64, U8, I8, BOOL (one byte, 0 or 1).
//
// A zstd-compressed variant (conventionally ".safetensors.zst") is the whole file compressed
// as one zstd stream; load_safetensors recognises it by its magic bytes, save_safetensors writes
// it when the path ends in ".zst".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "tensor/tensor.h"

namespace bytegrad::io {

// name -> tensor; the same type as nn::StateDict, so a model's state_dict() saves directly.
using TensorMap = std::map<std::string, Tensor>;
// The free-form string pairs of "__metadata__" (Hugging Face writes {"format": "pt"}).
using Metadata = std::map<std::string, std::string>;

struct SafetensorsContents {
  TensorMap tensors;  // dense CPU tensors owning their data
  Metadata metadata;
};

// Writes `tensors` (any device or layout; stored dense and row-major) and `metadata` to `path`
// atomically: a temporary file beside it is written, fsynced and renamed, so a crash never
// leaves a half file. Compresses with zstd when `path` ends in ".zst". Throws Error naming the
// path (and the tensor) for an undefined tensor or a failed write; `path` is then unchanged.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const Metadata& metadata = {});

// Reads a safetensors file, zstd-compressed or not. Everything is validated before a tensor is
// returned: the header length lies within the file, the header is a JSON object, every dtype is
// known, every shape non-negative, every tensor's [begin, end) lies inside the data region and
// holds exactly numel x dtype size bytes, no two tensors overlap, BOOL bytes are 0 or 1.
// Throws Error naming the file and the problem (e.g. a truncated file).
SafetensorsContents load_safetensors(const std::string& path);

// The same validation and decoding on bytes in memory; `source` names them in errors.
SafetensorsContents parse_safetensors(const uint8_t* data, size_t size, const std::string& source);

// "F32", "BF16", ... for a dtype, and back; the latter throws Error naming `source`.
std::string safetensors_dtype(DType dtype);
DType dtype_from_safetensors(const std::string& name, const std::string& source);

}  // namespace bytegrad::io
