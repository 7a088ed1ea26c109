#include "train/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace bytegrad::train {
namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A "nice" tick spacing (1, 2 or 5 times a power of ten) giving about `count` ticks over `range`.
double tick_step(double range, int count) {
  const double raw = range / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

// Maps data coordinates onto the plot area of the chart.
struct Frame {
  double x0, x1, y0, y1;                 // data range
  double left, right, top, bottom;       // pixel box
  double x(double v) const { return left + (v - x0) / (x1 - x0) * (right - left); }
  double y(double v) const { return bottom - (v - y0) / (y1 - y0) * (bottom - top); }
};

}  // namespace

std::string loss_curve_svg(const std::vector<MetricsRecord>& records, const std::string& title, int width,
                           int height) {
  BYTEGRAD_CHECK(!records.empty(), "loss plot: no metrics records to plot");
  double x_max = 1, y_min = INFINITY, y_max = -INFINITY;
  for (const MetricsRecord& r : records) {
    x_max = std::max(x_max, double(r.step));
    for (double v : {r.loss, r.eval_loss.value_or(r.loss)})
      if (std::isfinite(v)) y_min = std::min(y_min, v), y_max = std::max(y_max, v);
  }
  if (!std::isfinite(y_min)) y_min = 0, y_max = 1;
  if (y_max - y_min < 1e-9) y_max = y_min + 1;
  const double pad = 0.05 * (y_max - y_min);
  const Frame f{0, x_max, std::max(0.0, y_min - pad), y_max + pad, 70, width - 20.0, 40, height - 50.0};

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + format("%.1f", width / 2.0) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" +
         escape_xml(title) + "</text>\n";
  // Grid lines and tick labels.
  const double dy = tick_step(f.y1 - f.y0, 6);
  for (double v = std::ceil(f.y0 / dy) * dy; v <= f.y1 + 1e-12; v += dy) {
    const std::string y = format("%.1f", f.y(v));
    svg += "<line x1=\"" + format("%.1f", f.left) + "\" x2=\"" + format("%.1f", f.right) + "\" y1=\"" + y +
           "\" y2=\"" + y + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + format("%.1f", f.left - 6) + "\" y=\"" + y + "\" dy=\"4\" text-anchor=\"end\">" +
           format("%g", std::round(v / dy) * dy) + "</text>\n";
  }
  const double dx = tick_step(f.x1 - f.x0, 8);
  for (double v = 0; v <= f.x1 + 1e-12; v += dx) {
    const std::string x = format("%.1f", f.x(v));
    svg += "<line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + format("%.1f", f.top) + "\" y2=\"" +
           format("%.1f", f.bottom) + "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"" + x + "\" y=\"" + format("%.1f", f.bottom + 16) + "\" text-anchor=\"middle\">" +
           format("%g", v) + "</text>\n";
  }
  svg += "<rect x=\"" + format("%.1f", f.left) + "\" y=\"" + format("%.1f", f.top) + "\" width=\"" +
         format("%.1f", f.right - f.left) + "\" height=\"" + format("%.1f", f.bottom - f.top) +
         "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + format("%.1f", (f.left + f.right) / 2) + "\" y=\"" + format("%.1f", height - 12.0) +
         "\" text-anchor=\"middle\">step</text>\n";
  svg += "<text transform=\"translate(18," + format("%.1f", (f.top + f.bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">loss (nats/token)</text>\n";
  // The training loss as one polyline, the eval loss as dots.
  svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
  for (const MetricsRecord& r : records)
    if (std::isfinite(r.loss)) svg += format("%.1f,", f.x(double(r.step))) + format("%.1f ", f.y(r.loss));
  svg += "\"/>\n";
  for (const MetricsRecord& r : records)
    if (r.eval_loss && std::isfinite(*r.eval_loss))
      svg += "<circle cx=\"" + format("%.1f", f.x(double(r.step))) + "\" cy=\"" + format("%.1f", f.y(*r.eval_loss)) +
             "\" r=\"4\" fill=\"#d62728\"/>\n";
  // Legend, top right.
  const double lx = f.right - 150, ly = f.top + 16;
  svg += "<line x1=\"" + format("%.1f", lx) + "\" x2=\"" + format("%.1f", lx + 24) + "\" y1=\"" + format("%.1f", ly) +
         "\" y2=\"" + format("%.1f", ly) + "\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n";
  svg += "<text x=\"" + format("%.1f", lx + 30) + "\" y=\"" + format("%.1f", ly + 4) + "\">train loss</text>\n";
  svg += "<circle cx=\"" + format("%.1f", lx + 12) + "\" cy=\"" + format("%.1f", ly + 20) + "\" r=\"4\" fill=\"#d62728\"/>\n";
  svg += "<text x=\"" + format("%.1f", lx + 30) + "\" y=\"" + format("%.1f", ly + 24) + "\">eval loss</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace bytegrad::train
