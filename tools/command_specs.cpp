#include "tools/command_specs.h"

#include <stdexcept>
#include <string>

// The tables name only the fields they set; the rest keep their defaults. GCC 12 warns about
// every designated initializer that leaves a field out, which is the point here.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace bytegrad::tools {
namespace {

// The options of train, prep and sft: a JSON config and overrides of its keys.
std::vector<OptionSpec> run_config_options() {
  return {
      {.name = "--config", .value = "FILE", .meaning = "the JSON run config", .required = true},
      {.name = "--set", .value = "KEY=VALUE", .meaning = "override one config key (dotted path, JSON value)",
       .repeatable = true},
  };
}

// The options of generate and chat: the model directory and the sampling.
std::vector<OptionSpec> sampling_options() {
  return {
      {.name = "--model", .value = "DIR", .meaning = "Hugging Face model directory with a tokenizer", .required = true},
      {.name = "--max-new-tokens", .value = "N", .default_value = "256", .meaning = "most tokens to generate"},
      {.name = "--temperature", .value = "T", .default_value = "0.6", .meaning = "softmax temperature; 0 is greedy"},
      {.name = "--top-p", .value = "P", .default_value = "0.9", .meaning = "nucleus sampling mass; 1 is off"},
      {.name = "--top-k", .value = "K", .default_value = "0", .meaning = "sample from the K likeliest tokens; 0 is off"},
      {.name = "--seed", .value = "S", .default_value = "0", .meaning = "random seed of the sampler"},
      {.name = "--weights", .value = "float32|bfloat16|int8",
       .meaning = "stream a Llama's weights as bfloat16 or int8 groups of 64 while decoding (one prompt, CPU); "
                  "default: the format the model directory stores (float32 unless it is quantized)"},
      {.name = "--device", .value = "cpu|cuda|cuda:N", .default_value = "cpu",
       .meaning = "where the model runs (bytegrad info lists the devices); sampling stays on the CPU"},
  };
}

// The T-Free hash config (tokenizer/trigram_hasher.h); the defaults are the released 7B model's.
std::vector<OptionSpec> tfree_hash_options() {
  return {
      {.name = "--vocab-size", .value = "V", .default_value = "32000", .meaning = "rows of the sparse embedding and head"},
      {.name = "--population", .value = "M", .default_value = "10", .meaning = "ids each trigram activates"},
      {.name = "--lowercase-overlap", .value = "K", .default_value = "2",
       .meaning = "ids a capitalised trigram shares with its lowercase form"},
  };
}

std::vector<OptionSpec> joined(std::vector<OptionSpec> first, const std::vector<OptionSpec>& second) {
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

std::vector<CommandSpec> make_specs() {
  return {
      {.name = "demo",
       .summary = "train a two-layer MLP on a synthetic task and print the loss falling",
       .usage = "bytegrad demo [--steps N]",
       .example = "bytegrad demo --steps 200",
       .options = {{.name = "--steps", .value = "N", .default_value = "400", .meaning = "full-batch SGD steps"}}},
      {.name = "bench",
       .summary = "speed of the tensor core beside BLAS and Eigen (core), of training or decoding beside PyTorch, of T-Free (tfree); quality of converted weights (weights)",
       .usage = "bytegrad bench [core]  |  bytegrad bench train [OPTIONS]  |  bytegrad bench generate [OPTIONS]\n"
                "       |  bytegrad bench tfree [OPTIONS]\n"
                "       |  bytegrad bench weights [OPTIONS]  |  bytegrad bench sharded-generate [OPTIONS]\n"
                "       (bytegrad bench train --help, bench generate --help, bench tfree --help and bench weights --help list\n"
                "       their options)",
       .example = "bytegrad bench core",
       .positional = "BENCHMARK"},
      {.name = "bench train",
       .summary = "training throughput of stories15M- and GPT-2-shaped models beside PyTorch (on a GPU with MFU)",
       .usage = "bytegrad bench train [OPTIONS]",
       .example = "bytegrad bench train --device cuda --matmul-precision medium",
       .options = {
           {.name = "--device", .value = "cpu|cuda|cuda:N", .default_value = "cpu",
            .meaning = "where both sides train (cuda: GPT-2 124M at batch 16 x 1024)"},
           {.name = "--steps", .value = "N", .meaning = "timed steps per model (default: each model's own)"},
           {.name = "--model", .value = "stories15M|gpt2|tiny",
            .meaning = "only this model (default: both on the CPU, gpt2 on a GPU; tiny: a seconds-long check)"},
           {.name = "--matmul-precision", .value = "highest|high|medium", .default_value = "medium",
            .meaning = "float32 products on a GPU: float32, TF32 or bfloat16 inputs (the CPU always uses float32)"},
           {.name = "--peak-tflops", .value = "X", .default_value = "989",
            .meaning = "the GPU's peak that MFU divides by (989: H100 SXM, bfloat16 dense)"},
           {.name = "--profile", .meaning = "print the time per op of our training step"},
           {.name = "--no-torch", .meaning = "leave out the PyTorch column"},
           {.name = "--openblas-core", .value = "NAME", .meaning = "OPENBLAS_CORETYPE for both sides"},
           {.name = "--child", .value = "MODEL", .meaning = "run one model in this process (how the benchmark calls itself)"},
       }},
      {.name = "bench generate",
       .summary = "greedy decoding speed of llama2.c models beside llama2.c's run.c and PyTorch",
       .usage = "bytegrad bench generate [OPTIONS]",
       .example = "bytegrad bench generate --model stories15M --repeats 3",
       .options = {
           {.name = "--device", .value = "cpu|cuda|cuda:N", .default_value = "cpu",
            .meaning = "where ours and PyTorch decode (run.c and runq.c: the CPU only)"},
           {.name = "--repeats", .value = "N", .default_value = "5", .meaning = "timed runs per model (the median is shown)"},
           {.name = "--model", .value = "stories15M|stories110M|tiny",
            .meaning = "only this model (default: both stories; tiny: a seconds-long check)"},
           {.name = "--llama2c-run", .value = "PATH", .meaning = "also time this build of llama2.c's run.c on the same exported file"},
           {.name = "--llama2c-runq", .value = "PATH", .meaning = "also time this build of llama2.c's runq.c on the model exported as int8 groups (llama2c-q8)"},
           {.name = "--no-torch", .meaning = "leave out the PyTorch row"},
           {.name = "--weights", .value = "float32|bfloat16|int8", .default_value = "float32",
            .meaning = "the format our decode steps stream the weights in (int8: groups of 64, or 32 where 64 does not divide)"},
       }},
      {.name = "bench weights",
       .summary = "held-out loss and greedy agreement of a Llama decoded with bfloat16 and int8 weights against float32",
       .usage = "bytegrad bench weights --config FILE --model DIR [OPTIONS]",
       .example = "bytegrad bench weights --config configs/fortunes-llama.json --model runs/fortunes-llama/model",
       .options = {
           {.name = "--config", .value = "FILE", .meaning = "the run config that trained the model (its corpus, eval_fraction and seed)",
            .required = true},
           {.name = "--model", .value = "DIR", .meaning = "the Llama model directory, with its tokenizer", .required = true},
           {.name = "--documents", .value = "N", .default_value = "100", .meaning = "held-out documents to score"},
           {.name = "--new-tokens", .value = "N", .default_value = "32", .meaning = "greedy tokens decoded per document"},
           {.name = "--quantized", .value = "DIR",
            .meaning = "also a quantized directory of the same model (export --weights), decoded from its stored matrices",
            .repeatable = true},
       }},
      {.name = "bench sharded-generate",
       .summary = "greedy decoding from a ZeRO-3-sharded model, gathered per layer per token or once per call (run under mpirun)",
       .usage = "mpirun -np N bytegrad bench sharded-generate --model DIR [OPTIONS]",
       .example = "mpirun -np 2 --oversubscribe bytegrad bench sharded-generate --model runs/fortunes-llama/model",
       .options = {
           {.name = "--model", .value = "DIR", .meaning = "the model directory, with its tokenizer", .required = true},
           {.name = "--prompt", .value = "TEXT", .default_value = "The", .meaning = "the prompt, after an EOS"},
           {.name = "--tokens", .value = "N", .default_value = "64", .meaning = "greedy tokens per run"},
           {.name = "--repeats", .value = "N", .default_value = "3", .meaning = "timed runs of each kind (after one warm-up)"},
       }},
      {.name = "bench tfree",
       .summary = "T-Free trigram encoding in MB/s (cold and warm row cache) and dictionary decoding in words/s",
       .usage = "bytegrad bench tfree [OPTIONS]",
       .example = "bytegrad bench tfree --dictionary-words 100000",
       .options = joined(
           {
               {.name = "--text", .value = "FILE", .meaning = "text to encode (default: Debian's fortunes)",
                .repeatable = true},
               {.name = "--dictionary-words", .value = "N", .default_value = "100000",
                .meaning = "dictionary size for decoding (corpus words, then synthetic ones)"},
               {.name = "--repeats", .value = "N", .default_value = "5", .meaning = "timed runs (the best is shown)"},
           },
           tfree_hash_options())},
      {.name = "info",
       .summary = "print the build configuration and the devices present, and with --model DIR the model and its tokenizer",
       .usage = "bytegrad info [--model DIR]",
       .example = "bytegrad info --model runs/fortunes-llama/model",
       .options = {
           {.name = "--model", .value = "DIR", .meaning = "also describe this model directory and its tokenizer"},
       }},
      {.name = "summary",
       .summary = "a model directory's architecture, parameters per module, dtypes, bytes and activation memory",
       .usage = "bytegrad summary --model DIR [--batch B] [--seq-len T]",
       .example = "bytegrad summary --model runs/shakespeare/model --batch 8 --seq-len 256",
       .options = {
           {.name = "--model", .value = "DIR", .meaning = "Hugging Face model directory", .required = true},
           {.name = "--batch", .value = "B", .default_value = "1", .meaning = "sequences per forward pass"},
           {.name = "--seq-len", .value = "T", .meaning = "tokens per sequence (default: the model's context)"},
       }},
      {.name = "tokenize",
       .summary = "encode stdin to token ids (or --decode ids) with a tokenizer.json, .model or tiktoken file",
       .usage = "bytegrad tokenize --tokenizer PATH [OPTIONS] < TEXT",
       .example = "echo 'hello world' | bytegrad tokenize --tokenizer tokenizer.json --format pieces",
       .options = {
           {.name = "--tokenizer", .value = "PATH", .meaning = "tokenizer.json, SentencePiece .model or tiktoken ranks",
            .required = true},
           {.name = "--pattern", .value = "NAME", .meaning = "pre-tokenizer pattern of a tiktoken file (gpt2, cl100k, ...)"},
           {.name = "--format", .value = "ids|pieces|json", .default_value = "ids", .meaning = "what to print"},
           {.name = "--add-special", .meaning = "add the tokenizer's special tokens (BOS)"},
           {.name = "--parse-special", .meaning = "turn special-token text in the input into its id"},
           {.name = "--decode", .meaning = "read ids from stdin and print their text"},
           {.name = "--skip-special", .meaning = "with --decode, leave special tokens out"},
       }},
      {.name = "tokenizer-train",
       .summary = "learn a byte-level BPE from text files and write a tokenizer.json",
       .usage = "bytegrad tokenizer-train --input FILE --vocab-size N --output FILE [OPTIONS]",
       .example = "bytegrad tokenizer-train --input corpus.txt --vocab-size 4096 --output tokenizer.json",
       .options = {
           {.name = "--input", .value = "FILE", .meaning = "text file; each line is one text", .required = true,
            .repeatable = true},
           {.name = "--vocab-size", .value = "N", .meaning = "tokens in the vocabulary, special tokens included",
            .required = true},
           {.name = "--output", .value = "FILE", .meaning = "the tokenizer.json to write", .required = true},
           {.name = "--pattern", .value = "gpt2|cl100k", .default_value = "gpt2", .meaning = "pre-tokenizer pattern"},
           {.name = "--special", .value = "TOKEN", .meaning = "a special token to add", .repeatable = true},
           {.name = "--min-pair-count", .value = "N", .meaning = "stop merging below this pair count (default: 2)"},
       }},
      {.name = "tokenizer-bench",
       .summary = "tokenizer encoding speed, single-threaded and batch-parallel, beside spm_encode",
       .usage = "bytegrad tokenizer-bench --text FILE --tokenizer PATH [OPTIONS]",
       .example = "bytegrad tokenizer-bench --text corpus.txt --tokenizer tokenizer.model --repeat 5",
       .options = {
           {.name = "--text", .value = "FILE", .meaning = "text to encode, line by line", .required = true},
           {.name = "--tokenizer", .value = "PATH", .meaning = "tokenizer to time", .required = true, .repeatable = true},
           {.name = "--pattern", .value = "NAME", .meaning = "pre-tokenizer pattern of tiktoken files"},
           {.name = "--repeat", .value = "N", .default_value = "3", .meaning = "runs per measurement (the best counts)"},
       }},
      {.name = "train",
       .summary = "train a language model from a JSON config",
       .usage = "bytegrad train (--config FILE [--overwrite] | --resume DIR) [--set KEY=VALUE ...] [--detect-anomaly]",
       .example = "bytegrad train --config configs/shakespeare.json --set training.steps=200",
       .options = {
           {.name = "--config", .value = "FILE", .meaning = "the JSON run config (a resumed run reads its own)"},
           {.name = "--set", .value = "KEY=VALUE", .meaning = "override one config key (dotted path, JSON value)",
            .repeatable = true},
           {.name = "--resume", .value = "DIR",
            .meaning = "continue the run of a run directory or checkpoint, with the config it saved"},
           {.name = "--overwrite", .meaning = "replace an earlier run's checkpoints and files in output_dir"},
           {.name = "--detect-anomaly",
            .meaning = "check every op's output and gradient; stop at the first NaN, naming the op and module"},
       }},
      {.name = "prep",
       .summary = "tokenize a training config's corpus into llm.c token shards (train.bin, val.bin); a T-Free "
                  "config's into a MemoryMap with its aligned index",
       .usage = "bytegrad prep --config FILE [--set KEY=VALUE ...]",
       .example = "bytegrad prep --config configs/shakespeare.json",
       .options = run_config_options()},
      {.name = "export",
       .summary = "turn a training run or a model directory into a Hugging Face model directory (float32, bfloat16 or int8) "
                  "or a llama2.c .bin (float32 or int8)",
       .usage = "bytegrad export --checkpoint RUN_DIR --out PATH [--format hf|llama2c|llama2c-q8] [--weights FORMAT]\n"
                "       |  bytegrad export --model DIR --out DIR2 [--weights float32|bfloat16|int8]",
       .example = "bytegrad export --checkpoint runs/shakespeare --format hf --weights int8 --out runs/shakespeare/model-int8",
       .options = {
           {.name = "--checkpoint", .value = "RUN_DIR", .meaning = "training run directory (its newest checkpoint)"},
           {.name = "--model", .value = "DIR", .meaning = "a model directory instead of a run (--format hf only)"},
           {.name = "--format", .value = "hf|llama2c|llama2c-q8", .default_value = "hf",
            .meaning = "what to write (llama2c-q8: int8 groups of 64, llama2.c's version 2 for runq.c)"},
           {.name = "--weights", .value = "float32|bfloat16|int8", .default_value = "float32",
            .meaning = "how an hf directory stores a Llama's matrices (int8: groups of 64, or the largest half of it "
                       "dividing every row, with float32 scales); generate decodes a quantized directory in its format"},
           {.name = "--out", .value = "PATH", .meaning = "directory (hf) or file (llama2c, llama2c-q8) to write", .required = true},
       }},
      {.name = "sft",
       .summary = "fine-tune a model directory on prompt/response or chat JSONL",
       .usage = "bytegrad sft --config FILE [--set KEY=VALUE ...] [--overwrite] [--detect-anomaly]",
       .example = "bytegrad sft --config configs/sft_addition.json",
       .options = joined(run_config_options(),
                         {{.name = "--overwrite", .meaning = "replace an earlier fine-tuning run's model and files in output_dir"},
                          {.name = "--detect-anomaly",
                           .meaning = "check every op's output and gradient; stop at the first NaN, naming the op and module"}})},
      {.name = "sft-data",
       .summary = "write a generated fine-tuning task as train/eval JSONL",
       .usage = "bytegrad sft-data --task addition|reverse --out DIR [OPTIONS]",
       .example = "bytegrad sft-data --task addition --out data/addition --digits 3",
       .options = {
           {.name = "--task", .value = "addition|reverse", .meaning = "the task", .required = true},
           {.name = "--out", .value = "DIR", .meaning = "where train.jsonl and eval.jsonl go", .required = true},
           {.name = "--train", .value = "N", .default_value = "4000", .meaning = "training examples"},
           {.name = "--eval", .value = "N", .default_value = "200", .meaning = "held-out examples"},
           {.name = "--seed", .value = "S", .default_value = "0", .meaning = "random seed"},
           {.name = "--digits", .value = "D", .default_value = "2", .meaning = "digits per number"},
       }},
      {.name = "soft-tokenizer",
       .summary = "learn token embeddings from bytes: train the soft byte-to-token encoder on a host model",
       .usage = "bytegrad soft-tokenizer train --model HOST_DIR [OPTIONS]\n"
                "       (bytegrad soft-tokenizer train --help lists its options)",
       .example = "bytegrad soft-tokenizer train --model runs/fortunes-llama/model --config configs/soft-tokenizer.json",
       .positional = "ACTION"},
      {.name = "soft-tokenizer train",
       .summary = "train the soft encoder on a host's input embeddings, plug it in, fine-tune it end to end",
       .usage = "bytegrad soft-tokenizer train --model HOST_DIR [--config FILE] [--set KEY=VALUE ...] [OPTIONS]",
       .example = "bytegrad soft-tokenizer train --model runs/fortunes-llama/model --config configs/soft-tokenizer.json "
                  "--set training.steps=500 --report report.json",
       .options = {
           {.name = "--model", .value = "HOST_DIR", .meaning = "the host's model directory, with its tokenizer",
            .required = true},
           {.name = "--config", .value = "FILE", .meaning = "JSON config (train/soft_encoder/soft_tokenizer_config.h)"},
           {.name = "--set", .value = "KEY=VALUE", .meaning = "override one config key (dotted path, JSON value)",
            .repeatable = true},
           {.name = "--output", .value = "DIR", .meaning = "where the run's files go (the config's output_dir)"},
           {.name = "--resume", .value = "RUN_DIR",
            .meaning = "continue a run from its newest checkpoint, with the config it saved"},
           {.name = "--report", .value = "FILE", .meaning = "write the accuracies and host losses as one JSON object"},
       }},
      {.name = "generate",
       .summary = "continue a prompt with a model directory, streaming the text",
       .usage = "bytegrad generate --model DIR --prompt TEXT [OPTIONS]",
       .example = "bytegrad generate --model runs/shakespeare/model --prompt 'ROMEO:' --temperature 0.8",
       .options = joined(sampling_options(),
                         {
                             {.name = "--prompt", .value = "TEXT", .meaning = "the text to continue", .required = true},
                             {.name = "--soft-encoder", .value = "DIR",
                              .meaning = "soft encoder directory: each [[word]] of the prompt is one position it embeds"},
                             {.name = "--soft-table",
                              .meaning = "with --soft-encoder, every ordinary token's embedding from the encoder too"},
                             {.name = "--echo", .meaning = "print the prompt before the continuation"},
                             {.name = "--logprobs",
                              .meaning = "end with a JSON line of the tokens and their log-probs"},
                             {.name = "--edge-weight", .value = "L", .default_value = "1",
                              .meaning = "T-Free: weight of a dictionary word's edge trigram ids (the paper: below 0.8)"},
                             {.name = "--tfree-score", .value = "outside|mean", .default_value = "outside",
                              .meaning = "T-Free: pattern mean minus the mean outside it (the original's latest), or the mean"},
                             {.name = "--more-words", .value = "TEXT",
                              .meaning = "T-Free: add the words of TEXT to the dictionary", .repeatable = true},
                         })},
      {.name = "chat",
       .summary = "talk with a model directory on stdin, composing the chat template at token level",
       .usage = "bytegrad chat --model DIR [OPTIONS]",
       .example = "bytegrad chat --model models/TinyLlama-Chat --system 'You are terse.'",
       .options = joined(sampling_options(),
                         {
                             {.name = "--template", .value = "llama2|chatml|llama3",
                              .meaning = "chat template (default: the one whose markers the tokenizer has)"},
                             {.name = "--system", .value = "TEXT", .meaning = "a system message to start with"},
                         })},
      {.name = "score",
       .summary = "per-token log-probs and entropy of JSONL {\"prompt\", \"response\"} lines on stdin",
       .usage = "bytegrad score --model DIR < EXAMPLES.jsonl",
       .example = "echo '{\"prompt\": \"2+2=\", \"response\": \"4\"}' | bytegrad score --model runs/sft/model",
       .options = {{.name = "--model", .value = "DIR", .meaning = "Hugging Face model directory with a tokenizer",
                    .required = true}}},
      {.name = "tfree",
       .summary = "T-Free words: encode text to words and trigram patterns, build a decoding dictionary, compare with BPE",
       .usage = "bytegrad tfree encode [OPTIONS] < TEXT  |  bytegrad tfree dictionary --corpus FILE --out FILE [OPTIONS]\n"
                "       |  bytegrad tfree stats --text FILE [--tokenizer PATH...]\n"
                "       |  bytegrad tfree accuracy --config FILE --model DIR [OPTIONS]\n"
                "       (bytegrad tfree encode --help, tfree dictionary --help, tfree stats --help and tfree accuracy "
                "--help list their options)",
       .example = "echo 'Hello World!' | bytegrad tfree encode --vocab-size 8000 --population 10",
       .positional = "SUBCOMMAND"},
      {.name = "tfree encode",
       .summary = "print {\"words\", \"patterns\", \"text\"} of UTF-8 stdin as one JSON object",
       .usage = "bytegrad tfree encode [--vocab-size V] [--population M] [--lowercase-overlap K] < TEXT",
       .example = "echo 'Hello World!' | bytegrad tfree encode --vocab-size 8000 --population 10 --lowercase-overlap 2",
       .options = tfree_hash_options()},
      {.name = "tfree dictionary",
       .summary = "build a T-Free decoding dictionary from the word counts of text files",
       .usage = "bytegrad tfree dictionary --corpus FILE [--corpus FILE...] --out FILE [OPTIONS]",
       .example = "bytegrad tfree dictionary --corpus corpus.txt --top 50000 --out dictionary.jsonl",
       .options = joined(
           {
               {.name = "--corpus", .value = "FILE", .meaning = "UTF-8 text whose words are counted", .required = true,
                .repeatable = true},
               {.name = "--top", .value = "N", .default_value = "100000", .meaning = "most frequent words kept"},
               {.name = "--out", .value = "FILE", .meaning = "the dictionary to write (JSON lines)", .required = true},
               {.name = "--more-words", .value = "TEXT", .meaning = "add the words of TEXT too", .repeatable = true},
           },
           tfree_hash_options())},
      {.name = "tfree accuracy",
       .summary = "held-out next-word accuracy of a T-Free or a token model, judged on the same words",
       .usage = "bytegrad tfree accuracy --config FILE --model DIR [--documents N] [--words N]",
       .example = "bytegrad tfree accuracy --config configs/fortunes-tfree.json --model runs/fortunes-tfree/model",
       .options = {
           {.name = "--config", .value = "FILE", .meaning = "the run config whose held-out documents are judged",
            .required = true},
           {.name = "--set", .value = "KEY=VALUE", .meaning = "override one config key", .repeatable = true},
           {.name = "--model", .value = "DIR", .meaning = "model directory (T-Free with its dictionary, or with a tokenizer)",
            .required = true},
           {.name = "--documents", .value = "N", .default_value = "200", .meaning = "held-out documents judged at most"},
           {.name = "--words", .value = "N", .default_value = "32", .meaning = "first words of each document judged"},
       }},
      {.name = "tfree stats",
       .summary = "fertility and near-duplicate vocabulary entries of T-Free words beside subword tokenizers",
       .usage = "bytegrad tfree stats --text FILE [--text FILE...] [--tokenizer PATH...] [--pattern NAME]",
       .example = "bytegrad tfree stats --text english.txt --text german.txt --tokenizer llama3/tokenizer.json",
       .options = {
           {.name = "--text", .value = "FILE", .meaning = "UTF-8 text to measure fertility on", .required = true,
            .repeatable = true},
           {.name = "--tokenizer", .value = "PATH", .meaning = "a subword tokenizer to compare (tokenizer.json, .model, ...)",
            .repeatable = true},
           {.name = "--pattern", .value = "NAME", .meaning = "pre-tokenizer pattern of tiktoken files"},
       }},
      {.name = "plot",
       .summary = "draw a metrics.jsonl loss curve as SVG",
       .usage = "bytegrad plot METRICS.jsonl [-o FILE.svg] [--title TEXT]",
       .example = "bytegrad plot runs/shakespeare/metrics.jsonl -o loss.svg",
       .positional = "METRICS.jsonl",
       .positional_required = true,
       .options = {
           {.name = "--output", .alias = "-o", .value = "FILE", .default_value = "loss.svg", .meaning = "the SVG to write"},
           {.name = "--title", .value = "TEXT", .meaning = "the chart's title (default: the input path)"},
       }},
  };
}

}  // namespace

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = make_specs();
  return specs;
}

const CommandSpec& command_spec(std::string_view name) {
  for (const CommandSpec& spec : command_specs())
    if (spec.name == name) return spec;
  throw std::logic_error("no command spec named '" + std::string(name) + "'");
}

}  // namespace bytegrad::tools
