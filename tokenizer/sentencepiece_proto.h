// The parts of SentencePiece's ModelProto (sentencepiece_model.proto) that encoding and decoding
// need, read with ProtobufReader. Field numbers are those of the upstream .proto file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bytegrad::tokenizer {

struct SentencePieceProto {
  enum class PieceType : std::uint8_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
  enum class ModelType : std::uint8_t { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

  struct Piece {
    std::string text;
    float score = 0;
    PieceType type = PieceType::kNormal;
  };

  std::vector<Piece> pieces;  // index = id
  // trainer_spec
  ModelType model_type = ModelType::kUnigram;
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  // normalizer_spec
  std::string normalizer_name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
  // Not in the .model format: tokenizer.json's Metaspace adds the dummy prefix only when the text
  // does not already start with a space, and with prepend_scheme "first" only at the start of
  // the whole input (not after a special token).
  bool dummy_prefix_unless_space = false;
  bool dummy_prefix_only_at_text_start = false;
};

// Parses a serialized ModelProto; `source` names the file in errors.
SentencePieceProto parse_sentencepiece_proto(std::string_view bytes, const std::string& source);

}  // namespace bytegrad::tokenizer
