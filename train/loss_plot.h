// A loss-curve chart as a standalone SVG document, drawn by hand (no plotting library): the
// training loss per step as a line, the eval loss as dots, axes with tick labels, and a legend.
#pragma once

#include <string>
#include <vector>

#include "train/metrics.h"

namespace bytegrad::train {

// The SVG text (width x height pixels) of `records` titled `title`. Throws Error when there
// is no record.
std::string loss_curve_svg(const std::vector<MetricsRecord>& records, const std::string& title,
                           int width = 800, int height = 480);

}  // namespace bytegrad::train
