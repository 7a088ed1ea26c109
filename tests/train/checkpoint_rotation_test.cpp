// A run's checkpoints: checkpoint-STEP directories, the oldest pruned beyond keep_last, and the
// newest complete one (or the older single checkpoint/) chosen to resume.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"
#include "tests/scratch_directory.h"
#include "train/checkpoint.h"
#include "train/training_checkpoint.h"

namespace bytegrad::train {
namespace {

using bytegrad::testing::error_of;
using namespace bytegrad::testing;

void save_step(const std::string& run, int64_t step) {
  save_checkpoint(run + "/" + checkpoint_name(step), {{"w", full({2}, double(step))}}, {}, {{"step", step}});
}

}  // namespace

TEST_CASE("checkpoints: pruning keeps the newest keep_last by step, not by name") {
  const std::string run = scratch_directory("rotation_prune");
  for (int64_t step : {5, 100, 20, 1000}) save_step(run, step);
  std::filesystem::create_directory(run + "/checkpoint-7.tmp-abc123");  // an interrupted save
  std::filesystem::create_directory(run + "/checkpoint-3");             // no training_state.json: incomplete
  CHECK(prune_checkpoints(run, 2) ==
        std::vector<std::filesystem::path>{run + "/" + checkpoint_name(5), run + "/" + checkpoint_name(20)});
  CHECK(entries(run) == std::vector<std::string>{"checkpoint-100", "checkpoint-1000", "checkpoint-3",
                                                 "checkpoint-7.tmp-abc123"});
  CHECK(prune_checkpoints(run, 2).empty());
  CHECK(error_of([&] { prune_checkpoints(run, 0); }).find("at least 1") != std::string::npos);
}

TEST_CASE("checkpoints: resume picks the newest complete checkpoint, the old layout, or a named one") {
  const std::string run = scratch_directory("rotation_resolve");
  CHECK(error_of([&] { resolve_checkpoint(run); }).find(run + ": no checkpoint there") != std::string::npos);
  save_checkpoint(run + "/checkpoint", {{"w", full({2}, 1.0)}}, {}, {{"step", 1}});  // the older single layout
  CHECK(resolve_checkpoint(run) == std::filesystem::path(run) / "checkpoint");
  save_step(run, 9);
  save_step(run, 10);
  std::filesystem::create_directory(run + "/checkpoint-11");  // incomplete: no training_state.json
  CHECK(resolve_checkpoint(run) == std::filesystem::path(run) / "checkpoint-10");
  CHECK(resolve_checkpoint(run + "/checkpoint-9") == std::filesystem::path(run + "/checkpoint-9"));
  CHECK(load_checkpoint(resolve_checkpoint(run).string()).state["step"] == 10);
}

}  // namespace bytegrad::train
