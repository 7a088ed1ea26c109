#include "train/soft_encoder/soft_prompt.h"

#include "autograd/grad_mode.h"
#include "base/error.h"

namespace bytegrad::train {

SoftPrompt encode_soft_prompt(std::string_view text, const tokenizer::Tokenizer& tokenizer,
                              const nn::SoftByteEncoder& encoder, int64_t vocab_size, bool add_special_tokens) {
  SoftPrompt prompt;
  if (add_special_tokens && tokenizer.bos_id()) prompt.ids.push_back(*tokenizer.bos_id());
  const auto append_text = [&](std::string_view plain) {
    for (tokenizer::TokenId id : tokenizer.encode(plain)) prompt.ids.push_back(id);
  };
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find("[[", at);
    const size_t close = open == std::string_view::npos ? open : text.find("]]", open + 2);
    if (close == std::string_view::npos) {
      append_text(text.substr(at));
      break;
    }
    if (open > at) append_text(text.substr(at, open - at));
    const std::string word(text.substr(open + 2, close - open - 2));
    BYTEGRAD_CHECK(!word.empty(), "soft prompt: an empty [[ ]] word at byte ", open);
    BYTEGRAD_CHECK(int64_t(word.size()) <= encoder.config().max_bytes, "soft prompt: the word \"", word, "\" has ",
                   word.size(), " bytes, more than the encoder's max_bytes ", encoder.config().max_bytes);
    prompt.ids.push_back(vocab_size + int64_t(prompt.words.size()));
    prompt.words.push_back(word);
    at = close + 2;
  }
  if (!prompt.words.empty()) {
    NoGradGuard no_grad;
    prompt.rows = encoder.forward(nn::frame_bytes(prompt.words, encoder.config().max_bytes));
  }
  return prompt;
}

}  // namespace bytegrad::train
