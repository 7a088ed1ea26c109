// safetensors: every dtype round-trips bit for bit, plain and zstd-compressed; every kind of
// damage to a file is reported with the file's name and the problem, never loaded.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "tests/scratch_directory.h"
#include "tests/test_util.h"
#include "tensor/views.h"
#include "io/model_weights.h"
#include "io/safetensors.h"
#include "io/zstd_stream.h"

namespace bytegrad::io {
namespace {

using bytegrad::testing::check_close;
using bytegrad::testing::error_of;
using namespace bytegrad::testing;

// One tensor of every dtype, with values that each dtype represents exactly.
io::TensorMap every_dtype() {
  io::TensorMap tensors;
  const std::vector<double> values = {0, 1, -2.5, 3.25, 100, -0.125};
  for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16})
    tensors.emplace(std::string("float/") + std::string(dtype_name(dtype)),
                    from_vector(values, {2, 3}, {dtype, kCPU}));
  tensors.emplace("int32", from_vector(std::vector<int32_t>{-7, 0, 2147483647}));
  tensors.emplace("int64", from_vector(std::vector<int64_t>{-1, int64_t(1) << 40}, {2, 1}));
  tensors.emplace("uint8", from_vector(std::vector<uint8_t>{0, 127, 255}));
  tensors.emplace("int8", from_vector(std::vector<int8_t>{-128, -1, 0, 127}, {2, 2}));
  tensors.emplace("bool", from_vector(std::vector<bool>{true, false, true}, {3}, {kBool, kCPU}));
  tensors.emplace("scalar", scalar_tensor(4.5));
  tensors.emplace("empty", zeros({0, 4}));
  return tensors;
}

void check_same(const io::TensorMap& actual, const io::TensorMap& expected) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, tensor] : expected) {
    INFO("tensor " << name);
    REQUIRE(actual.count(name));
    CHECK(actual.at(name).dtype() == tensor.dtype());
    check_close(actual.at(name), tensor, 0, 0);
  }
}

// A file with this header text and data region (to build damaged files by hand).
void write_raw(const std::string& path, const std::string& header, size_t data_bytes,
               uint64_t declared_header_size) {
  std::vector<char> bytes(8);
  std::memcpy(bytes.data(), &declared_header_size, 8);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + data_bytes, 0);
  write_bytes(path, bytes);
}

void write_raw(const std::string& path, const std::string& header, size_t data_bytes) {
  write_raw(path, header, data_bytes, header.size());
}

}  // namespace

TEST_CASE("safetensors: every dtype round-trips with its metadata") {
  const std::string path = scratch_directory("safetensors_roundtrip") + "/all.safetensors";
  io::save_safetensors(path, every_dtype(), {{"format", "pt"}, {"step", "12"}});
  const io::SafetensorsContents loaded = io::load_safetensors(path);
  check_same(loaded.tensors, every_dtype());
  CHECK(loaded.metadata == Metadata{{"format", "pt"}, {"step", "12"}});
}

TEST_CASE("safetensors: int8 tensors are stored as I8, one byte each, as PyTorch's safetensors names them") {
  const std::string path = scratch_directory("safetensors_int8") + "/int8.safetensors";
  io::save_safetensors(path, {{"q", from_vector(std::vector<int8_t>{-3, 5, -128}, {3})}});
  const std::vector<char> bytes = read_bytes(path);
  const std::string text(bytes.begin(), bytes.end());
  CHECK(text.find("\"dtype\":\"I8\"") != std::string::npos);
  CHECK(safetensors_dtype(kInt8) == "I8");
  CHECK(dtype_from_safetensors("I8", "test") == kInt8);
  CHECK(io::load_safetensors(path).tensors.at("q").to_vector<int8_t>() == std::vector<int8_t>{-3, 5, -128});
}

TEST_CASE("safetensors: the data region starts 8-byte aligned") {
  const std::string path = scratch_directory("safetensors_alignment") + "/a.safetensors";
  io::save_safetensors(path, {{"x", zeros({3}, {kUInt8, kCPU})}});
  const std::vector<char> bytes = read_bytes(path);
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  CHECK(header_size % 8 == 0);
  CHECK(bytes.size() == 8 + header_size + 3);
}

TEST_CASE("safetensors: zstd files round-trip and are recognised by their magic bytes") {
  const std::string directory = scratch_directory("safetensors_zstd");
  io::save_safetensors(directory + "/all.safetensors.zst", every_dtype(), {{"format", "pt"}});
  const std::vector<char> bytes = read_bytes(directory + "/all.safetensors.zst");
  REQUIRE(bytes.size() > 4);
  CHECK(uint8_t(bytes[0]) == 0x28);
  CHECK(uint8_t(bytes[3]) == 0xfd);
  write_bytes(directory + "/renamed.bin", bytes);  // detection does not rely on the name
  const io::SafetensorsContents loaded = io::load_safetensors(directory + "/renamed.bin");
  check_same(loaded.tensors, every_dtype());
  CHECK(loaded.metadata.at("format") == "pt");
}

TEST_CASE("safetensors: a zstd stream spanning many compression buffers round-trips") {
  const std::string path = scratch_directory("safetensors_zstd_large") + "/big.safetensors.zst";
  const Tensor big = ops::to(arange(int64_t(1) << 20), kFloat32);  // 4 MiB of data
  io::save_safetensors(path, {{"big", big}});
  CHECK(std::filesystem::file_size(path) < (size_t(1) << 22));
  CHECK(io::load_safetensors(path).tensors.at("big").to_vector<float>() == big.to_vector<float>());
}

TEST_CASE("safetensors: saved files are readable by others, like any file the user writes") {
  const std::string path = scratch_directory("safetensors_mode") + "/w.safetensors";
  io::save_safetensors(path, {{"w", ones({1})}});
  const auto permissions = std::filesystem::status(path).permissions();
  CHECK((permissions & std::filesystem::perms::others_read) != std::filesystem::perms::none);
}

TEST_CASE("safetensors: views and transposes are stored dense, row-major") {
  const std::string path = scratch_directory("safetensors_views") + "/v.safetensors";
  const Tensor base = from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  io::save_safetensors(path, {{"t", ops::transpose(base, 0, 1)}});
  const Tensor loaded = io::load_safetensors(path).tensors.at("t");
  check_close(loaded, from_vector(std::vector<float>{1, 4, 2, 5, 3, 6}, {3, 2}), 0, 0);
}

TEST_CASE("safetensors: an undefined tensor fails the save and leaves the old file") {
  const std::string directory = scratch_directory("safetensors_failed_save");
  const std::string path = directory + "/w.safetensors";
  io::save_safetensors(path, {{"w", ones({2})}});
  const std::string error = error_of([&] { io::save_safetensors(path, {{"w", ones({2})}, {"x", Tensor()}}); });
  CHECK(error.find(path) != std::string::npos);
  CHECK(error.find("'x' is undefined") != std::string::npos);
  check_close(io::load_safetensors(path).tensors.at("w"), ones({2}), 0, 0);
  CHECK(entries(directory) == std::vector<std::string>{"w.safetensors"});
}

TEST_CASE("safetensors: damaged files give an error naming the file and the problem") {
  const std::string directory = scratch_directory("safetensors_damaged");
  const std::string path = directory + "/bad.safetensors";
  auto error_for = [&](auto&& make) {
    make();
    const std::string error = error_of([&] { io::load_safetensors(path); });
    INFO(error);
    CHECK(error.rfind(path, 0) == 0);
    return error;
  };
  const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

  CHECK(error_for([&] { write_bytes(path, {'a', 'b'}); }).find("too short") != std::string::npos);
  CHECK(error_for([&] { write_raw(path, good, 8, 1 << 20); }).find("header length 1048576 exceeds") !=
        std::string::npos);
  CHECK(error_for([&] { write_raw(path, R"({"w": {"dtype": )", 8); }).find("not valid JSON") !=
        std::string::npos);
  CHECK(error_for([&] { write_raw(path, "[1, 2]", 8); }).find("must be a JSON object") !=
        std::string::npos);
  CHECK(error_for([&] { write_raw(path, good, 4); }).find("reach past the data region of 4 bytes") !=
        std::string::npos);
  CHECK(error_for([&] {
          write_raw(path, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4000]}})", 8);
        }).find("reach past the data region") != std::string::npos);
  CHECK(error_for([&] {
          write_raw(path, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
        }).find("hold 8 bytes, but F32 [3] needs 12") != std::string::npos);
  CHECK(error_for([&] {
          write_raw(path, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8);
        }).find("end before they begin") != std::string::npos);
  CHECK(error_for([&] {
          write_raw(path,
                    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    12);
        }).find("'a' and 'b' overlap") != std::string::npos);
  CHECK(error_for([&] {
          write_raw(path, R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}})", 2);
        }).find("unsupported dtype 'Q4'") != std::string::npos);
  CHECK(error_for([&] {
          write_raw(path, R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8);
        }).find("non-negative integers") != std::string::npos);
  CHECK(error_for([&] { write_raw(path, R"({"w":{"dtype":"F32","shape":[2]}})", 8); })
            .find("missing 'data_offsets'") != std::string::npos);
  CHECK(error_for([&] { write_raw(path, R"({"__metadata__":{"n":3}})", 0); })
            .find("'__metadata__' value of 'n' must be a string") != std::string::npos);
  CHECK(error_for([&] {
          std::vector<char> bytes(8);
          const std::string header = R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})";
          const uint64_t size = header.size();
          std::memcpy(bytes.data(), &size, 8);
          bytes.insert(bytes.end(), header.begin(), header.end());
          bytes.push_back(1);
          bytes.push_back(7);
          write_bytes(path, bytes);
        }).find("holds byte 7 at element 1") != std::string::npos);
}

TEST_CASE("safetensors: a truncated file names the tensor that runs past its end") {
  const std::string directory = scratch_directory("safetensors_truncated");
  const std::string path = directory + "/t.safetensors";
  io::save_safetensors(path, every_dtype());
  std::vector<char> bytes = read_bytes(path);
  bytes.resize(bytes.size() - 3);
  write_bytes(path, bytes);
  const std::string error = error_of([&] { io::load_safetensors(path); });
  CHECK(error.rfind(path, 0) == 0);
  CHECK(error.find("truncated file") != std::string::npos);
}

TEST_CASE("safetensors: damaged zstd files are rejected with the file's name") {
  const std::string directory = scratch_directory("safetensors_bad_zstd");
  const std::string path = directory + "/w.safetensors.zst";
  io::save_safetensors(path, every_dtype());
  const std::vector<char> bytes = read_bytes(path);

  std::vector<char> truncated(bytes.begin(), bytes.begin() + long(bytes.size() / 2));
  write_bytes(path, truncated);
  std::string error = error_of([&] { io::load_safetensors(path); });
  CHECK(error.rfind(path, 0) == 0);
  CHECK(error.find("ends in the middle of a frame") != std::string::npos);

  std::vector<char> corrupt = bytes;
  for (size_t i = 12; i < corrupt.size(); i += 5) corrupt[i] = char(corrupt[i] ^ 0x5a);
  write_bytes(path, corrupt);
  error = error_of([&] { io::load_safetensors(path); });
  CHECK(error.rfind(path, 0) == 0);
  CHECK(error.find("corrupt zstd data") != std::string::npos);
}

TEST_CASE("safetensors: a missing file is named") {
  const std::string path = scratch_directory("safetensors_missing") + "/none.safetensors";
  const std::string error = error_of([&] { io::load_safetensors(path); });
  CHECK(error.rfind(path, 0) == 0);
  CHECK(error.find("cannot open") != std::string::npos);
}

TEST_CASE("pretrained weights: a sharded checkpoint loads into one map through its index") {
  const std::string directory = scratch_directory("sharded");
  io::save_safetensors(directory + "/model-00001-of-00002.safetensors", {{"a", ones({2})}, {"b", zeros({3})}});
  io::save_safetensors(directory + "/model-00002-of-00002.safetensors", {{"c", full({1}, 5.0)}});
  write_text(directory + "/model.safetensors.index.json",
             R"({"metadata": {"total_size": 24}, "weight_map": {)"
             R"("a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",)"
             R"("c": "model-00002-of-00002.safetensors"}})");
  const io::TensorMap weights = io::load_pretrained_weights(directory);
  check_same(weights, {{"a", ones({2})}, {"b", zeros({3})}, {"c", full({1}, 5.0)}});

  write_text(directory + "/model.safetensors.index.json",
             R"({"weight_map": {"d": "model-00002-of-00002.safetensors"}})");
  const std::string error = error_of([&] { io::load_pretrained_weights(directory); });
  CHECK(error.find("model.safetensors.index.json: weight_map puts 'd' in") != std::string::npos);
  CHECK(error.find("which does not hold it") != std::string::npos);
}

TEST_CASE("pretrained weights: a directory without weights is named") {
  const std::string directory = scratch_directory("no_weights");
  const std::string error = error_of([&] { io::load_pretrained_weights(directory); });
  CHECK(error.rfind(directory, 0) == 0);
  CHECK(error.find("no model.safetensors") != std::string::npos);
}

TEST_CASE("zstd: data that decompresses past the limit is an error naming the file and the limit") {
  std::vector<uint8_t> compressed;
  ZstdCompressor compressor([&](const void* data, size_t size) {
    compressed.insert(compressed.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  });
  const std::vector<uint8_t> zeros(size_t(1) << 20, 0);
  for (int i = 0; i < 8; ++i) compressor.write(zeros.data(), zeros.size());  // 8 MiB of zeros
  compressor.finish();
  CHECK(compressed.size() < 4096);
  CHECK(zstd_decompress(compressed.data(), compressed.size(), "zeros.zst", size_t(8) << 20).size() == size_t(8) << 20);
  CHECK(error_of([&] { zstd_decompress(compressed.data(), compressed.size(), "zeros.zst", size_t(1) << 20); }) ==
        "zeros.zst: the zstd data decompresses to more than 1048576 bytes (the limit: this machine's memory), so it is "
        "not read");
  CHECK(default_decompression_limit() > (size_t(1) << 30));
}

}  // namespace bytegrad::io
