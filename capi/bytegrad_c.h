/* The C API: load a model directory, tokenize, generate and score from C (or any language with
 * a C foreign-function interface). Nothing here throws: every function that can fail returns a
 * bytegrad_status, and bytegrad_last_error() gives the message of the last failure on the
 * calling thread.
 *
 *   bytegrad_model* model = NULL;
 *   if (bytegrad_model_load("runs/fortunes-llama/model", &model) != BYTEGRAD_OK) {
 *     fprintf(stderr, "%s\n", bytegrad_last_error());
 *     return 1;
 *   }
 *   bytegrad_generate_options options;
 *   bytegrad_generate_options_init(&options);
 *   char* text = NULL;
 *   bytegrad_generate(model, "Once upon a time", &options, NULL, NULL, &text);
 *   bytegrad_free(text);
 *   bytegrad_model_free(model);
 *
 * Memory returned through an out-parameter (token arrays, strings) belongs to the caller, who
 * releases it with bytegrad_free. A model may be used by one thread at a time. */
#ifndef BYTEGRAD_C_H
#define BYTEGRAD_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bytegrad_status {
  BYTEGRAD_OK = 0,
  BYTEGRAD_ERROR_INVALID_ARGUMENT = 1, /* a null pointer, an id outside the vocabulary, bad options */
  BYTEGRAD_ERROR_LOAD = 2,             /* the model directory is missing, incomplete or malformed */
  BYTEGRAD_ERROR_NO_TOKENIZER = 3,     /* the model directory has no tokenizer */
  BYTEGRAD_ERROR_OUT_OF_MEMORY = 4,
  BYTEGRAD_ERROR_RUNTIME = 5           /* any other failure; the message says which */
} bytegrad_status;

/* A loaded model with its tokenizer (when the directory has one). */
typedef struct bytegrad_model bytegrad_model;

/* The message of the last call on this thread that did not return BYTEGRAD_OK, or "" when there
 * was none. Valid until the thread's next failing call. */
const char* bytegrad_last_error(void);

/* Frees memory that a bytegrad function returned (token arrays, strings). NULL is allowed. */
void bytegrad_free(void* memory);

/* Loads a model directory in Hugging Face's layout (config.json, model.safetensors and
 * optionally tokenizer.json), as io::load_pretrained_model does. On success *model is a new
 * handle to release with bytegrad_model_free; on failure it is NULL and the message names the
 * directory or file at fault. */
bytegrad_status bytegrad_model_load(const char* directory, bytegrad_model** model);

/* Releases a model. NULL is allowed. */
void bytegrad_model_free(bytegrad_model* model);

/* One past the largest token id the model predicts. */
int64_t bytegrad_model_vocab_size(const bytegrad_model* model);

/* The longest sequence (prompt and generated tokens) the model takes. */
int64_t bytegrad_model_context_length(const bytegrad_model* model);

/* Encodes UTF-8 `text`: *ids gets a new array of *count token ids (free with bytegrad_free).
 * With add_special_tokens nonzero the ids are wrapped in the tokenizer's BOS/EOS template. */
bytegrad_status bytegrad_tokenize(const bytegrad_model* model, const char* text, int add_special_tokens,
                                  int64_t** ids, size_t* count);

/* Decodes `count` ids into a new NUL-terminated UTF-8 string *text (free with bytegrad_free);
 * special tokens are left out. BYTEGRAD_ERROR_INVALID_ARGUMENT for an id outside the vocabulary. */
bytegrad_status bytegrad_detokenize(const bytegrad_model* model, const int64_t* ids, size_t count, char** text);

/* Sampling and length settings of bytegrad_generate; bytegrad_generate_options_init fills in
 * the defaults shown. */
typedef struct bytegrad_generate_options {
  int64_t max_new_tokens; /* 64: generated tokens at most */
  double temperature;     /* 0.6: 0 takes the most likely token (greedy) */
  double top_p;           /* 0.9: nucleus sampling mass; 1 keeps every token */
  int64_t top_k;          /* 0: keep only the k most likely tokens; 0 keeps all */
  uint64_t seed;          /* 0: the same seed reproduces a run */
} bytegrad_generate_options;

void bytegrad_generate_options_init(bytegrad_generate_options* options);

/* Called once per generated token, as soon as it is chosen, with its id and the text that became
 * complete with it (UTF-8, possibly "" while a multi-byte character is unfinished; the pieces
 * joined are the generated text; bytes of an unfinished character left at the end come in one
 * last call with token -1). Return 0 to go on, nonzero to stop generating. */
typedef int (*bytegrad_token_callback)(int64_t token, const char* text, void* user_data);

/* Continues `prompt` (encoded with the tokenizer's BOS/EOS template) until the tokenizer's end
 * of sequence token, max_new_tokens, or the callback asks to stop. `options` and `on_token` may
 * be NULL (defaults; no streaming). When `text` is not NULL it receives the whole generated text
 * (free with bytegrad_free). A quantized model directory (int8 groups or bfloat16, written by
 * `bytegrad export --weights`) decodes from its stored matrices, as `bytegrad generate` does. */
bytegrad_status bytegrad_generate(bytegrad_model* model, const char* prompt, const bytegrad_generate_options* options,
                                  bytegrad_token_callback on_token, void* user_data, char** text);

/* Scores a token sequence: log_probs[i] = log p(ids[i + 1] | ids[0..i]) for the count - 1 tokens
 * after the first (log_probs has room for count - 1 values; may be NULL), and *total (may be
 * NULL) their sum. Needs 2 <= count <= context length + 1. */
bytegrad_status bytegrad_score(bytegrad_model* model, const int64_t* ids, size_t count, double* log_probs,
                               double* total);

#ifdef __cplusplus
}
#endif

#endif /* BYTEGRAD_C_H */
