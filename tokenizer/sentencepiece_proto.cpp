#include "tokenizer/sentencepiece_proto.h"

#include <stdexcept>

#include "tokenizer/protobuf_reader.h"

namespace bytegrad::tokenizer {
namespace {

using Field = ProtobufReader::Field;
using WireType = ProtobufReader::WireType;

void expect(const Field& f, WireType type, const std::string& where) {
  if (f.type != type)
    throw std::runtime_error(where + ": field " + std::to_string(f.number) + " has wire type " +
                             std::to_string(int(f.type)) + ", expected " + std::to_string(int(type)));
}

// message SentencePiece { string piece = 1; float score = 2; Type type = 3; }
SentencePieceProto::Piece parse_piece(std::string_view bytes, const std::string& where) {
  SentencePieceProto::Piece piece;
  ProtobufReader reader(bytes, where);
  for (Field f; reader.next(f);) {
    if (f.number == 1) expect(f, WireType::kBytes, where), piece.text = std::string(f.bytes);
    else if (f.number == 2) expect(f, WireType::kFixed32, where), piece.score = f.as_float();
    else if (f.number == 3) {
      expect(f, WireType::kVarint, where);
      if (f.varint < 1 || f.varint > 6) throw std::runtime_error(where + ": unknown piece type " + std::to_string(f.varint));
      piece.type = SentencePieceProto::PieceType(f.varint);
    }
  }
  return piece;
}

int as_int(const Field& f) { return static_cast<int>(static_cast<std::int32_t>(f.varint)); }

// message TrainerSpec: model_type = 3, treat_whitespace_as_suffix = 24, byte_fallback = 35,
// unk_id = 40, bos_id = 41, eos_id = 42, pad_id = 43.
void parse_trainer_spec(std::string_view bytes, SentencePieceProto& proto, const std::string& where) {
  ProtobufReader reader(bytes, where);
  for (Field f; reader.next(f);) {
    if (f.type != WireType::kVarint) continue;
    switch (f.number) {
      case 3:
        if (f.varint < 1 || f.varint > 4) throw std::runtime_error(where + ": unknown model_type " + std::to_string(f.varint));
        proto.model_type = SentencePieceProto::ModelType(f.varint);
        break;
      case 24: proto.treat_whitespace_as_suffix = f.varint != 0; break;
      case 35: proto.byte_fallback = f.varint != 0; break;
      case 40: proto.unk_id = as_int(f); break;
      case 41: proto.bos_id = as_int(f); break;
      case 42: proto.eos_id = as_int(f); break;
      case 43: proto.pad_id = as_int(f); break;
      default: break;
    }
  }
}

// message NormalizerSpec: name = 1, precompiled_charsmap = 2, add_dummy_prefix = 3,
// remove_extra_whitespaces = 4, escape_whitespaces = 5.
void parse_normalizer_spec(std::string_view bytes, SentencePieceProto& proto, const std::string& where) {
  ProtobufReader reader(bytes, where);
  for (Field f; reader.next(f);) {
    switch (f.number) {
      case 1: expect(f, WireType::kBytes, where), proto.normalizer_name = std::string(f.bytes); break;
      case 2: expect(f, WireType::kBytes, where), proto.precompiled_charsmap = std::string(f.bytes); break;
      case 3: expect(f, WireType::kVarint, where), proto.add_dummy_prefix = f.varint != 0; break;
      case 4: expect(f, WireType::kVarint, where), proto.remove_extra_whitespaces = f.varint != 0; break;
      case 5: expect(f, WireType::kVarint, where), proto.escape_whitespaces = f.varint != 0; break;
      default: break;
    }
  }
}

}  // namespace

// message ModelProto { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2;
//                      NormalizerSpec normalizer_spec = 3; ... }
SentencePieceProto parse_sentencepiece_proto(std::string_view bytes, const std::string& source) {
  SentencePieceProto proto;
  ProtobufReader reader(bytes, source);
  for (Field f; reader.next(f);) {
    if (f.number == 1) {
      expect(f, WireType::kBytes, source);
      proto.pieces.push_back(parse_piece(f.bytes, source + ": pieces[" + std::to_string(proto.pieces.size()) + "]"));
    } else if (f.number == 2) {
      expect(f, WireType::kBytes, source);
      parse_trainer_spec(f.bytes, proto, source + ": trainer_spec");
    } else if (f.number == 3) {
      expect(f, WireType::kBytes, source);
      parse_normalizer_spec(f.bytes, proto, source + ": normalizer_spec");
    }
  }
  if (proto.pieces.empty()) throw std::runtime_error(source + ": no pieces (is this a SentencePiece .model file?)");
  return proto;
}

}  // namespace bytegrad::tokenizer
