// `bytegrad SUBCOMMAND [ARGS...]`: the single command-line entry point. The subcommands' options
// are declared in tools/command_specs.cpp; `bytegrad CMD --help` prints them.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "tools/command_specs.h"
#include "tools/commands.h"
#include "tools/wait_policy.h"

namespace {

using bytegrad::tools::Args;

struct Command {
  std::string_view name;
  int (*run)(const Args&);
};

constexpr Command kCommands[] = {
    {"demo", bytegrad::tools::run_demo},
    {"bench", bytegrad::tools::run_bench},
    {"info", bytegrad::tools::run_info},
    {"summary", bytegrad::tools::run_summary},
    {"tokenize", bytegrad::tools::run_tokenize},
    {"tokenizer-train", bytegrad::tools::run_tokenizer_train},
    {"tokenizer-bench", bytegrad::tools::run_tokenizer_bench},
    {"train", bytegrad::tools::run_train},
    {"prep", bytegrad::tools::run_prep},
    {"export", bytegrad::tools::run_export},
    {"sft", bytegrad::tools::run_sft},
    {"sft-data", bytegrad::tools::run_sft_data},
    {"generate", bytegrad::tools::run_generate},
    {"chat", bytegrad::tools::run_chat},
    {"score", bytegrad::tools::run_score},
    {"tfree", bytegrad::tools::run_tfree},
    {"plot", bytegrad::tools::run_plot},
    {"soft-tokenizer", bytegrad::tools::run_soft_tokenizer},
};

// "bytegrad COMMAND: MESSAGE", the prefix said once: library errors often name their component
// already ("generate: prompt 0 is empty"), and when it is the command's name it is not repeated.
void print_error(std::string_view command, std::string_view message) {
  const std::string prefix = std::string(command) + ": ";
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  std::fprintf(stderr, "bytegrad %.*s: %.*s\n", int(command.size()), command.data(), int(message.size()),
               message.data());
}

// The subcommands with their one-line summaries (nested benchmarks are listed by bench --help).
void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: bytegrad COMMAND [OPTIONS]\n       bytegrad COMMAND --help\n       bytegrad --version\n\n"
                    "commands:\n");
  for (const Command& c : kCommands) {
    const auto& summary = bytegrad::tools::command_spec(c.name).summary;
    std::fprintf(out, "  %-16.*s %s\n", int(c.name.size()), c.name.data(), summary.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stdout);
    return 2;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h") {
    print_usage(stdout);
    return 0;
  }
  if (first == "--version") {
    std::printf("bytegrad %s\n", BYTEGRAD_VERSION);
    return 0;
  }
  bytegrad::tools::restart_with_preferred_wait_policy(argc, argv);
  const Args args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (c.name != first) continue;
    try {
      return c.run(args);
    } catch (const bytegrad::tools::HelpRequested& help) {
      std::fputs(help.what(), stdout);
      return 0;
    } catch (const bytegrad::tools::UsageError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      print_error(first, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "bytegrad: unknown command '%.*s' (see bytegrad --help)\n", int(first.size()), first.data());
  return 2;
}
