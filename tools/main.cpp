// `bytegrad SUBCOMMAND [ARGS...]`: the single command-line entry point.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "tools/commands.h"

namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const bytegrad::tools::Args&);
};

constexpr Command kCommands[] = {
    {"demo", "train a two-layer MLP on a synthetic task and print the loss falling",
     bytegrad::tools::run_demo},
    {"bench", "benchmark matmul, elementwise, softmax and op dispatch against the libraries below",
     bytegrad::tools::run_bench},
    {"info", "print the build configuration and the devices present, and with --model DIR the model and its "
             "tokenizer",
     bytegrad::tools::run_info},
    {"tokenize", "encode stdin to token ids (or --decode ids) with a tokenizer.json, .model or tiktoken file",
     bytegrad::tools::run_tokenize},
    {"tokenizer-train", "learn a byte-level BPE from text files and write a tokenizer.json",
     bytegrad::tools::run_tokenizer_train},
    {"tokenizer-bench", "tokenizer encoding speed, single-threaded and batch-parallel, beside spm_encode",
     bytegrad::tools::run_tokenizer_bench},
    {"train", "train a language model from a JSON config (--config FILE [--set KEY=VALUE] [--resume DIR])",
     bytegrad::tools::run_train},
    {"prep", "tokenize a training config's corpus into llm.c token shards (train.bin, val.bin)",
     bytegrad::tools::run_prep},
    {"export", "turn a training run into a Hugging Face model directory or a llama2.c .bin "
               "(--checkpoint RUN_DIR --format hf|llama2c --out PATH)",
     bytegrad::tools::run_export},
    {"sft", "fine-tune a model directory on prompt/response or chat JSONL (--config FILE [--set KEY=VALUE])",
     bytegrad::tools::run_sft},
    {"sft-data", "write a generated fine-tuning task as train/eval JSONL (--task addition|reverse --out DIR)",
     bytegrad::tools::run_sft_data},
    {"generate", "continue a prompt with a model directory, streaming the text (--model DIR --prompt TEXT "
                 "[--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--echo] [--logprobs])",
     bytegrad::tools::run_generate},
    {"chat", "talk with a model directory on stdin, composing the chat template at token level (--model DIR "
             "[--template llama2|chatml|llama3] [--system TEXT])",
     bytegrad::tools::run_chat},
    {"score", "per-token log-probs and entropy of JSONL {\"prompt\", \"response\"} lines on stdin (--model DIR)",
     bytegrad::tools::run_score},
    {"plot", "draw a metrics.jsonl loss curve as SVG (plot METRICS.jsonl -o loss.svg)", bytegrad::tools::run_plot},
};

// "bytegrad COMMAND: MESSAGE", the prefix said once: library errors often name their component
// already ("generate: prompt 0 is empty"), and when it is the command's name it is not repeated.
void print_error(std::string_view command, std::string_view message) {
  const std::string prefix = std::string(command) + ": ";
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  std::fprintf(stderr, "bytegrad %.*s: %.*s\n", int(command.size()), command.data(), int(message.size()),
               message.data());
}

void print_usage() {
  std::printf("usage: bytegrad COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : kCommands)
    std::printf("  %-18.*s %.*s\n", int(c.name.size()), c.name.data(), int(c.summary.size()),
                c.summary.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string_view name = argv[1];
  bytegrad::tools::Args args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (c.name != name) continue;
    try {
      return c.run(args);
    } catch (const std::exception& e) {
      print_error(name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "bytegrad: unknown command '%.*s'\n\n", int(name.size()), name.data());
  print_usage();
  return 2;
}
