#include "tokenizer/chat.h"

#include <algorithm>
#include <stdexcept>

namespace bytegrad::tokenizer {
namespace {

// Accumulates ids with their mask bit.
class ChatBuilder {
 public:
  explicit ChatBuilder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  void id(TokenId id, bool trained = false) {
    out_.ids.push_back(id);
    out_.assistant_mask.push_back(trained);
  }
  // Ordinary text: markup words ("[INST]", "assistant", "\n") and message content alike.
  void text(std::string_view text, bool trained = false) {
    for (TokenId t : tokenizer_.encode(text)) id(t, trained);
  }
  void special(std::string_view name, bool trained = false) { id(tokenizer_.special_token_id(name), trained); }
  void bos() {
    if (!tokenizer_.bos_id()) throw std::runtime_error("chat layout needs a BOS token, and the tokenizer has none");
    id(*tokenizer_.bos_id());
  }
  // The tokenizer's BOS, else the added token `marker` that serves as one (Llama-3's).
  void bos_or(std::string_view marker) {
    if (tokenizer_.bos_id()) id(*tokenizer_.bos_id());
    else special(marker);
  }
  void eos(bool trained) {
    if (!tokenizer_.eos_id()) throw std::runtime_error("chat layout needs an EOS token, and the tokenizer has none");
    id(*tokenizer_.eos_id(), trained);
  }
  ChatTokens take() { return std::move(out_); }

 private:
  const Tokenizer& tokenizer_;
  ChatTokens out_;
};

bool is_assistant(const ChatMessage& m) { return m.role == "assistant"; }

void check_role(const ChatMessage& m, std::size_t index) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant")
    throw std::runtime_error("chat message " + std::to_string(index) + " has role '" + m.role +
                             "' (expected system, user or assistant)");
}

void encode_llama2(ChatBuilder& b, std::span<const ChatMessage> messages) {
  std::size_t i = 0;
  const ChatMessage* system = nullptr;
  if (!messages.empty() && messages[0].role == "system") system = &messages[i++];
  for (bool expect_user = true; i < messages.size(); ++i, expect_user = !expect_user) {
    const ChatMessage& m = messages[i];
    if ((m.role == "user") != expect_user || (!expect_user && !is_assistant(m)))
      throw std::runtime_error("llama2 chat: message " + std::to_string(i) + " has role '" + m.role +
                               "', expected " + (expect_user ? "user" : "assistant"));
    if (expect_user) {
      b.bos();
      b.text("[INST]");
      if (system) {
        b.text("<<SYS>>\n");
        b.text(system->content);
        b.text("\n<</SYS>>\n\n");
        system = nullptr;
      }
      b.text(m.content);
      b.text("[/INST]");
    } else {
      b.text(m.content, true);
      b.eos(true);
    }
  }
  // The [/INST] that closes the last user turn already asks for an answer: no extra prompt.
}

void encode_chatml(ChatBuilder& b, std::span<const ChatMessage> messages, bool add_generation_prompt) {
  for (const ChatMessage& m : messages) {
    const bool trained = is_assistant(m);
    b.special("<|im_start|>");
    b.text(m.role);
    b.text("\n");
    b.text(m.content, trained);
    b.special("<|im_end|>", trained);
    b.text("\n");
  }
  if (add_generation_prompt) {
    b.special("<|im_start|>");
    b.text("assistant");
    b.text("\n");
  }
}

void encode_llama3(ChatBuilder& b, std::span<const ChatMessage> messages, bool add_generation_prompt) {
  b.bos_or("<|begin_of_text|>");
  const auto header = [&](std::string_view role) {
    b.special("<|start_header_id|>");
    b.text(role);
    b.special("<|end_header_id|>");
    b.text("\n\n");
  };
  for (const ChatMessage& m : messages) {
    const bool trained = is_assistant(m);
    header(m.role);
    b.text(m.content, trained);
    b.special("<|eot_id|>", trained);
  }
  if (add_generation_prompt) header("assistant");
}

}  // namespace

ChatLayout chat_layout_from_name(std::string_view name) {
  if (name == "llama2") return ChatLayout::kLlama2;
  if (name == "chatml") return ChatLayout::kChatMl;
  if (name == "llama3") return ChatLayout::kLlama3;
  throw std::runtime_error("unknown chat layout '" + std::string(name) + "' (expected llama2, chatml or llama3)");
}

const char* chat_layout_name(ChatLayout layout) {
  switch (layout) {
    case ChatLayout::kLlama2:
      return "llama2";
    case ChatLayout::kChatMl:
      return "chatml";
    case ChatLayout::kLlama3:
      return "llama3";
  }
  return "unknown";
}

std::vector<std::string> chat_markers(ChatLayout layout) {
  switch (layout) {
    case ChatLayout::kLlama2:
      return {};
    case ChatLayout::kChatMl:
      return {"<|im_start|>", "<|im_end|>"};
    case ChatLayout::kLlama3:
      return {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
  }
  return {};
}

std::vector<std::string> missing_chat_markers(const Tokenizer& tokenizer, ChatLayout layout) {
  std::vector<std::string> missing;
  if (layout == ChatLayout::kLlama2) {
    if (!tokenizer.bos_id()) missing.push_back("BOS");
    if (!tokenizer.eos_id()) missing.push_back("EOS");
  }
  const auto& added = tokenizer.special_tokens();
  for (const std::string& marker : chat_markers(layout)) {
    if (marker == "<|begin_of_text|>" && tokenizer.bos_id()) continue;
    const bool found =
        std::any_of(added.begin(), added.end(), [&](const SpecialToken& t) { return t.text == marker; });
    if (!found) missing.push_back(marker);
  }
  return missing;
}

ChatTokens encode_chat(const Tokenizer& tokenizer, ChatLayout layout, std::span<const ChatMessage> messages,
                       bool add_generation_prompt) {
  for (std::size_t i = 0; i < messages.size(); ++i) check_role(messages[i], i);
  ChatBuilder builder(tokenizer);
  switch (layout) {
    case ChatLayout::kLlama2:
      encode_llama2(builder, messages);
      break;
    case ChatLayout::kChatMl:
      encode_chatml(builder, messages, add_generation_prompt);
      break;
    case ChatLayout::kLlama3:
      encode_llama3(builder, messages, add_generation_prompt);
      break;
  }
  return builder.take();
}

}  // namespace bytegrad::tokenizer
