// The C API over io::load_pretrained_model, the tokenizer, infer::generate and
// infer::get_response_log_probs. Every entry point runs its body inside `guarded`, which turns
// exceptions into status codes and the thread's last error message: none crosses into C.
#include "capi/bytegrad_c.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "infer/generate.h"
#include "infer/scoring.h"
#include "infer/text_stream.h"
#include "io/model_directory.h"
#include "tensor/creation.h"

using namespace bytegrad;

struct bytegrad_model {
  io::PretrainedModel pretrained;
};

namespace {

thread_local std::string last_error;

// An error with the status code it maps to.
struct StatusError : std::runtime_error {
  StatusError(bytegrad_status status, const std::string& message) : std::runtime_error(message), status(status) {}
  bytegrad_status status;
};

// Thrown from the token callback when the caller asks generation to stop.
struct StopGeneration {};

// Runs `body`, which returns nothing or throws. An exception becomes `failure` (or the status a
// StatusError carries), with its message kept as the thread's last error.
template <typename Body>
bytegrad_status guarded(bytegrad_status failure, Body&& body) {
  try {
    body();
    return BYTEGRAD_OK;
  } catch (const StatusError& error) {
    last_error = error.what();
    return error.status;
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return BYTEGRAD_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& error) {
    last_error = error.what();
    return failure;
  } catch (...) {
    last_error = "unknown error";
    return BYTEGRAD_ERROR_RUNTIME;
  }
}

void require(bool condition, const char* message) {
  if (!condition) throw StatusError(BYTEGRAD_ERROR_INVALID_ARGUMENT, message);
}

const tokenizer::Tokenizer& tokenizer_of(const bytegrad_model* model) {
  if (!model->pretrained.tokenizer) throw StatusError(BYTEGRAD_ERROR_NO_TOKENIZER, "the model directory has no tokenizer");
  return *model->pretrained.tokenizer;
}

// A malloc'ed copy of `text`, NUL-terminated, for the caller to bytegrad_free.
char* copy_string(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (!copy) throw std::bad_alloc();
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

}  // namespace

extern "C" {

const char* bytegrad_last_error(void) { return last_error.c_str(); }

void bytegrad_free(void* memory) { std::free(memory); }

bytegrad_status bytegrad_model_load(const char* directory, bytegrad_model** model) {
  if (model) *model = nullptr;
  return guarded(BYTEGRAD_ERROR_LOAD, [&] {
    require(directory && model, "bytegrad_model_load: directory and model must not be NULL");
    if (!std::filesystem::is_directory(directory))
      throw StatusError(BYTEGRAD_ERROR_LOAD, std::string(directory) + ": no such model directory");
    *model = new bytegrad_model{io::load_pretrained_model(directory)};
  });
}

void bytegrad_model_free(bytegrad_model* model) { delete model; }

int64_t bytegrad_model_vocab_size(const bytegrad_model* model) {
  return model ? model->pretrained.model->config().vocab_size : 0;
}

int64_t bytegrad_model_context_length(const bytegrad_model* model) {
  return model ? model->pretrained.model->config().max_position_embeddings : 0;
}

bytegrad_status bytegrad_tokenize(const bytegrad_model* model, const char* text, int add_special_tokens,
                                  int64_t** ids, size_t* count) {
  return guarded(BYTEGRAD_ERROR_RUNTIME, [&] {
    require(model && text && ids && count, "bytegrad_tokenize: model, text, ids and count must not be NULL");
    const std::vector<tokenizer::TokenId> encoded =
        tokenizer_of(model).encode(text, {.add_special_tokens = add_special_tokens != 0});
    auto* out = static_cast<int64_t*>(std::malloc(std::max<size_t>(encoded.size(), 1) * sizeof(int64_t)));
    if (!out) throw std::bad_alloc();
    for (size_t i = 0; i < encoded.size(); ++i) out[i] = encoded[i];
    *ids = out;
    *count = encoded.size();
  });
}

bytegrad_status bytegrad_detokenize(const bytegrad_model* model, const int64_t* ids, size_t count, char** text) {
  return guarded(BYTEGRAD_ERROR_RUNTIME, [&] {
    require(model && (ids || count == 0) && text, "bytegrad_detokenize: model, ids and text must not be NULL");
    const tokenizer::Tokenizer& tok = tokenizer_of(model);
    std::vector<tokenizer::TokenId> narrowed(count);
    for (size_t i = 0; i < count; ++i) {
      if (ids[i] < 0 || ids[i] >= int64_t(tok.vocab_size()))
        throw StatusError(BYTEGRAD_ERROR_INVALID_ARGUMENT, "bytegrad_detokenize: id " + std::to_string(ids[i]) +
                                                               " is outside the vocabulary of " +
                                                               std::to_string(tok.vocab_size()));
      narrowed[i] = tokenizer::TokenId(ids[i]);
    }
    *text = copy_string(tok.decode(narrowed, {.skip_special_tokens = true}));
  });
}

void bytegrad_generate_options_init(bytegrad_generate_options* options) {
  if (!options) return;
  const infer::GenerationOptions defaults;
  options->max_new_tokens = defaults.max_gen_len;
  options->temperature = defaults.temperature;
  options->top_p = defaults.top_p;
  options->top_k = defaults.top_k;
  options->seed = defaults.seed;
}

bytegrad_status bytegrad_generate(bytegrad_model* model, const char* prompt, const bytegrad_generate_options* options,
                                  bytegrad_token_callback on_token, void* user_data, char** text) {
  if (text) *text = nullptr;
  return guarded(BYTEGRAD_ERROR_RUNTIME, [&] {
    require(model && prompt, "bytegrad_generate: model and prompt must not be NULL");
    const tokenizer::Tokenizer& tok = tokenizer_of(model);
    bytegrad_generate_options settings;
    bytegrad_generate_options_init(&settings);
    if (options) settings = *options;

    infer::GenerationOptions generation;
    generation.max_gen_len = settings.max_new_tokens;
    generation.temperature = settings.temperature;
    generation.top_p = settings.top_p;
    generation.top_k = settings.top_k;
    generation.seed = settings.seed;
    if (tok.eos_id()) generation.stop_tokens = {*tok.eos_id()};
    const io::PretrainedModel& pretrained = model->pretrained;
    if (!pretrained.quantized.empty() && pretrained.model->device() == kCPU) {
      // A quantized directory decodes from its stored matrices, in their format.
      generation.weights = pretrained.quantized.format;
      generation.stored_weights = &pretrained.quantized;
    }
    generation.validate();

    // The text is built from the streamed pieces, so a stopped run still returns what it made.
    infer::TextStream stream(tok);
    std::string generated;
    generation.on_token = [&](int64_t, int64_t token) {
      const std::string piece = stream.push(token);
      generated += piece;
      if (on_token && on_token(token, piece.c_str(), user_data) != 0) throw StopGeneration{};
    };
    const std::vector<tokenizer::TokenId> encoded = tok.encode(prompt, {.add_special_tokens = true});
    try {
      infer::generate(*model->pretrained.model, {std::vector<int64_t>(encoded.begin(), encoded.end())}, generation);
    } catch (const StopGeneration&) {
    }
    const std::string rest = stream.finish();
    generated += rest;
    if (on_token && !rest.empty()) on_token(-1, rest.c_str(), user_data);
    if (text) *text = copy_string(generated);
  });
}

bytegrad_status bytegrad_score(bytegrad_model* model, const int64_t* ids, size_t count, double* log_probs,
                               double* total) {
  return guarded(BYTEGRAD_ERROR_RUNTIME, [&] {
    require(model && ids, "bytegrad_score: model and ids must not be NULL");
    const int64_t context = bytegrad_model_context_length(model);
    if (count < 2 || int64_t(count) > context + 1)
      throw StatusError(BYTEGRAD_ERROR_INVALID_ARGUMENT,
                        "bytegrad_score: " + std::to_string(count) + " tokens; needs 2 to " +
                            std::to_string(context + 1) + " (the context length + 1)");
    nn::CausalLM& lm = *model->pretrained.model;
    lm.eval();
    NoGradGuard no_grad;
    const int64_t inputs = int64_t(count) - 1;
    const Tensor input_ids = from_vector(std::vector<int64_t>(ids, ids + inputs), {1, inputs});
    const Tensor labels = from_vector(std::vector<int64_t>(ids + 1, ids + count), {1, inputs});
    const std::vector<double> scored = infer::get_response_log_probs(lm, input_ids, labels).log_probs.to_vector<double>();
    double sum = 0;
    for (size_t i = 0; i < scored.size(); ++i) {
      if (log_probs) log_probs[i] = scored[i];
      sum += scored[i];
    }
    if (total) *total = sum;
  });
}

}  // extern "C"
