#include "train/sft/data.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace bytegrad::train {
namespace {

using nlohmann::json;

std::string string_field(const json& object, const char* key, const std::string& where) {
  BYTEGRAD_CHECK(object[key].is_string(), where, ": \"", key, "\" must be a string, got ", object[key].dump());
  return object[key].get<std::string>();
}

SftRecord parse_record(const std::string& line, const std::string& where) {
  const json object = json::parse(line, nullptr, false);
  BYTEGRAD_CHECK(object.is_object(), where, ": expected a JSON object per line");
  const bool pair = object.contains("prompt") || object.contains("response");
  const bool chat = object.contains("messages");
  BYTEGRAD_CHECK(pair != chat, where,
                 pair ? ": give either \"prompt\"/\"response\" or \"messages\", not both"
                      : ": expected {\"prompt\": ..., \"response\": ...} or {\"messages\": [...]}");
  SftRecord record;
  record.source = where;
  if (pair) {
    BYTEGRAD_CHECK(object.contains("prompt") && object.contains("response"), where,
                   ": a prompt/response example needs both \"prompt\" and \"response\"");
    record.prompt = string_field(object, "prompt", where);
    record.response = string_field(object, "response", where);
    return record;
  }
  const json& messages = object["messages"];
  BYTEGRAD_CHECK(messages.is_array() && !messages.empty(), where, ": \"messages\" must be a non-empty list");
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string at = where + ": messages[" + std::to_string(i) + "]";
    BYTEGRAD_CHECK(messages[i].is_object() && messages[i].contains("role") && messages[i].contains("content"), at,
                   " must be an object with \"role\" and \"content\"");
    record.messages.push_back({string_field(messages[i], "role", at), string_field(messages[i], "content", at)});
  }
  return record;
}

tokenizer::ChatLayout layout_for(const SftRecord& record, const SftFormat& format) {
  BYTEGRAD_CHECK(format.chat_layout.has_value(), record.source,
                 ": a \"messages\" example needs a chat layout (llama2, chatml or llama3)");
  return *format.chat_layout;
}

// The chat composed at token level; the tokenizer's errors (a missing marker, roles out of
// order) are rethrown naming the record.
tokenizer::ChatTokens compose(const SftRecord& record, const tokenizer::Tokenizer& tokenizer, const SftFormat& format,
                              std::span<const tokenizer::ChatMessage> messages, bool add_generation_prompt) {
  const tokenizer::ChatLayout layout = layout_for(record, format);
  try {
    return tokenizer::encode_chat(tokenizer, layout, messages, add_generation_prompt);
  } catch (const std::runtime_error& e) {
    throw Error(record.source + ": " + e.what());
  }
}

}  // namespace

std::vector<SftRecord> read_sft_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), "sft data: cannot read '", path.string(), "'");
  std::vector<SftRecord> records;
  std::string text;
  for (int64_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    records.push_back(parse_record(text, path.string() + ":" + std::to_string(line)));
  }
  BYTEGRAD_CHECK(!records.empty(), "sft data: '", path.string(), "' holds no examples");
  return records;
}

void write_sft_jsonl(const std::filesystem::path& path, const std::vector<SftRecord>& records) {
  std::ofstream out(path, std::ios::trunc);
  BYTEGRAD_CHECK(out.good(), "sft data: cannot open '", path.string(), "' for writing");
  for (const SftRecord& record : records) {
    nlohmann::ordered_json line;
    if (record.messages.empty()) {
      line = {{"prompt", record.prompt}, {"response", record.response}};
    } else {
      line["messages"] = nlohmann::ordered_json::array();
      for (const tokenizer::ChatMessage& m : record.messages)
        line["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
    out << line.dump() << '\n';
  }
  out.flush();
  BYTEGRAD_CHECK(out.good(), "sft data: writing '", path.string(), "' failed");
}

SftExample encode_sft_record(const SftRecord& record, const tokenizer::Tokenizer& tokenizer, const SftFormat& format,
                             int64_t max_tokens) {
  SftExample example;
  if (record.messages.empty()) {
    try {
      example = prompt_response_example(tokenizer, record.prompt, record.response, format.append_eos);
    } catch (const Error& e) {
      throw Error(record.source + ": " + e.what());
    }
  } else {
    tokenizer::ChatTokens chat = compose(record, tokenizer, format, record.messages, false);
    example = {std::move(chat.ids), std::move(chat.assistant_mask)};
  }
  BYTEGRAD_CHECK(example.trained.size() >= 2 && std::find(example.trained.begin() + 1, example.trained.end(), 1) != example.trained.end(), record.source,
                 ": the example has no token to train on (an empty response, or no assistant turn after the first token)");
  BYTEGRAD_CHECK(max_tokens <= 0 || int64_t(example.ids.size()) <= max_tokens, record.source, ": the example has ",
                 example.ids.size(), " tokens, more than the model's ", max_tokens, " positions");
  return example;
}

std::vector<SftExample> encode_sft_records(const std::vector<SftRecord>& records, const tokenizer::Tokenizer& tokenizer,
                                           const SftFormat& format, int64_t max_tokens) {
  std::vector<SftExample> examples;
  examples.reserve(records.size());
  for (const SftRecord& record : records) examples.push_back(encode_sft_record(record, tokenizer, format, max_tokens));
  return examples;
}

SftQuestion sft_question(const SftRecord& record, const tokenizer::Tokenizer& tokenizer, const SftFormat& format) {
  if (record.messages.empty())
    return {tokenizer.encode(record.prompt, {.add_special_tokens = true}), record.response, record.source};
  BYTEGRAD_CHECK(record.messages.back().role == "assistant", record.source,
                 ": a chat asked as a question must end with an assistant turn (the expected answer)");
  const std::span<const tokenizer::ChatMessage> history(record.messages.data(), record.messages.size() - 1);
  return {compose(record, tokenizer, format, history, true).ids, record.messages.back().content, record.source};
}

}  // namespace bytegrad::train
