/* Generates text from a model directory through the C API, streaming each piece as it comes,
 * then tokenizes the prompt and the generated text together, decodes them back, and scores them.
 *
 *   generate MODEL_DIRECTORY PROMPT [MAX_NEW_TOKENS]
 *
 * Prints the generated text on stdout and its total log-probability on stderr; on failure prints
 * the library's message and exits with the status code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi/bytegrad_c.h"

/* Prints each piece of text as soon as it is generated. */
static int print_piece(int64_t token, const char* text, void* user_data) {
  (void)token;
  int* pieces = user_data;
  ++*pieces;
  fputs(text, stdout);
  fflush(stdout);
  return 0;
}

/* Prints the last error and releases the model; returns the status as the exit code. */
static int fail(bytegrad_status status, bytegrad_model* model) {
  fprintf(stderr, "generate: %s (status %d)\n", bytegrad_last_error(), (int)status);
  bytegrad_model_free(model);
  return (int)status;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL_DIRECTORY PROMPT [MAX_NEW_TOKENS]\n", argv[0]);
    return 2;
  }
  bytegrad_model* model = NULL;
  bytegrad_status status = bytegrad_model_load(argv[1], &model);
  if (status != BYTEGRAD_OK) return fail(status, NULL);

  bytegrad_generate_options options;
  bytegrad_generate_options_init(&options);
  options.temperature = 0; /* greedy: the same text every run */
  if (argc > 3) options.max_new_tokens = atoll(argv[3]);
  int pieces = 0;
  char* generated = NULL;
  status = bytegrad_generate(model, argv[2], &options, print_piece, &pieces, &generated);
  if (status != BYTEGRAD_OK) return fail(status, model);
  printf("\n");

  /* The prompt followed by what was generated: tokenize, decode, then log p of each token. */
  char* whole = malloc(strlen(argv[2]) + strlen(generated) + 1);
  sprintf(whole, "%s%s", argv[2], generated);
  int64_t* ids = NULL;
  size_t count = 0;
  status = bytegrad_tokenize(model, whole, 1, &ids, &count);
  bytegrad_free(generated);
  if (status != BYTEGRAD_OK) {
    free(whole);
    return fail(status, model);
  }
  /* Byte-level tokenizers give the text back exactly (the BOS token is left out). */
  char* decoded = NULL;
  status = bytegrad_detokenize(model, ids, count, &decoded);
  if (status != BYTEGRAD_OK) {
    free(whole);
    bytegrad_free(ids);
    return fail(status, model);
  }
  fprintf(stderr, "round trip: %s\n", strcmp(decoded, whole) == 0 ? "same text" : "different text");
  bytegrad_free(decoded);
  free(whole);
  double total = 0;
  status = bytegrad_score(model, ids, count, NULL, &total);
  bytegrad_free(ids);
  if (status != BYTEGRAD_OK) return fail(status, model);
  fprintf(stderr, "%d pieces; %zu tokens; log-probability %.4f\n", pieces, count, total);

  bytegrad_model_free(model);
  return 0;
}
