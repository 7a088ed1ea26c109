// Loading tokenizers from the files the ecosystem ships. Every loader throws std::runtime_error
// naming the file and what was wrong with it.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace bytegrad::tokenizer {

// Picks the loader by what `path` is: a tokenizer.json, a SentencePiece .model, a tiktoken rank
// file (needs `tiktoken_pattern`), GPT-2's encoder.json (with vocab.bpe beside it), or a directory
// holding one of these (a SentencePiece tokenizer.model first, then tokenizer.json, a tiktoken
// tokenizer.model, encoder.json + vocab.bpe, and last a single *.tiktoken or *.model file).
Tokenizer load_tokenizer(const std::filesystem::path& path,
                         std::optional<PretokenizerPattern> tiktoken_pattern = std::nullopt);

// A Hugging Face tokenizer.json: a byte-level BPE model (ByteLevel pre-tokenizer with GPT-2's
// pattern, or Split with a known regex followed by ByteLevel), or a SentencePiece-style BPE or
// Unigram model (see hf_json_sentencepiece.h); added tokens, and the BOS/EOS of a
// TemplateProcessing post-processor.
Tokenizer load_hf_tokenizer_json(const std::filesystem::path& path);

// A tiktoken rank file: one "base64(token bytes) rank" per line. tiktoken files carry no special
// tokens; pass them in `special_tokens`.
Tokenizer load_tiktoken(const std::filesystem::path& path, PretokenizerPattern pattern,
                        std::vector<SpecialToken> special_tokens = {});

// GPT-2's encoder.json (spelling -> id) and vocab.bpe (merges). "<|endoftext|>" is special.
Tokenizer load_gpt2(const std::filesystem::path& encoder_json, const std::filesystem::path& vocab_bpe);

// A SentencePiece model (BPE or unigram). Control pieces become special tokens; BOS is
// prepended when add_special_tokens is set, as Llama-2 does.
Tokenizer load_sentencepiece(const std::filesystem::path& path);

}  // namespace bytegrad::tokenizer
