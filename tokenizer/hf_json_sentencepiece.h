// Hugging Face tokenizer.json files with a SentencePiece-style model: BPE over characters with
// "▁" for spaces and byte fallback (Llama-2, TinyLlama, Mistral), or Unigram. They are read into
// a SentencePieceProto, so that SentencePieceModel runs them with the same merge and Viterbi code
// as .model files.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/sentencepiece_proto.h"
#include "tokenizer/special_tokens.h"

namespace bytegrad::tokenizer {

// True when the file's model is Unigram, or BPE without a byte-level pre-tokenizer (none at
// all, or Metaspace): the SentencePiece conversions rather than GPT-2-style byte-level BPE.
bool is_sentencepiece_style(const nlohmann::json& root);

// The SentencePiece model a tokenizer.json describes:
//   model        BPE (vocab, merges, unk_token, byte_fallback, fuse_unk) or Unigram (vocab of
//                [piece, score], unk_id, byte_fallback);
//   normalizer   null, Prepend("▁") with Replace(" ", "▁"), Precompiled, Strip(right) with
//                Replace(Regex " {2,}", "▁") (SentencePiece's whitespace clean-up), or a Sequence;
//   pre_tokenizer null or Metaspace("▁", prepend_scheme always/first/never, or add_prefix_space);
//   decoder      Metaspace, or a Sequence of Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0).
// BPE merge priority becomes the score of the piece a merge produces (its first merge ranks
// highest), which gives Hugging Face's pair ranks exactly when the merges list every split of a
// piece into two pieces, as conversions from SentencePiece do; other merge lists are refused.
// `added` are the file's added tokens: special ones become control pieces. Throws
// std::runtime_error naming `source` and the field for anything else.
SentencePieceProto sentencepiece_proto_from_json(const nlohmann::json& root, const std::vector<SpecialToken>& added,
                                                 const std::string& source);

}  // namespace bytegrad::tokenizer
