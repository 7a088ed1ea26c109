// Helpers for comparing our tokenizers with real reference implementations: where the reference
// vocabularies live, a varied test corpus, and running the JavaScript and SentencePiece
// references on it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tokenizer/token_id.h"

// Prints id lists in failure messages.
template <>
struct doctest::StringMaker<std::vector<bytegrad::tokenizer::TokenId>> {
  static doctest::String convert(const std::vector<bytegrad::tokenizer::TokenId>& ids) {
    std::string text = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) text += (i ? ", " : "") + std::to_string(ids[i]);
    return (text + "]").c_str();
  }
};

namespace bytegrad::tokenizer::testing {

// tests/tokenizer/node_modules (installed by tools/setup.sh).
std::filesystem::path reference_packages();

// A file the reference packages provide; fails the test with a message saying how to install
// them when it is missing.
std::filesystem::path reference_file(const std::string& relative);

// A scratch directory under the build tree for inputs and outputs of reference runs.
std::filesystem::path scratch_dir();

// The hand-written corpus (tests/tokenizer/data/corpus.json) plus deterministic variations of
// it: concatenations, random slices and random strings over many Unicode blocks. All valid UTF-8.
std::vector<std::string> reference_corpus();

// Ids from tests/tokenizer/reference/encode.mjs for each text (see its header for the names).
std::vector<std::vector<TokenId>> javascript_reference_ids(const std::string& reference,
                                                           const std::vector<std::string>& texts);

// Ids from `spm_encode --output_format=id` for each line (lines must not contain newlines).
std::vector<std::vector<TokenId>> spm_encode_ids(const std::filesystem::path& model,
                                                 const std::vector<std::string>& lines);

// Runs a shell command and fails the test (with the command) when it exits non-zero.
void run_command(const std::string& command);

}  // namespace bytegrad::tokenizer::testing
