// The metrics log (JSONL) and its SVG loss curve.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/process_memory.h"
#include "tests/test_util.h"
#include "train/loss_plot.h"
#include "train/metrics.h"

namespace bytegrad::train {

TEST_CASE("metrics lines round-trip, eval_loss only where present") {
  const std::filesystem::path path = BYTEGRAD_BINARY_DIR "/metrics_test.jsonl";
  {
    MetricsLog log(path, false);
    log.write({.step = 1, .loss = 4.5, .lr = 1e-3, .grad_norm = 2.0, .tokens_per_second = 1000});
    log.write({.step = 2, .loss = 4.0, .lr = 2e-3, .grad_norm = 1.5, .tokens_per_second = 1100, .eval_loss = 4.2});
  }
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  CHECK(first == R"({"step":1,"loss":4.5,"lr":0.001,"grad_norm":2.0,"tokens_per_second":1000.0})");
  const std::vector<MetricsRecord> records = read_metrics(path);
  REQUIRE(records.size() == 2);
  CHECK_FALSE(records[0].eval_loss.has_value());
  CHECK(records[1].eval_loss.value() == 4.2);
  CHECK(records[1].lr == 2e-3);
  std::filesystem::remove(path);
}

TEST_CASE("resident memory follows what the process touches and is logged with one decimal") {
  const double before = resident_mib();
  REQUIRE(before > 0);
  std::vector<char> block(size_t(64) << 20);
  for (size_t i = 0; i < block.size(); i += 4096) block[i] = 1;  // touch every page
  const double after = resident_mib();
  CHECK(after - before > 48);  // 64 MiB touched; the allocator may reuse a little freed memory
  CHECK(peak_resident_mib() >= after - 1);
  CHECK(block[block.size() - 4096] == 1);

  const std::filesystem::path path = BYTEGRAD_BINARY_DIR "/metrics_rss.jsonl";
  {
    MetricsLog log(path, false);
    log.write({.step = 1, .loss = 4.5, .lr = 1e-3, .grad_norm = 2.0, .tokens_per_second = 1000, .resident_mib = 101.26});
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == R"({"step":1,"loss":4.5,"lr":0.001,"grad_norm":2.0,"tokens_per_second":1000.0,"rss_mib":101.3})");
  CHECK(read_metrics(path).at(0).resident_mib == doctest::Approx(101.3));
  std::filesystem::remove(path);
}

TEST_CASE("a diverged step is written as valid JSON with null values and read back as NaN") {
  const std::filesystem::path path = BYTEGRAD_BINARY_DIR "/metrics_nonfinite.jsonl";
  {
    MetricsLog log(path, false);
    log.write({.step = 1, .loss = 4.5, .lr = 1e-3, .grad_norm = 2.0, .tokens_per_second = 1000});
    log.write({.step = 2, .loss = NAN, .lr = 1e-3, .grad_norm = INFINITY, .tokens_per_second = 1000,
               .eval_loss = -INFINITY, .skipped = true});
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  CHECK(line == R"({"step":2,"loss":null,"lr":0.001,"grad_norm":null,"tokens_per_second":1000.0,"eval_loss":null,"skipped":true})");
  const std::vector<MetricsRecord> records = read_metrics(path);
  REQUIRE(records.size() == 2);
  CHECK_FALSE(records[0].skipped);
  CHECK(records[1].skipped);
  CHECK(std::isnan(records[1].loss));
  CHECK(std::isnan(records[1].grad_norm));
  CHECK(std::isnan(records[1].eval_loss.value()));
  const std::string svg = loss_curve_svg(records, "diverged");
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("<polyline") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("truncate_metrics keeps the steps up to a resumed checkpoint and drops a line cut short") {
  const std::filesystem::path path = BYTEGRAD_BINARY_DIR "/metrics_truncate.jsonl";
  std::ofstream(path) << "{\"step\": 1, \"loss\": 3}\n{\"step\": 2, \"loss\": 2}\n{\"step\": 3, \"loss\": 1}\n{\"step\": 4, \"lo";
  truncate_metrics(path, 2);
  const std::vector<MetricsRecord> records = read_metrics(path);
  REQUIRE(records.size() == 2);
  CHECK(records[1].step == 2);
  truncate_metrics(BYTEGRAD_BINARY_DIR "/metrics_missing.jsonl", 5);
  CHECK_FALSE(std::filesystem::exists(BYTEGRAD_BINARY_DIR "/metrics_missing.jsonl"));
  std::filesystem::remove(path);
}

TEST_CASE("a malformed metrics line is an error naming the file and line") {
  const std::filesystem::path path = BYTEGRAD_BINARY_DIR "/metrics_bad.jsonl";
  std::ofstream(path) << "{\"step\": 1, \"loss\": 2}\nnot json\n";
  CHECK(testing::error_of([&] { read_metrics(path); }).find("metrics_bad.jsonl:2") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("the loss curve is an SVG with the training line and eval dots") {
  const std::string svg = loss_curve_svg({{.step = 1, .loss = 5.0}, {.step = 2, .loss = 3.0, .eval_loss = 3.5}}, "a < b");
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("<polyline") != std::string::npos);
  CHECK(svg.find("<circle") != std::string::npos);
  CHECK(svg.find("a &lt; b") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(testing::error_of([] { loss_curve_svg({}, "empty"); }).find("no metrics") != std::string::npos);
}

}  // namespace bytegrad::train
