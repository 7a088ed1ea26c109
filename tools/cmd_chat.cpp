// `bytegrad chat --model DIR [--template llama2|chatml|llama3] [--system TEXT]
//                [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S]`
// A conversation on stdin: each line is a user message. The whole conversation is composed at
// token level (tokenizer/chat.h) with the opening of an assistant turn appended, the reply is
// streamed to stdout and kept in the history. The template defaults to the one whose markers the
// tokenizer has (llama3's <|start_header_id|>, ChatML's <|im_start|>, else llama2's [INST]); a
// tokenizer without them is an error that names the missing markers and how to train them in.
// When the conversation outgrows the context, its oldest exchanges are dropped.
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <iostream>
#include <string>
#include <vector>

#include "tokenizer/chat.h"
#include "tools/cmd_generation_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"

namespace bytegrad::tools {
namespace {

using tokenizer::ChatLayout;
using tokenizer::ChatMessage;

constexpr ChatLayout kLayouts[] = {ChatLayout::kLlama3, ChatLayout::kChatMl, ChatLayout::kLlama2};

// The first layout, in kLayouts' order, that the tokenizer can compose; llama2 when none can.
ChatLayout default_layout(const tokenizer::Tokenizer& tok) {
  for (ChatLayout layout : kLayouts)
    if (tokenizer::missing_chat_markers(tok, layout).empty()) return layout;
  return ChatLayout::kLlama2;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Why the tokenizer of `model_dir` cannot compose `layout`: what it lacks, the templates it can
// compose instead (if any), and how to train a tokenizer that has a layout's markers.
std::string missing_markers_message(const tokenizer::Tokenizer& tok, ChatLayout layout, const std::string& model_dir) {
  std::string message = "the tokenizer of " + model_dir + " lacks " +
                        joined(tokenizer::missing_chat_markers(tok, layout)) + ", which the " +
                        tokenizer::chat_layout_name(layout) + " chat template needs";
  std::vector<std::string> usable;
  for (ChatLayout other : kLayouts)
    if (other != layout && tokenizer::missing_chat_markers(tok, other).empty())
      usable.push_back(tokenizer::chat_layout_name(other));
  if (!usable.empty()) return message + " (it can compose --template " + joined(usable) + ")";
  return message +
         "; it has no other template's markers either. Train the tokenizer with a layout's markers: add "
         "\"chat_template\": \"chatml\" (or \"llama3\") to the \"data\" section of the training config, or "
         "list them in \"data\": {\"special_tokens\": [\"<|im_start|>\", \"<|im_end|>\"]}, then train again";
}
// The tokens that end an assistant turn in `layout`, and EOS.
std::vector<int64_t> end_of_turn_tokens(const tokenizer::Tokenizer& tok, ChatLayout layout) {
  std::vector<int64_t> stops;
  if (tok.eos_id()) stops.push_back(*tok.eos_id());
  if (layout == ChatLayout::kChatMl) stops.push_back(tok.special_token_id("<|im_end|>"));
  if (layout == ChatLayout::kLlama3) stops.push_back(tok.special_token_id("<|eot_id|>"));
  return stops;
}

// Drops the oldest user/assistant exchange after the system message (if any).
bool drop_oldest_exchange(std::vector<ChatMessage>& history) {
  const size_t first = !history.empty() && history[0].role == "system" ? 1 : 0;
  if (history.size() < first + 3) return false;  // only the current user message is left
  history.erase(history.begin() + int64_t(first), history.begin() + int64_t(first) + 2);
  return true;
}

}  // namespace

int run_chat(const Args& args) {
  const Options cli = parse_options(command_spec("chat"), args);
  infer::GenerationOptions generation = generation_options_from(cli);
  io::PretrainedModel pretrained = load_model_with_tokenizer(cli);
  choose_weights(generation, cli, pretrained);
  const tokenizer::Tokenizer& tok = *pretrained.tokenizer;
  const ChatLayout layout =
      cli.value("--template") ? tokenizer::chat_layout_from_name(*cli.value("--template")) : default_layout(tok);
  if (!tokenizer::missing_chat_markers(tok, layout).empty())
    throw std::runtime_error(missing_markers_message(tok, layout, cli.get("--model")));
  generation.stop_tokens = end_of_turn_tokens(tok, layout);
  const int64_t context = pretrained.model->config().max_position_embeddings;

  std::vector<ChatMessage> history;
  if (const auto system = cli.value("--system")) history.push_back({"system", *system});
  const bool interactive = isatty(STDIN_FILENO);
  std::string line;
  while (true) {
    if (interactive) std::fputs("> ", stderr);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    history.push_back({"user", line});
    std::vector<tokenizer::TokenId> ids = tokenizer::encode_chat(tok, layout, history, true).ids;
    // Keep room for at least one new token.
    while (int64_t(ids.size()) >= context && drop_oldest_exchange(history))
      ids = tokenizer::encode_chat(tok, layout, history, true).ids;
    if (int64_t(ids.size()) >= context) {
      std::fprintf(stderr, "message too long: %zu tokens with the template, the context holds %lld\n", ids.size(),
                   static_cast<long long>(context));
      history.pop_back();
      continue;
    }
    const StreamedReply reply =
        stream_reply(*pretrained.model, tok, std::vector<int64_t>(ids.begin(), ids.end()), generation);
    const std::vector<tokenizer::TokenId> reply_ids(reply.tokens.begin(), reply.tokens.end());
    history.push_back({"assistant", tok.decode(reply_ids, {.skip_special_tokens = true})});
    ++generation.seed;  // fresh draws for the next turn, still reproducible from --seed
  }
  return 0;
}

}  // namespace bytegrad::tools
