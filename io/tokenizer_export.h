// Writing a loaded tokenizer back out as Hugging Face files, so that a model directory we save
// carries the tokenizer it was trained with.
//
// A byte-level BPE keeps only its vocabulary and merge priorities, not the merge list a
// tokenizer.json spells out. For vocabularies learned by BPE, where a token's id is its merge
// rank (ours, GPT-2's), the list is recovered as tiktoken's converters do: the merge that made
// token t is the pair that byte-level BPE leaves when it encodes t's bytes with only the tokens
// below t. The file then goes through the BPE trainer's writer (tokenizer/bpe_trainer.h).
#pragma once

#include <filesystem>

#include "tokenizer/tokenizer.h"

namespace bytegrad::io {

// Writes `directory`/tokenizer.json and `directory`/tokenizer_config.json (the BOS/EOS/PAD
// tokens; EOS falls back to "<|endoftext|>" when the tokenizer names none, as GPT-2's does).
// Throws Error naming the directory for a tokenizer that is not a byte-level BPE (copy its
// tokenizer.model instead, see copy_tokenizer_files), whose special tokens do not follow the
// vocabulary, or whose vocabulary no merge list reproduces.
void save_tokenizer_json(const tokenizer::Tokenizer& tokenizer, const std::filesystem::path& directory);

// Copies the tokenizer files a model directory may hold (tokenizer.json, tokenizer.model,
// tokenizer_config.json, special_tokens_map.json) from `from` to `to`; returns how many.
int copy_tokenizer_files(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace bytegrad::io
