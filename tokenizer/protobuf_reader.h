// A minimal reader of the protobuf wire format: enough to walk the fields of a message without
// generated code (varints, 32/64-bit fixed values, length-delimited bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bytegrad::tokenizer {

class ProtobufReader {
 public:
  enum class WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

  struct Field {
    std::uint32_t number;
    WireType type;
    std::uint64_t varint = 0;  // kVarint, kFixed64 and kFixed32 values
    std::string_view bytes;    // kBytes payload (strings, nested messages, packed arrays)

    float as_float() const;  // a kFixed32 field holding an IEEE float
  };

  // `where` names the message in errors ("model.proto: trainer_spec").
  ProtobufReader(std::string_view message, std::string where);

  // Reads the next field into `field`; false at the end of the message. Throws
  // std::runtime_error on truncated or malformed input, naming `where` and the byte offset.
  bool next(Field& field);

 private:
  std::uint64_t read_varint();
  [[noreturn]] void fail(const std::string& what) const;

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string where_;
};

}  // namespace bytegrad::tokenizer
