// SentencePiece .model files.
#include "tokenizer/file_text.h"
#include "tokenizer/load.h"
#include "tokenizer/sentencepiece_model.h"

namespace bytegrad::tokenizer {

Tokenizer load_sentencepiece(const std::filesystem::path& path) {
  const std::string source = path.string();
  SentencePieceProto proto = parse_sentencepiece_proto(read_file_bytes(path), source);
  const auto id_if_valid = [&](int id) -> std::optional<TokenId> {
    if (id < 0 || std::size_t(id) >= proto.pieces.size()) return std::nullopt;
    return id;
  };
  const std::optional<TokenId> bos = id_if_valid(proto.bos_id);
  const std::optional<TokenId> eos = id_if_valid(proto.eos_id);
  const std::optional<TokenId> pad = id_if_valid(proto.pad_id);
  // Control pieces never come out of segmentation; they are the tokenizer's special tokens.
  std::vector<SpecialToken> specials;
  for (std::size_t id = 0; id < proto.pieces.size(); ++id)
    if (proto.pieces[id].type == SentencePieceProto::PieceType::kControl)
      specials.push_back({proto.pieces[id].text, TokenId(id)});
  SpecialTokenTemplate wrap;
  if (bos) wrap.prefix.push_back(*bos);
  auto model = std::make_shared<SentencePieceModel>(std::move(proto), source);
  return Tokenizer(std::move(model), std::move(specials), std::move(wrap), bos, eos, pad);
}

}  // namespace bytegrad::tokenizer
