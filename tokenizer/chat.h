// Chats composed at token level (seed 000): role markers and each message are tokenized on their
// own and their ids concatenated, never one templated string, so that a message's tokens do not
// depend on the markup around it and a generation prompt is exactly a prefix of the training ids.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bytegrad::tokenizer {

enum class ChatLayout {
  // Llama-2: [BOS] [INST] (<<SYS>> system <</SYS>>) user [/INST] answer [EOS], per turn.
  kLlama2,
  // ChatML: <|im_start|>role \n content <|im_end|> \n, per message.
  kChatMl,
  // Llama-3: [BOS] then <|start_header_id|>role<|end_header_id|> \n\n content <|eot_id|>.
  kLlama3,
};

// "llama2", "chatml", "llama3"; throws std::runtime_error listing them otherwise.
ChatLayout chat_layout_from_name(std::string_view name);

// The layout's name as chat_layout_from_name reads it.
const char* chat_layout_name(ChatLayout layout);

// The special tokens `layout` composes with, to add to a tokenizer (e.g. BpeTrainerOptions::
// special_tokens): ChatML's <|im_start|> <|im_end|>; Llama-3's <|begin_of_text|> (its BOS),
// <|start_header_id|> <|end_header_id|> <|eot_id|>; none for Llama-2, whose markers are text
// around BOS and EOS.
std::vector<std::string> chat_markers(ChatLayout layout);

// What `tokenizer` lacks to compose `layout`: each marker of chat_markers it has no added token
// for (Llama-3's <|begin_of_text|> is not needed when the tokenizer names a BOS), and "BOS" /
// "EOS" when Llama-2 needs them and the tokenizer names none. Empty when encode_chat can compose
// the layout.
std::vector<std::string> missing_chat_markers(const Tokenizer& tokenizer, ChatLayout layout);

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct ChatTokens {
  std::vector<TokenId> ids;
  // 1 for the tokens an SFT loss trains on: assistant content and the marker that ends it
  // (EOS, <|im_end|>, <|eot_id|>); 0 for everything else. Same length as `ids`.
  std::vector<std::uint8_t> assistant_mask;
};

// Composes `messages` in `layout`. Message content is encoded with parse_special off, so text
// cannot forge markers. With `add_generation_prompt`, the ids end with the opening of an
// assistant turn; then encode_chat(history, true).ids is a prefix of encode_chat(history +
// {assistant reply}, false).ids. Throws std::runtime_error when the tokenizer lacks a marker
// the layout needs, or the roles are out of order for the layout (Llama-2: optional system,
// then user/assistant alternating, starting with user).
ChatTokens encode_chat(const Tokenizer& tokenizer, ChatLayout layout, std::span<const ChatMessage> messages,
                       bool add_generation_prompt = false);

}  // namespace bytegrad::tokenizer
