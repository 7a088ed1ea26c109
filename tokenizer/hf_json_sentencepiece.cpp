#include "tokenizer/hf_json_sentencepiece.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <unordered_map>

#include "tokenizer/base64.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/sentencepiece_normalizer.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

using nlohmann::json;
using PieceType = SentencePieceProto::PieceType;

std::string type_of(const json& component) { return component.value("type", ""); }

// A component and its steps: a Sequence's list under `list_key`, or the component alone.
std::vector<json> steps_of(const json& component, const char* list_key) {
  if (component.is_null()) return {};
  if (type_of(component) == "Sequence") return component.at(list_key).get<std::vector<json>>();
  return {component};
}

// Replace(pattern {"String": from}, content to).
bool is_replace(const json& step, std::string_view from, std::string_view to) {
  return type_of(step) == "Replace" && step.at("pattern").value("String", "") == from &&
         step.value("content", "") == to;
}

// Prepend("▁"), Replace(" ", "▁"), Precompiled rules, and SentencePiece's whitespace clean-up as
// SpmConverter writes it (Strip right, then Replace(Regex " {2,}", "▁")), in any order.
void read_normalizer(const json& normalizer, SentencePieceProto& proto, const JsonContext& ctx) {
  bool prepends = false;
  bool escapes = false;
  bool strips_right = false;
  bool collapses_spaces = false;
  for (const json& step : steps_of(normalizer, "normalizers")) {
    const std::string type = type_of(step);
    if (type == "Prepend" && step.value("prepend", "") == kSentencePieceSpace) {
      prepends = true;
    } else if (is_replace(step, " ", kSentencePieceSpace)) {
      escapes = true;
    } else if (type == "Strip" && !json_flag(step, "strip_left", true) && json_flag(step, "strip_right", false)) {
      strips_right = true;
    } else if (type == "Replace" && step.at("pattern").value("Regex", "") == " {2,}" &&
               step.value("content", "") == kSentencePieceSpace) {
      collapses_spaces = true;
    } else if (type == "Precompiled") {
      const std::optional<std::string> blob = decode_base64(step.value("precompiled_charsmap", ""));
      if (!blob) ctx.fail("normalizer.precompiled_charsmap", "is not valid base64");
      proto.precompiled_charsmap = *blob;
    } else {
      ctx.fail("normalizer", "'" + type + "' " + step.dump().substr(0, 80) +
                                 " is not supported (expected Prepend(\"▁\"), Replace(\" \", \"▁\") or Precompiled)");
    }
  }
  if (prepends && !escapes) ctx.fail("normalizer", "Prepend(\"▁\") without Replace(\" \", \"▁\") is not supported");
  if (strips_right != collapses_spaces)
    ctx.fail("normalizer", "Strip(right) and Replace(Regex \" {2,}\", \"▁\") are supported only together");
  proto.remove_extra_whitespaces = collapses_spaces;
  proto.add_dummy_prefix = prepends;
  proto.escape_whitespaces = escapes;
}

// Metaspace: "▁" for spaces and a dummy prefix unless the text already starts with a space
// (prepend_scheme always), only at the start of the input (first), or never.
void read_pretokenizer(const json& pre, SentencePieceProto& proto, const JsonContext& ctx) {
  if (pre.is_null()) return;
  const std::string type = type_of(pre);
  if (type != "Metaspace") ctx.fail("pre_tokenizer", "'" + type + "' is not supported with a SentencePiece-style model (expected Metaspace or null)");
  if (proto.escape_whitespaces) ctx.fail("pre_tokenizer", "Metaspace after a normalizer that already replaces spaces");
  if (pre.value("replacement", std::string(kSentencePieceSpace)) != kSentencePieceSpace)
    ctx.fail("pre_tokenizer.replacement", "only \"▁\" is supported");
  std::string scheme = json_flag(pre, "add_prefix_space", true) ? "always" : "never";
  if (pre.contains("prepend_scheme") && !pre["prepend_scheme"].is_null()) scheme = pre["prepend_scheme"].get<std::string>();
  if (scheme != "always" && scheme != "first" && scheme != "never")
    ctx.fail("pre_tokenizer.prepend_scheme", "'" + scheme + "' is not one of always, first, never");
  proto.escape_whitespaces = true;
  proto.add_dummy_prefix = scheme != "never";
  proto.dummy_prefix_unless_space = true;
  proto.dummy_prefix_only_at_text_start = scheme == "first";
}

// Metaspace, or Replace("▁", " ") / ByteFallback / Fuse / Strip(" ", 1, 0): what SentencePiece's
// own decoding does. Returns whether the decoder drops the leading space of the text.
bool read_decoder(const json& decoder, bool byte_fallback, const JsonContext& ctx) {
  bool strips = false;
  bool decodes_bytes = false;
  for (const json& step : steps_of(decoder, "decoders")) {
    const std::string type = type_of(step);
    if (type == "ByteFallback") decodes_bytes = true;
    if (type == "Metaspace") {
      strips = step.value("prepend_scheme", json_flag(step, "add_prefix_space", true) ? "always" : "never") != "never";
    } else if (type == "Strip" && step.value("content", "") == " " && step.value("start", 0) == 1 &&
               step.value("stop", 0) == 0) {
      strips = true;
    } else if (!(type == "ByteFallback" || type == "Fuse" || is_replace(step, kSentencePieceSpace, " "))) {
      ctx.fail("decoder", "'" + type + "' " + step.dump().substr(0, 80) + " is not supported");
    }
  }
  if (byte_fallback && !decodes_bytes)
    ctx.fail("decoder", "lacks ByteFallback: this model has byte pieces (<0xNN>), which would decode as "
                        "their spelling; add a ByteFallback decoder");
  return strips;
}

// Pieces shared by BPE and Unigram: byte pieces, the unknown piece and added tokens get their types.
void type_pieces(SentencePieceProto& proto, const std::vector<SpecialToken>& added, const JsonContext& ctx) {
  for (auto& p : proto.pieces) {
    unsigned value = 0;
    char tail = 0;
    if (proto.byte_fallback && p.text.size() == 6 && std::sscanf(p.text.c_str(), "<0x%2X%c", &value, &tail) == 2 &&
        tail == '>')
      p.type = PieceType::kByte;
  }
  for (const SpecialToken& t : added) {
    if (t.id < 0 || std::size_t(t.id) >= proto.pieces.size()) continue;
    auto& p = proto.pieces[t.id];
    if (p.text != t.text) ctx.fail("added_tokens", "'" + t.text + "' has id " + std::to_string(t.id) + ", which model.vocab gives to '" + p.text + "'");
    p.type = t.special ? PieceType::kControl : PieceType::kUserDefined;
  }
  if (proto.unk_id < 0 || std::size_t(proto.unk_id) >= proto.pieces.size())
    ctx.fail("model.unk", "an unknown token is required");
  proto.pieces[proto.unk_id].type = PieceType::kUnknown;
}

void read_bpe(const json& model, SentencePieceProto& proto, const JsonContext& ctx) {
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (model.contains(key) && !model[key].is_null() && !model[key].get<std::string>().empty())
      ctx.fail(std::string("model.") + key, "must be empty for a SentencePiece-style BPE");
  if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"].get<double>() != 0)
    ctx.fail("model.dropout", "is not supported");
  if (json_flag(model, "ignore_merges", false)) ctx.fail("model.ignore_merges", "true is not supported");
  proto.model_type = SentencePieceProto::ModelType::kBpe;
  proto.byte_fallback = json_flag(model, "byte_fallback", false);
  if (!proto.byte_fallback && !json_flag(model, "fuse_unk", false))
    ctx.fail("model.fuse_unk", "false is not supported without byte_fallback (SentencePiece fuses unknown runs)");
  std::unordered_map<std::string, TokenId> ids;
  const json& vocab = model.at("vocab");
  proto.pieces.resize(vocab.size());
  for (const auto& [text, id_json] : vocab.items()) {
    const TokenId id = json_token_id(id_json, ctx, "model.vocab['" + text + "']");
    if (id < 0 || std::size_t(id) >= vocab.size() || !proto.pieces[id].text.empty() || text.empty())
      ctx.fail("model.vocab", "'" + text + "' has id " + std::to_string(id) + "; ids must be 0 to " +
                                  std::to_string(vocab.size() - 1) + ", each used once");
    proto.pieces[id].text = text;
    ids.emplace(text, id);
  }
  const json& unk = model.value("unk_token", json());
  if (unk.is_null()) ctx.fail("model.unk_token", "null is not supported (SentencePiece needs an unknown piece)");
  const auto unk_it = ids.find(unk.get<std::string>());
  if (unk_it == ids.end()) ctx.fail("model.unk_token", "'" + unk.get<std::string>() + "' is not in model.vocab");
  proto.unk_id = unk_it->second;

  // A piece's score is minus the rank of the first merge that makes it.
  const json& merges = model.at("merges");
  std::set<std::pair<std::string, std::string>> listed;
  for (auto& p : proto.pieces) p.score = -float(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const json& m = merges[rank];
    std::string left, right;
    if (m.is_array() && m.size() == 2) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      const std::string line = m.get<std::string>();
      const std::size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
        ctx.fail("model.merges[" + std::to_string(rank) + "]", "expected \"left right\" or [left, right]");
      left = line.substr(0, space);
      right = line.substr(space + 1);
    }
    const auto it = ids.find(left + right);
    if (it == ids.end() || !ids.contains(left) || !ids.contains(right))
      ctx.fail("model.merges[" + std::to_string(rank) + "]", "'" + left + "' + '" + right + "' needs both halves and the result in model.vocab");
    float& score = proto.pieces[it->second].score;
    score = std::max(score, -float(rank));
    listed.emplace(std::move(left), std::move(right));
  }
  // SentencePiece merges any two adjacent pieces that form a piece; so must the merge list.
  for (const auto& p : proto.pieces) {
    for (std::size_t split = decode_utf8(p.text, 0).length; split < p.text.size();
         split += decode_utf8(p.text, split).length) {
      std::string left = p.text.substr(0, split), right = p.text.substr(split);
      if (ids.contains(left) && ids.contains(right) && !listed.contains({left, right}))
        ctx.fail("model.merges", "lacks '" + left + " " + right + "' although both halves and '" + p.text +
                                     "' are in model.vocab (only merge lists converted from SentencePiece are supported)");
    }
  }
}

void read_unigram(const json& model, SentencePieceProto& proto, const JsonContext& ctx) {
  proto.model_type = SentencePieceProto::ModelType::kUnigram;
  proto.byte_fallback = json_flag(model, "byte_fallback", false);
  for (const json& entry : model.at("vocab")) {
    if (!entry.is_array() || entry.size() != 2) ctx.fail("model.vocab", "expected [piece, score] entries");
    // A score beyond float's range would convert with undefined behaviour.
    const json& score = entry[1];
    if (!score.is_number() || !(std::abs(score.get<double>()) <= std::numeric_limits<float>::max()))
      ctx.fail("model.vocab", "piece scores must be finite float32 numbers, got " + score.dump());
    proto.pieces.push_back({entry[0].get<std::string>(), float(score.get<double>())});
  }
  const json& unk = model.value("unk_id", json());
  if (unk.is_null()) ctx.fail("model.unk_id", "null is not supported (SentencePiece needs an unknown piece)");
  proto.unk_id = json_token_id(unk, ctx, "model.unk_id");
}

// Whether any piece has "▁" after its first character (such pieces could cross Metaspace's splits).
bool has_inner_space(const SentencePieceProto& proto) {
  for (const auto& p : proto.pieces)
    if (p.type == PieceType::kNormal && p.text.find(kSentencePieceSpace, 1) != std::string::npos) return true;
  return false;
}

}  // namespace

bool is_sentencepiece_style(const json& root) {
  const json& model = root.at("model");
  if (model.value("type", "BPE") == "Unigram") return true;
  const auto pre = root.find("pre_tokenizer");
  return pre == root.end() || pre->is_null() || type_of(*pre) == "Metaspace";
}

SentencePieceProto sentencepiece_proto_from_json(const json& root, const std::vector<SpecialToken>& added,
                                                 const std::string& source) {
  const JsonContext ctx{source};
  SentencePieceProto proto;
  proto.bos_id = proto.eos_id = proto.pad_id = -1;
  const json& model = root.at("model");
  const std::string type = model.value("type", "BPE");
  if (type == "BPE") read_bpe(model, proto, ctx);
  else if (type == "Unigram") read_unigram(model, proto, ctx);
  else ctx.fail("model.type", "'" + type + "' is not supported (expected BPE or Unigram)");
  type_pieces(proto, added, ctx);

  read_normalizer(root.value("normalizer", json()), proto, ctx);
  const json pre = root.value("pre_tokenizer", json());
  read_pretokenizer(pre, proto, ctx);
  if (!pre.is_null() && json_flag(pre, "split", true) && has_inner_space(proto))
    ctx.fail("pre_tokenizer.split", "true is not supported for a vocabulary with pieces that hold \"▁\" after their start");
  if (!proto.escape_whitespaces)
    ctx.fail("normalizer", "spaces must become \"▁\" (Replace(\" \", \"▁\") or a Metaspace pre_tokenizer)");
  if (read_decoder(root.value("decoder", json()), proto.byte_fallback, ctx) != proto.add_dummy_prefix)
    ctx.fail("decoder", proto.add_dummy_prefix ? "must strip the leading space the normalizer prepends"
                                               : "strips a leading space that nothing prepends");
  return proto;
}

}  // namespace bytegrad::tokenizer
