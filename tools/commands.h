// The subcommands of the `bytegrad` program. Each lives in its own tools/cmd_*.cpp file, is
// listed once in tools/main.cpp and declares its options in tools/command_specs.cpp.
#pragma once

#include <string>
#include <vector>

namespace bytegrad::tools {

using Args = std::vector<std::string>;

// Each returns the process exit code. `args` excludes the program and subcommand names; each
// reads them with parse_options (tools/options.h), which throws HelpRequested or UsageError.
int run_demo(const Args& args);
int run_bench(const Args& args);
int run_info(const Args& args);
int run_summary(const Args& args);
int run_tokenize(const Args& args);
int run_tokenizer_train(const Args& args);
int run_tokenizer_bench(const Args& args);
int run_train(const Args& args);
int run_plot(const Args& args);
int run_prep(const Args& args);
int run_sft(const Args& args);
int run_sft_data(const Args& args);
int run_export(const Args& args);
int run_generate(const Args& args);
int run_chat(const Args& args);
int run_score(const Args& args);
int run_tfree(const Args& args);
int run_soft_tokenizer(const Args& args);

}  // namespace bytegrad::tools
