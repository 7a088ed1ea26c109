#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "tensor/creation.h"
#include "tensor/views.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/zstd_stream.h"

namespace bytegrad::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader copies it as it is");

constexpr std::pair<DType, const char*> kDTypeNames[] = {
    {DType::Float32, "F32"}, {DType::Float64, "F64"}, {DType::BFloat16, "BF16"},
    {DType::Float16, "F16"}, {DType::Int32, "I32"},   {DType::Int64, "I64"},
    {DType::UInt8, "U8"},    {DType::Int8, "I8"},    {DType::Bool, "BOOL"}};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The header JSON, padded with spaces so that the data region starts 8-byte aligned (as
// Hugging Face's writer does, so that readers may map tensors in place). Offsets follow the
// map's order, which is the order the data is written in.
std::string header_json(const TensorMap& tensors, const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const uint64_t bytes = uint64_t(tensor.numel()) * dtype_size(tensor.dtype());
    header[name] = {{"dtype", safetensors_dtype(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  return text;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const Metadata& metadata, const ByteSink& out) {
  for (const auto& [name, tensor] : tensors)
    BYTEGRAD_CHECK(tensor.defined(), path, ": tensor '", name, "' is undefined");
  const std::string header = header_json(tensors, metadata);
  uint8_t length[8];
  const uint64_t header_size = header.size();
  std::memcpy(length, &header_size, 8);
  out(length, 8);
  out(header.data(), header.size());
  // One tensor at a time made dense on its device and copied to the host, so that a model on
  // a GPU never needs a second copy of itself in host memory.
  std::vector<uint8_t> host;
  for (const auto& [name, tensor] : tensors) {
    const Tensor dense = ops::contiguous(tensor);
    host.resize(size_t(dense.numel()) * dtype_size(dense.dtype()));
    dense.copy_to_host(host.data(), host.size());
    out(host.data(), host.size());
  }
}

// One tensor's entry of the header, checked against the data region.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

uint64_t checked_numel(const Shape& shape, const std::string& where) {
  uint64_t numel = 1;
  for (int64_t dim : shape) {
    BYTEGRAD_CHECK(dim >= 0, where, ": negative dimension ", dim, " in its shape");
    BYTEGRAD_CHECK(!__builtin_mul_overflow(numel, uint64_t(dim), &numel), where,
                   ": shape overflows 64 bits");
  }
  return numel;
}

Entry parse_entry(const std::string& name, const nlohmann::json& value, uint64_t data_size,
                  const std::string& source) {
  const std::string where = concat(source, ": tensor '", name, "'");
  BYTEGRAD_CHECK(value.is_object(), where, ": expected an object with dtype, shape and data_offsets");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    BYTEGRAD_CHECK(value.contains(key), where, ": missing '", key, "'");
  BYTEGRAD_CHECK(value["dtype"].is_string(), where, ": 'dtype' must be a string");
  const nlohmann::json& shape = value["shape"];
  const nlohmann::json& offsets = value["data_offsets"];
  BYTEGRAD_CHECK(shape.is_array(), where, ": 'shape' must be an array of integers");
  for (const nlohmann::json& dim : shape)
    BYTEGRAD_CHECK(dim.is_number_unsigned(), where, ": 'shape' must hold non-negative integers, got ",
                   shape.dump());
  BYTEGRAD_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                     offsets[1].is_number_unsigned(),
                 where, ": 'data_offsets' must be [begin, end] of non-negative integers, got ",
                 offsets.dump());
  Entry entry{name, dtype_from_safetensors(value["dtype"].get<std::string>(), where),
              shape.get<Shape>(), offsets[0].get<uint64_t>(), offsets[1].get<uint64_t>()};
  BYTEGRAD_CHECK(entry.begin <= entry.end, where, ": data_offsets [", entry.begin, ", ", entry.end,
                 "] end before they begin");
  BYTEGRAD_CHECK(entry.end <= data_size, where, ": data_offsets [", entry.begin, ", ", entry.end,
                 "] reach past the data region of ", data_size, " bytes (truncated file?)");
  uint64_t expected = 0;
  BYTEGRAD_CHECK(!__builtin_mul_overflow(checked_numel(entry.shape, where),
                                         uint64_t(dtype_size(entry.dtype)), &expected),
                 where, ": shape overflows 64 bits");
  BYTEGRAD_CHECK(entry.end - entry.begin == expected, where, ": data_offsets hold ",
                 entry.end - entry.begin, " bytes, but ", value["dtype"].get<std::string>(), " ",
                 shape_str(entry.shape), " needs ", expected);
  return entry;
}

Metadata parse_metadata(const nlohmann::json& value, const std::string& source) {
  BYTEGRAD_CHECK(value.is_object(), source, ": '__metadata__' must be an object of strings");
  Metadata metadata;
  for (const auto& [key, item] : value.items()) {
    BYTEGRAD_CHECK(item.is_string(), source, ": '__metadata__' value of '", key,
                   "' must be a string, got ", item.dump());
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

nlohmann::json parse_header(const uint8_t* data, size_t size, const std::string& source,
                            uint64_t& header_size) {
  BYTEGRAD_CHECK(size >= 8, source, ": file is ", size,
                 " bytes, too short for the 8-byte header length (not a safetensors file?)");
  std::memcpy(&header_size, data, 8);
  BYTEGRAD_CHECK(header_size <= size - 8, source, ": header length ", header_size,
                 " exceeds the ", size - 8, " bytes after it (truncated or not a safetensors file)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data + 8, data + 8 + header_size);
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat(source, ": header is not valid JSON: ", e.what()));
  }
  BYTEGRAD_CHECK(header.is_object(), source, ": header must be a JSON object, got ",
                 header.type_name());
  return header;
}

Tensor decode(const Entry& entry, const uint8_t* region, const std::string& source) {
  Tensor tensor = empty(entry.shape, TensorOptions{entry.dtype, kCPU});
  const uint8_t* bytes = region + entry.begin;
  const size_t size = size_t(entry.end - entry.begin);
  if (entry.dtype == DType::Bool) {
    // A bool other than 0 or 1 is undefined behaviour in C++: reject it rather than load it.
    const auto bad = std::find_if(bytes, bytes + size, [](uint8_t b) { return b > 1; });
    BYTEGRAD_CHECK(bad == bytes + size, source, ": tensor '", entry.name, "' (BOOL) holds byte ",
                   int(*bad), " at element ", bad - bytes, "; expected 0 or 1");
  }
  tensor.copy_from_host(bytes, size);
  return tensor;
}

}  // namespace

std::string safetensors_dtype(DType dtype) {
  for (const auto& [candidate, name] : kDTypeNames)
    if (candidate == dtype) return name;
  throw Error(concat("safetensors: no safetensors name for dtype ", dtype));
}

DType dtype_from_safetensors(const std::string& name, const std::string& source) {
  for (const auto& [dtype, candidate] : kDTypeNames)
    if (name == candidate) return dtype;
  throw Error(concat(source, ": unsupported dtype '", name,
                     "' (expected F32, F64, BF16, F16, I32, I64, U8 or BOOL)"));
}

void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  AtomicFile file(path);
  if (ends_with(path, ".zst")) {
    ZstdCompressor compressor(file.sink());
    write_safetensors(path, tensors, metadata, compressor.sink());
    compressor.finish();
  } else {
    write_safetensors(path, tensors, metadata, file.sink());
  }
  file.commit();
}

SafetensorsContents parse_safetensors(const uint8_t* data, size_t size, const std::string& source) {
  uint64_t header_size = 0;
  const nlohmann::json header = parse_header(data, size, source, header_size);
  const uint8_t* region = data + 8 + header_size;
  const uint64_t region_size = size - 8 - header_size;

  SafetensorsContents contents;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__")
      contents.metadata = parse_metadata(value, source);
    else
      entries.push_back(parse_entry(name, value, region_size, source));
  }
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    BYTEGRAD_CHECK(by_offset[i]->begin >= by_offset[i - 1]->end, source, ": tensors '",
                   by_offset[i - 1]->name, "' and '", by_offset[i]->name,
                   "' overlap in the data region");
  for (const Entry& entry : entries) contents.tensors.emplace(entry.name, decode(entry, region, source));
  return contents;
}

SafetensorsContents load_safetensors(const std::string& path) {
  const MappedFile file(path);
  if (is_zstd(file.data(), file.size())) {
    const std::vector<uint8_t> bytes = zstd_decompress(file.data(), file.size(), path, default_decompression_limit());
    return parse_safetensors(bytes.data(), bytes.size(), path);
  }
  return parse_safetensors(file.data(), file.size(), path);
}

}  // namespace bytegrad::io
