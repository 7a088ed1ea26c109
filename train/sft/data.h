// Supervised fine-tuning data: JSONL files, one example per line, in either form
//   {"prompt": "12+34=", "response": "46"}
//   {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
// Prompt/response pairs train on the response; chats are composed at token level
// (tokenizer/chat.h) and train on the assistant turns only. Other keys on a line are ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"
#include "train/sft/batch.h"

namespace bytegrad::train {

// One line of an SFT file.
struct SftRecord {
  std::string prompt, response;                  // the prompt/response form
  std::vector<tokenizer::ChatMessage> messages;  // the chat form; empty for prompt/response
  std::string source;                            // "FILE:LINE", for errors
};

// Reads every non-blank line of `path`. Throws Error naming the file and line when a line is not
// a JSON object, has neither or both forms, a field of the wrong type, or an empty message list.
std::vector<SftRecord> read_sft_jsonl(const std::filesystem::path& path);

// Writes `records` as JSONL (prompt/response records as such, chats as "messages").
void write_sft_jsonl(const std::filesystem::path& path, const std::vector<SftRecord>& records);

// How records become token sequences.
struct SftFormat {
  // End each prompt/response example with EOS (trained), so the model learns to stop. Chats
  // always end assistant turns with their layout's end marker.
  bool append_eos = true;
  std::optional<tokenizer::ChatLayout> chat_layout;  // needed by chat records
};

// The token sequence of one record and the tokens trained on. Throws Error naming the record's
// source when it is a chat but no layout is given, the chat does not compose (a marker missing
// from the tokenizer, roles out of order), it trains on no token, or it has more than
// `max_tokens` tokens (0: no limit), e.g. the model's max_position_embeddings.
SftExample encode_sft_record(const SftRecord& record, const tokenizer::Tokenizer& tokenizer, const SftFormat& format,
                             int64_t max_tokens = 0);

// encode_sft_record of each record.
std::vector<SftExample> encode_sft_records(const std::vector<SftRecord>& records, const tokenizer::Tokenizer& tokenizer,
                                           const SftFormat& format, int64_t max_tokens = 0);

// A held-out question: the ids a model continues and the answer it should give.
struct SftQuestion {
  std::vector<tokenizer::TokenId> prompt_ids;  // ends where the answer begins
  std::string expected;                        // the response, or the chat's last assistant turn
  std::string source;
};

// The question of a record: a prompt encoded as for training, or a chat up to its last
// assistant turn with the opening of that turn (a generation prompt). Throws Error naming the
// source when a chat does not end with an assistant turn or needs a layout that is not given.
SftQuestion sft_question(const SftRecord& record, const tokenizer::Tokenizer& tokenizer, const SftFormat& format);

}  // namespace bytegrad::train
