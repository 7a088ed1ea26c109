// SentencePiece-style tokenizer.json files (Llama-2's conversion: Prepend/Replace normaliser, BPE
// with byte fallback) against the .model loader and tokenizers.js. No npm package at hand ships
// Llama-2's tokenizer.json, so the test converts the real Llama-2 tokenizer.model as Hugging
// Face's LlamaConverter does (vocabulary, every split of a piece as a merge, ranked by score).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

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

// Llama-2's tokenizer.json as transformers' LlamaConverter writes it (legacy normaliser).
std::filesystem::path llama2_tokenizer_json() {
  const std::filesystem::path path = scratch_dir() / "llama2-json" / "tokenizer.json";
  if (std::filesystem::exists(path)) return path;
  const SentencePieceProto proto = parse_sentencepiece_proto(read_file_bytes(llama2_model()), "llama2.model");
  std::map<std::string, int> ids;
  json vocab = json::object();
  for (std::size_t id = 0; id < proto.pieces.size(); ++id) {
    ids.emplace(proto.pieces[id].text, int(id));
    vocab[proto.pieces[id].text] = id;
  }
  json added = json::array();
  for (int id : {0, 1, 2})
    added.push_back({{"id", id}, {"content", proto.pieces[id].text}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  const json root = {
      {"version", "1.0"},
      {"added_tokens", added},
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
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << root.dump();
  return path;
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

TEST_CASE("Llama-2 tokenizer.json encodes the corpus as tokenizers.js does") {
  const std::filesystem::path path = llama2_tokenizer_json();
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

}  // namespace
}  // namespace bytegrad::tokenizer
