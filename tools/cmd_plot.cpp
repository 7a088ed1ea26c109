// `bytegrad plot METRICS.jsonl [-o loss.svg] [--title TEXT]`
// Draws the loss curve of a training run's metrics log as an SVG file.
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "tools/commands.h"
#include "train/loss_plot.h"

namespace bytegrad::tools {

int run_plot(const Args& args) {
  std::string input, output = "loss.svg", title;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-o" || arg == "--output" || arg == "--title") {
      if (i + 1 >= args.size()) throw std::runtime_error(arg + " needs a value");
      (arg == "--title" ? title : output) = args[++i];
    } else if (arg.starts_with("-") || !input.empty()) {
      throw std::runtime_error("unexpected argument '" + arg + "' (usage: plot METRICS.jsonl [-o FILE.svg] [--title TEXT])");
    } else {
      input = arg;
    }
  }
  if (input.empty()) throw std::runtime_error("missing METRICS.jsonl (usage: plot METRICS.jsonl [-o FILE.svg])");
  const std::vector<train::MetricsRecord> records = train::read_metrics(input);
  std::ofstream out(output);
  out << train::loss_curve_svg(records, title.empty() ? input : title);
  if (!out.good()) throw std::runtime_error("cannot write '" + output + "'");
  std::printf("plotted %zu steps -> %s\n", records.size(), output.c_str());
  return 0;
}

}  // namespace bytegrad::tools
