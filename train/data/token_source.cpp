#include "train/data/token_source.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "train/data/token_shards.h"

namespace bytegrad::train {
namespace {

// Tokens widened at a time by scans over the whole stream.
constexpr int64_t kChunk = 1 << 16;

// ids [0, count) of a piece of `Id`s at `data`, widened to int64 (memcpy: mapped bytes have no
// declared type).
template <typename Id>
void widen(const uint8_t* data, int64_t count, int64_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    Id id;
    std::memcpy(&id, data + size_t(i) * sizeof(Id), sizeof(Id));
    out[i] = int64_t(id);
  }
}

}  // namespace

TokenSource::TokenSource(std::vector<int32_t> tokens) {
  auto buffer = std::make_shared<const std::vector<int32_t>>(std::move(tokens));
  const auto* data = reinterpret_cast<const uint8_t*>(buffer->data());
  const auto size = int64_t(buffer->size());
  append({std::move(buffer), data, Width::kInt32, size});
}

TokenSource TokenSource::from_shards(const std::vector<std::string>& paths) {
  TokenSource source;
  for (const std::string& path : paths) {
    auto shard = std::make_shared<const TokenShard>(path);
    const Width width = shard->version() == 1 ? Width::kUint16 : Width::kUint32;
    const uint8_t* data = shard->token_data();
    const int64_t size = shard->size();
    source.append({std::move(shard), data, width, size});
  }
  return source;
}

void TokenSource::append(Piece piece) {
  if (piece.size == 0) return;
  starts_.push_back(size_);
  size_ += piece.size;
  pieces_.push_back(std::move(piece));
}

size_t TokenSource::piece_of(int64_t index) const {
  return size_t(std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin()) - 1;
}

void TokenSource::read(int64_t begin, int64_t count, int64_t* out) const {
  BYTEGRAD_CHECK(begin >= 0 && count >= 0 && count <= size_ - begin, "TokenSource: tokens [", begin, ", +", count,
                 ") out of range [0, ", size_, ")");
  while (count > 0) {
    const size_t p = piece_of(begin);
    const Piece& piece = pieces_[p];
    const int64_t offset = begin - starts_[p];
    const int64_t n = std::min(count, piece.size - offset);
    switch (piece.width) {
      case Width::kUint16: widen<uint16_t>(piece.data + size_t(offset) * 2, n, out); break;
      case Width::kUint32: widen<uint32_t>(piece.data + size_t(offset) * 4, n, out); break;
      case Width::kInt32: widen<int32_t>(piece.data + size_t(offset) * 4, n, out); break;
    }
    begin += n;
    count -= n;
    out += n;
  }
}

int64_t TokenSource::at(int64_t index) const {
  int64_t id;
  read(index, 1, &id);
  return id;
}

TokenSource TokenSource::slice(int64_t begin, int64_t end) const {
  BYTEGRAD_CHECK(begin >= 0 && begin <= end && end <= size_, "TokenSource: slice [", begin, ", ", end,
                 ") out of range [0, ", size_, "]");
  TokenSource part;
  for (size_t p = 0; p < pieces_.size(); ++p) {
    const Piece& piece = pieces_[p];
    const int64_t first = std::max(begin, starts_[p]), last = std::min(end, starts_[p] + piece.size);
    if (first >= last) continue;
    const size_t id_bytes = piece.width == Width::kUint16 ? 2 : 4;
    part.append({piece.owner, piece.data + size_t(first - starts_[p]) * id_bytes, piece.width, last - first});
  }
  return part;
}

int64_t TokenSource::find(int64_t id, int64_t from) const {
  BYTEGRAD_CHECK(from >= 0 && from <= size_, "TokenSource: find from ", from, " outside [0, ", size_, "]");
  std::vector<int64_t> chunk(size_t(std::min(kChunk, size_ - from)));
  for (int64_t begin = from; begin < size_; begin += kChunk) {
    const int64_t count = std::min(kChunk, size_ - begin);
    read(begin, count, chunk.data());
    const auto hit = std::find(chunk.begin(), chunk.begin() + count, id);
    if (hit != chunk.begin() + count) return begin + (hit - chunk.begin());
  }
  return size_;
}

void TokenSource::for_each_chunk(const std::function<void(std::span<const int64_t>)>& visit) const {
  std::vector<int64_t> chunk(size_t(std::min(kChunk, size_)));
  for (int64_t begin = 0; begin < size_; begin += kChunk) {
    const int64_t count = std::min(kChunk, size_ - begin);
    read(begin, count, chunk.data());
    visit(std::span<const int64_t>(chunk.data(), size_t(count)));
  }
}

}  // namespace bytegrad::train
