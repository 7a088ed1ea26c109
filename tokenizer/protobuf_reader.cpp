#include "tokenizer/protobuf_reader.h"

#include <bit>
#include <cstring>
#include <stdexcept>

namespace bytegrad::tokenizer {

float ProtobufReader::Field::as_float() const {
  return std::bit_cast<float>(static_cast<std::uint32_t>(varint));
}

ProtobufReader::ProtobufReader(std::string_view message, std::string where)
    : data_(message), where_(std::move(where)) {}

void ProtobufReader::fail(const std::string& what) const {
  throw std::runtime_error(where_ + ": malformed protobuf at byte " + std::to_string(pos_) + ": " + what);
}

std::uint64_t ProtobufReader::read_varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) fail("truncated varint");
    const auto byte = static_cast<unsigned char>(data_[pos_++]);
    value |= std::uint64_t(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return value;
  }
  fail("varint longer than 10 bytes");
}

bool ProtobufReader::next(Field& field) {
  if (pos_ >= data_.size()) return false;
  const std::uint64_t key = read_varint();
  field.number = static_cast<std::uint32_t>(key >> 3);
  field.type = static_cast<WireType>(key & 7);
  field.bytes = {};
  field.varint = 0;
  const auto fixed = [&](std::size_t width) {
    if (data_.size() - pos_ < width) fail("truncated fixed-width field " + std::to_string(field.number));
    std::uint64_t v = 0;
    std::memcpy(&v, data_.data() + pos_, width);  // little-endian on every platform we build for
    pos_ += width;
    return v;
  };
  switch (field.type) {
    case WireType::kVarint:
      field.varint = read_varint();
      return true;
    case WireType::kFixed64:
      field.varint = fixed(8);
      return true;
    case WireType::kFixed32:
      field.varint = fixed(4);
      return true;
    case WireType::kBytes: {
      const std::uint64_t length = read_varint();
      if (length > data_.size() - pos_)
        fail("field " + std::to_string(field.number) + " claims " + std::to_string(length) +
             " bytes but " + std::to_string(data_.size() - pos_) + " remain");
      field.bytes = data_.substr(pos_, length);
      pos_ += length;
      return true;
    }
  }
  fail("unsupported wire type " + std::to_string(key & 7) + " for field " + std::to_string(field.number));
}

}  // namespace bytegrad::tokenizer
