// Hugging Face tokenizer.json files: byte-level BPE (GPT-2, Llama-3, Qwen2, and the files our
// trainer writes) or SentencePiece-style BPE and Unigram (Llama-2, TinyLlama, Mistral, T5).
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "tokenizer/byte_level_vocab.h"
#include "tokenizer/file_text.h"
#include "tokenizer/hf_json_sentencepiece.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/load.h"
#include "tokenizer/sentencepiece_model.h"

namespace bytegrad::tokenizer {
namespace {

using nlohmann::json;

// The pre-tokenizer pattern: ByteLevel alone (GPT-2's regex inside it), or a Split by a known
// regex followed by a ByteLevel that does no splitting of its own.
PretokenizerPattern read_pretokenizer(const json& pre, const JsonContext& ctx) {
  const auto check_byte_level = [&](const json& byte_level, const std::string& field) {
    if (json_flag(byte_level, "add_prefix_space", false))
      ctx.fail(field + ".add_prefix_space", "true is not supported (expected false)");
  };
  const std::string type = pre.value("type", "");
  if (type == "ByteLevel") {
    check_byte_level(pre, "pre_tokenizer");
    if (!json_flag(pre, "use_regex", true)) ctx.fail("pre_tokenizer.use_regex", "false needs a Split before it");
    return PretokenizerPattern::kGpt2;
  }
  if (type != "Sequence")
    ctx.fail("pre_tokenizer.type", "'" + type + "' is not supported (expected ByteLevel or Sequence)");
  const json& steps = pre.at("pretokenizers");
  if (steps.size() != 2 || steps[0].value("type", "") != "Split" || steps[1].value("type", "") != "ByteLevel")
    ctx.fail("pre_tokenizer.pretokenizers", "expected [Split, ByteLevel]");
  const json& split = steps[0];
  if (split.value("behavior", "") != "Isolated" || json_flag(split, "invert", false))
    ctx.fail("pre_tokenizer.pretokenizers[0]", "expected behavior Isolated without invert");
  const std::string regex = split.at("pattern").value("Regex", "");
  const std::optional<PretokenizerPattern> pattern = pattern_from_regex(regex);
  if (!pattern)
    ctx.fail("pre_tokenizer.pretokenizers[0].pattern.Regex",
             "'" + regex + "' is not a supported pattern (expected the GPT-2, cl100k/Llama-3 or o200k regex)");
  check_byte_level(steps[1], "pre_tokenizer.pretokenizers[1]");
  if (json_flag(steps[1], "use_regex", true))
    ctx.fail("pre_tokenizer.pretokenizers[1].use_regex", "true would split twice (expected false)");
  return *pattern;
}

ByteLevelBpe::MergeList read_merges(const json& merges, const JsonContext& ctx) {
  ByteLevelBpe::MergeList list;
  list.reserve(merges.size());
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const std::string where = ctx.source + ": model.merges[" + std::to_string(i) + "]";
    const json& m = merges[i];
    if (m.is_string()) list.push_back(parse_merge_line(m.get<std::string>(), where));
    else if (m.is_array() && m.size() == 2) list.push_back(parse_merge(m[0].get<std::string>(), m[1].get<std::string>(), where));
    else ctx.fail("model.merges[" + std::to_string(i) + "]", "expected \"left right\" or [left, right]");
  }
  return list;
}

std::vector<SpecialToken> read_added_tokens(const json& root, const JsonContext& ctx) {
  std::vector<SpecialToken> tokens;
  const auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return tokens;
  if (!it->is_array()) ctx.fail("added_tokens", std::string("expected an array, got ") + it->type_name());
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    const std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
      ctx.fail(field + ".content", "expected a string");
    const TokenId id = json_token_id(t.contains("id") ? t["id"] : json(), ctx, field + ".id");
    tokens.push_back({t["content"].get<std::string>(), id, json_flag(t, "special", true),
                      json_flag(t, "lstrip", false), json_flag(t, "rstrip", false)});
  }
  return tokens;
}

// The ids TemplateProcessing puts before and after a single sequence ("$A").
SpecialTokenTemplate read_template(const json& post, const JsonContext& ctx) {
  SpecialTokenTemplate wrap;
  if (post.is_null()) return wrap;
  const std::string type = post.value("type", "");
  if (type == "Sequence") {
    for (const json& step : post.at("processors")) {
      SpecialTokenTemplate inner = read_template(step, ctx);
      if (!inner.prefix.empty() || !inner.suffix.empty()) return inner;
    }
    return wrap;
  }
  if (type != "TemplateProcessing") return wrap;  // ByteLevel post-processing changes no ids
  bool after_sequence = false;
  for (const json& item : post.at("single")) {
    if (item.contains("Sequence")) {
      after_sequence = true;
      continue;
    }
    const std::string name = item.at("SpecialToken").at("id").get<std::string>();
    const json& special_tokens = post.at("special_tokens");
    const auto entry = special_tokens.find(name);
    if (entry == special_tokens.end())
      ctx.fail("post_processor.special_tokens", "lacks '" + name + "' used by 'single'");
    for (const json& id : entry->at("ids"))
      (after_sequence ? wrap.suffix : wrap.prefix)
          .push_back(json_token_id(id, ctx, "post_processor.special_tokens['" + name + "'].ids"));
  }
  return wrap;
}

// BOS/EOS as tokenizer_config.json names them ("bos_token": "<s>" or {"content": "<s>"}).
std::optional<TokenId> config_token(const json& config, const char* key, const std::vector<SpecialToken>& added,
                                    const JsonContext& ctx) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  const bool content = it->is_object() && it->contains("content") && (*it)["content"].is_string();
  if (!it->is_string() && !content)
    ctx.fail(key, "expected a string or an object with a string \"content\", got " + it->dump());
  const std::string text = it->is_string() ? it->get<std::string>() : (*it)["content"].get<std::string>();
  for (const SpecialToken& t : added)
    if (t.text == text) return t.id;
  return std::nullopt;
}

// The byte-level BPE model: vocabulary and merges spelled in GPT-2's byte alphabet.
std::shared_ptr<const TokenModel> read_byte_level_bpe(const json& root, const JsonContext& ctx) {
  const json& model = root.at("model");
  const std::string model_type = model.value("type", "BPE");
  if (model_type != "BPE") ctx.fail("model.type", "'" + model_type + "' is not supported (expected BPE or Unigram)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (model.contains(key) && !model[key].is_null() && !model[key].get<std::string>().empty())
      ctx.fail(std::string("model.") + key, "must be empty for a byte-level BPE");
  const PretokenizerPattern pattern = read_pretokenizer(root.at("pre_tokenizer"), ctx);
  ByteLevelBpe::Vocabulary bytes_by_id = byte_level_vocabulary(model.at("vocab"), ctx.source + ": model.vocab");
  const ByteLevelBpe::MergeList merges = read_merges(model.at("merges"), ctx);
  return std::make_shared<ByteLevelBpe>(ByteLevelBpe::from_merges(
      std::move(bytes_by_id), merges, pattern, json_flag(model, "ignore_merges", false), ctx.source));
}

}  // namespace

Tokenizer load_hf_tokenizer_json(const std::filesystem::path& path) {
  const JsonContext ctx{path.string()};
  const json root = parse_bounded_json(read_file_bytes(path), ctx);
  if (!root.is_object()) ctx.fail("JSON", std::string("expected an object, got ") + root.type_name());
  try {
    std::vector<SpecialToken> added = read_added_tokens(root, ctx);
    const auto post_processor = root.find("post_processor");
    SpecialTokenTemplate wrap =
        post_processor == root.end() ? SpecialTokenTemplate() : read_template(*post_processor, ctx);
    std::shared_ptr<const TokenModel> token_model;
    if (is_sentencepiece_style(root))
      token_model = std::make_shared<SentencePieceModel>(sentencepiece_proto_from_json(root, added, ctx.source), ctx.source);
    else
      token_model = read_byte_level_bpe(root, ctx);

    // Checked here, with the file to name, rather than failing at the first encode.
    std::size_t vocab_size = token_model->vocab_size();  // as Tokenizer::vocab_size counts
    for (const SpecialToken& t : added) vocab_size = std::max(vocab_size, std::size_t(t.id) + 1);
    for (const std::vector<TokenId>* ids : {&wrap.prefix, &wrap.suffix})
      for (TokenId id : *ids)
        if (id < 0 || std::size_t(id) >= vocab_size)
          ctx.fail("post_processor.special_tokens",
                   "id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab_size));
    std::optional<TokenId> bos = wrap.prefix.empty() ? std::nullopt : std::optional<TokenId>(wrap.prefix.front());
    std::optional<TokenId> eos = wrap.suffix.empty() ? std::nullopt : std::optional<TokenId>(wrap.suffix.back());
    std::optional<TokenId> pad;
    const std::filesystem::path config_path = path.parent_path() / "tokenizer_config.json";
    if (std::filesystem::exists(config_path)) {
      const JsonContext config_ctx{config_path.string()};
      const json config = parse_bounded_json(read_file_bytes(config_path), config_ctx);
      if (!config.is_object()) config_ctx.fail("JSON", std::string("expected an object, got ") + config.type_name());
      if (auto id = config_token(config, "bos_token", added, config_ctx)) bos = id;
      if (auto id = config_token(config, "eos_token", added, config_ctx)) eos = id;
      if (auto id = config_token(config, "pad_token", added, config_ctx)) pad = id;
    }
    return Tokenizer(std::move(token_model), std::move(added), std::move(wrap), bos, eos, pad);
  } catch (const json::exception& e) {
    fail_with_json_error(ctx, e, "structure");
  }
}

}  // namespace bytegrad::tokenizer
