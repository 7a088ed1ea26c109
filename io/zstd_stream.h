// zstd streaming compression for checkpoint files (".safetensors.zst" is the whole safetensors
// file compressed as one zstd stream). Compressed files are recognised by the zstd frame magic
// (28 b5 2f fd), not by their name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/atomic_file.h"

namespace bytegrad::io {

// True when `data` starts with the zstd frame magic.
bool is_zstd(const uint8_t* data, size_t size);

// Compresses everything written to it into `output`, in bounded memory. finish() ends the frame;
// a compressor destroyed without finish() leaves an incomplete stream (which readers reject).
class ZstdCompressor {
 public:
  ZstdCompressor(ByteSink output, int level = 3);
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  void write(const void* data, size_t size);
  ByteSink sink() {
    return [this](const void* data, size_t size) { write(data, size); };
  }
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Decompresses a whole zstd stream (one or more frames). `source` names the file in errors:
// corrupt data, a stream that ends mid-frame (a truncated file), and output beyond `max_bytes`
// (a small file can expand to any size: 284 KB holds 8 GiB of zeros) throw Error.
std::vector<uint8_t> zstd_decompress(const uint8_t* data, size_t size, const std::string& source, size_t max_bytes);

// The default bound on decompressed bytes: the machine's physical memory, which the result
// must fit in anyway.
size_t default_decompression_limit();

}  // namespace bytegrad::io
