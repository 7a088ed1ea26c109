// Runs a llama2.c program (run.c or runq.c, built by the user; we ship none of its code) on a
// checkpoint we exported, and reads back the tokens it chose and the speed it reports, so that
// `bytegrad bench generate` can time it beside us on the same file in the same run.
//
// run.c prints the pieces of the tokens it decodes, not their ids, and encodes its prompt from
// text. To read ids back without ambiguity the benchmark writes a tokenizer.bin of its own beside
// the checkpoint: token 3 is " " (the prefix run.c's encoder puts before every prompt) and every
// other token i is the single code point U+1000 + i, three UTF-8 bytes that no pair merges into.
// A prompt [1, 3, a, b, ...] (BOS, the prefix, then ids >= 4) is then the text of a, b, ..., which
// run.c encodes back to exactly those ids, and its output decodes one code point per token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bytegrad::tools {

// The id run.c's encoder looks up for its " " prefix in the tokenizer below.
inline constexpr int64_t kLlama2cSpaceToken = 3;

// Writes the code point tokenizer described above for `vocab_size` (at most 50000) tokens.
// Throws Error naming the path when it cannot be written.
void write_codepoint_tokenizer(const std::string& path, int64_t vocab_size);

struct Llama2cRun {
  std::vector<int64_t> tokens;  // the ids it chose after the prompt, in order
  double tokens_per_s = 0;      // its own "achieved tok/s" line (forwards after the first)
  bool stopped_at_bos = false;  // it chose BOS (1), where run.c ends a sequence, before `steps`
};

// Runs `binary` CHECKPOINT -z TOKENIZER -t 0 -n STEPS -i TEXT with OMP_NUM_THREADS=threads:
// greedy decoding of positions 0 .. steps - 1, `prompt` forced first. `prompt` must be
// [1, kLlama2cSpaceToken, ids >= 4 ...] so that its text round-trips (see above). Throws Error
// with the command line when the program fails or prints something that is not that tokenizer's.
Llama2cRun run_llama2c(const std::string& binary, const std::string& checkpoint,
                       const std::string& tokenizer, const std::vector<int64_t>& prompt,
                       int64_t steps, int threads);

}  // namespace bytegrad::tools
