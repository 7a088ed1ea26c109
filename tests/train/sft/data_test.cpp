// SFT data files: both JSONL forms, errors that name the file and line, chats composed at token
// level with the loss on assistant tokens only, and held-out questions.
#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "tests/train/sft/word_tokenizer.h"
#include "train/sft/data.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using testing::scratch_directory;
using testing::write_text;

// ChatML markers as special tokens over a few words.
tokenizer::Tokenizer chatml_tokenizer() {
  return testing::word_tokenizer(
      {{"user", 1}, {"assistant", 2}, {"system", 3}, {"\n", 4}, {"Hi", 5}, {"Hello", 6}, {" there", 7}, {"Bye", 8}},
      {{"<|im_start|>", 10}, {"<|im_end|>", 11}, {"<|endoftext|>", 12}}, "<|endoftext|>");
}

// The error of reading `text` as an SFT file named `name`.
std::string read_error(const std::string& name, const std::string& text) {
  const std::string path = scratch_directory("sft_data_errors") + "/" + name;
  write_text(path, text);
  return error_of([&] { read_sft_jsonl(path); });
}

const SftFormat kChatMl{.append_eos = true, .chat_layout = tokenizer::ChatLayout::kChatMl};

}  // namespace

TEST_CASE("both JSONL forms are read, blank lines skipped, and written back as they were") {
  const std::string dir = scratch_directory("sft_data_forms");
  write_text(dir + "/data.jsonl",
             "{\"prompt\": \"1+2=\", \"response\": \"3\", \"id\": 7}\n\n"
             "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": "
             "\"Hello\"}]}\n");
  const std::vector<SftRecord> records = read_sft_jsonl(dir + "/data.jsonl");
  REQUIRE(records.size() == 2);
  CHECK(records[0].prompt == "1+2=");
  CHECK(records[0].response == "3");
  CHECK(records[0].messages.empty());
  CHECK(records[0].source == dir + "/data.jsonl:1");
  REQUIRE(records[1].messages.size() == 2);
  CHECK(records[1].messages[1].role == "assistant");
  CHECK(records[1].messages[1].content == "Hello");
  CHECK(records[1].source == dir + "/data.jsonl:3");

  write_sft_jsonl(dir + "/copy.jsonl", records);
  const std::vector<SftRecord> again = read_sft_jsonl(dir + "/copy.jsonl");
  REQUIRE(again.size() == 2);
  CHECK(again[0].response == "3");
  CHECK(again[1].messages[0].content == "Hi");
}

TEST_CASE("malformed lines are errors naming the file and the line") {
  const std::string ok = "{\"prompt\": \"a\", \"response\": \"b\"}\n";
  CHECK(read_error("a.jsonl", ok + ok + "{not json\n").find("a.jsonl:3: expected a JSON object") != std::string::npos);
  CHECK(read_error("b.jsonl", ok + "{\"prompt\": \"a\"}\n").find("b.jsonl:2: a prompt/response example needs both") !=
        std::string::npos);
  CHECK(read_error("c.jsonl", "\n" + ok + "{\"prompt\": 5, \"response\": \"b\"}\n")
            .find("c.jsonl:3: \"prompt\" must be a string, got 5") != std::string::npos);
  CHECK(read_error("d.jsonl", "{\"prompt\": \"a\", \"response\": \"b\", \"messages\": []}\n").find("d.jsonl:1: give either") !=
        std::string::npos);
  CHECK(read_error("e.jsonl", ok + "{\"messages\": []}\n").find("e.jsonl:2: \"messages\" must be a non-empty list") !=
        std::string::npos);
  CHECK(read_error("f.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"content\": \"x\"}]}\n")
            .find("f.jsonl:1: messages[1] must be an object with \"role\" and \"content\"") != std::string::npos);
  CHECK(read_error("g.jsonl", "[1, 2]\n").find("g.jsonl:1: expected a JSON object") != std::string::npos);
  CHECK(read_error("h.jsonl", "{\"text\": \"a\"}\n").find("h.jsonl:1: expected {\"prompt\"") != std::string::npos);
  CHECK(read_error("empty.jsonl", "\n\n").find("holds no examples") != std::string::npos);
  CHECK(error_of([] { read_sft_jsonl("/nonexistent/sft.jsonl"); }).find("cannot read '/nonexistent/sft.jsonl'") !=
        std::string::npos);
}

TEST_CASE("a chat is composed at token level and trains on the assistant's tokens and end marker only") {
  const tokenizer::Tokenizer tok = chatml_tokenizer();
  const SftRecord record{"", "", {{"user", "Hi"}, {"assistant", "Hello there"}}, "chat.jsonl:1"};
  const SftExample example = encode_sft_record(record, tok, kChatMl);
  // <|im_start|> user \n Hi <|im_end|> \n <|im_start|> assistant \n Hello there <|im_end|> \n
  CHECK(example.ids == std::vector<int32_t>{10, 1, 4, 5, 11, 4, 10, 2, 4, 6, 7, 11, 4});
  CHECK(example.trained == std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0});

  // In a batch the mask moves with the labels: it selects exactly "Hello", " there", <|im_end|>.
  const SftBatch batch = collate_sft_examples(std::vector<SftExample>{example}, *tok.eos_id());
  const std::vector<int64_t> labels = batch.labels.to_vector<int64_t>();
  const std::vector<float> mask = batch.response_mask.to_vector<float>();
  std::vector<int64_t> trained;
  for (size_t i = 0; i < labels.size(); ++i)
    if (mask[i] == 1.0f) trained.push_back(labels[i]);
  CHECK(trained == std::vector<int64_t>{6, 7, 11});

  // The question is the chat up to the answer, opened for the assistant: a prefix of the ids.
  const SftQuestion question = sft_question(record, tok, kChatMl);
  CHECK(question.prompt_ids == std::vector<int32_t>{10, 1, 4, 5, 11, 4, 10, 2, 4});
  CHECK(question.expected == "Hello there");
}

TEST_CASE("a prompt/response record trains on the response and, by default, an EOS") {
  const tokenizer::Tokenizer tok = testing::character_tokenizer();
  const SftRecord record{"1+2=", "3", {}, "add.jsonl:4"};
  const SftExample with_eos = encode_sft_record(record, tok, {});
  CHECK(with_eos.ids == std::vector<int32_t>{41, 1, 36, 2, 37, 3, 40});
  CHECK(with_eos.trained == std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 1});
  const SftExample without = encode_sft_record(record, tok, {.append_eos = false, .chat_layout = std::nullopt});
  CHECK(without.ids == std::vector<int32_t>{41, 1, 36, 2, 37, 3});
  const SftQuestion question = sft_question(record, tok, {});
  CHECK(question.prompt_ids == std::vector<int32_t>{41, 1, 36, 2, 37});
  CHECK(question.expected == "3");
}

TEST_CASE("records that cannot be encoded are errors naming their file and line") {
  const tokenizer::Tokenizer tok = chatml_tokenizer();
  const SftRecord chat{"", "", {{"user", "Hi"}, {"assistant", "Hello"}}, "chat.jsonl:7"};
  CHECK(error_of([&] { encode_sft_record(chat, tok, {}); }).find("chat.jsonl:7: a \"messages\" example needs a chat layout") !=
        std::string::npos);
  const SftFormat llama3{.chat_layout = tokenizer::ChatLayout::kLlama3};
  CHECK(error_of([&] { encode_sft_record(chat, tok, llama3); }).find("chat.jsonl:7: ") == 0);
  CHECK(error_of([&] { encode_sft_record(chat, tok, kChatMl, 8); })
            .find("chat.jsonl:7: the example has 12 tokens, more than the model's 8 positions") != std::string::npos);
  const SftRecord user_only{"", "", {{"user", "Hi"}}, "chat.jsonl:8"};
  CHECK(error_of([&] { encode_sft_record(user_only, tok, kChatMl); }).find("chat.jsonl:8: the example has no token to train on") !=
        std::string::npos);
  CHECK(error_of([&] { sft_question(user_only, tok, kChatMl); }).find("chat.jsonl:8: a chat asked as a question must end") !=
        std::string::npos);
  const tokenizer::Tokenizer chars = testing::character_tokenizer();
  CHECK(error_of([&] { encode_sft_record({"1=", "", {}, "x.jsonl:2"}, chars, {.append_eos = false, .chat_layout = std::nullopt}); })
            .find("x.jsonl:2: the example has no token to train on") != std::string::npos);
  const tokenizer::Tokenizer no_bos = testing::qwen_like_tokenizer();
  CHECK(error_of([&] { encode_sft_record({"", "Hello", {}, "x.jsonl:3"}, no_bos, {}); })
            .find("x.jsonl:3: sft: the prompt \"\" encodes to no token") != std::string::npos);
}

}  // namespace bytegrad::train
