// `bytegrad plot METRICS.jsonl [-o loss.svg] [--title TEXT]`
// Draws the loss curve of a training run's metrics log as an SVG file.
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "tools/command_specs.h"
#include "tools/commands.h"
#include "train/loss_plot.h"

namespace bytegrad::tools {

int run_plot(const Args& args) {
  const Options options = parse_options(command_spec("plot"), args);
  const std::string input = *options.positional(), output = options.get("--output");
  const std::string title = options.value("--title").value_or(input);
  const std::vector<train::MetricsRecord> records = train::read_metrics(input);
  std::ofstream out(output);
  out << train::loss_curve_svg(records, title);
  if (!out.good()) throw std::runtime_error("cannot write '" + output + "'");
  std::printf("plotted %zu steps -> %s\n", records.size(), output.c_str());
  return 0;
}

}  // namespace bytegrad::tools
