#include "io/zstd_stream.h"

#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <new>

#include "base/error.h"

namespace bytegrad::io {

bool is_zstd(const uint8_t* data, size_t size) {
  static constexpr uint8_t kMagic[] = {0x28, 0xb5, 0x2f, 0xfd};  // ZSTD_MAGICNUMBER, little-endian
  return size >= 4 && data[0] == kMagic[0] && data[1] == kMagic[1] && data[2] == kMagic[2] &&
         data[3] == kMagic[3];
}

struct ZstdCompressor::State {
  ByteSink output;
  ZSTD_CCtx* context = nullptr;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(ZSTD_CStreamOutSize());

  // Runs the compressor over `input` with `mode`, passing every produced byte to the output,
  // until zstd reports the mode's work done.
  void drive(ZSTD_inBuffer& input, ZSTD_EndDirective mode) {
    for (;;) {
      ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
      const size_t remaining = ZSTD_compressStream2(context, &out, &input, mode);
      BYTEGRAD_CHECK(!ZSTD_isError(remaining), "zstd compression failed: ",
                     ZSTD_getErrorName(remaining));
      if (out.pos > 0) output(buffer.data(), out.pos);
      const bool done = mode == ZSTD_e_continue ? input.pos == input.size : remaining == 0;
      if (done) return;
    }
  }
};

ZstdCompressor::ZstdCompressor(ByteSink output, int level) : state_(std::make_unique<State>()) {
  state_->output = std::move(output);
  state_->context = ZSTD_createCCtx();
  BYTEGRAD_CHECK(state_->context != nullptr, "zstd: cannot create a compression context");
  ZSTD_CCtx_setParameter(state_->context, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(state_->context, ZSTD_c_checksumFlag, 1);  // detects corrupt frames
}

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(state_->context); }

void ZstdCompressor::write(const void* data, size_t size) {
  ZSTD_inBuffer input{data, size, 0};
  state_->drive(input, ZSTD_e_continue);
}

void ZstdCompressor::finish() {
  ZSTD_inBuffer input{nullptr, 0, 0};
  state_->drive(input, ZSTD_e_end);
}

size_t default_decompression_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? size_t(pages) * size_t(page_size) : SIZE_MAX;
}

std::vector<uint8_t> zstd_decompress(const uint8_t* data, size_t size, const std::string& source, size_t max_bytes) {
  ZSTD_DCtx* context = ZSTD_createDCtx();
  BYTEGRAD_CHECK(context != nullptr, source, ": cannot create a zstd decompression context");
  std::vector<uint8_t> result;
  // Appends one buffer of output, within the limit and without a bare std::bad_alloc.
  const auto append = [&](const uint8_t* bytes, size_t count) {
    if (result.size() + count > max_bytes) {
      ZSTD_freeDCtx(context);
      throw Error(concat(source, ": the zstd data decompresses to more than ", max_bytes,
                         " bytes (the limit: this machine's memory), so it is not read"));
    }
    try {
      result.insert(result.end(), bytes, bytes + count);
    } catch (const std::bad_alloc&) {
      ZSTD_freeDCtx(context);
      throw Error(concat(source, ": out of memory decompressing the zstd data after ", result.size(), " bytes"));
    }
  };
  std::vector<uint8_t> buffer(ZSTD_DStreamOutSize());
  ZSTD_inBuffer input{data, size, 0};
  size_t frame_remaining = 0;  // 0 exactly when the last frame read ended
  while (input.pos < input.size) {
    ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
    frame_remaining = ZSTD_decompressStream(context, &out, &input);
    if (ZSTD_isError(frame_remaining)) {
      const std::string reason = ZSTD_getErrorName(frame_remaining);
      ZSTD_freeDCtx(context);
      throw Error(concat(source, ": corrupt zstd data: ", reason));
    }
    append(buffer.data(), out.pos);
  }
  // Flush what the last frame still holds once the input is consumed; a frame that still wants
  // input when nothing more comes out was cut short.
  while (frame_remaining != 0) {
    ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
    frame_remaining = ZSTD_decompressStream(context, &out, &input);
    if (ZSTD_isError(frame_remaining)) {
      const std::string reason = ZSTD_getErrorName(frame_remaining);
      ZSTD_freeDCtx(context);
      throw Error(concat(source, ": corrupt zstd data: ", reason));
    }
    if (out.pos == 0) break;
    append(buffer.data(), out.pos);
  }
  ZSTD_freeDCtx(context);
  BYTEGRAD_CHECK(frame_remaining == 0, source,
                 ": the zstd stream ends in the middle of a frame (truncated file)");
  return result;
}

}  // namespace bytegrad::io
