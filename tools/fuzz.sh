#!/usr/bin/env bash
# Coverage-guided fuzzing of every loader of outside data (tests/fuzz/fuzz_target.h) with
# clang's libFuzzer, under AddressSanitizer and UndefinedBehaviorSanitizer.
#   bash tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Builds build-fuzz/ (clang, -O1) once, then fuzzes each target (default: every folder of
# tests/fuzz/corpus) for SECONDS_PER_TARGET seconds (default 60), starting from its seeds and
# regression inputs. Inputs the fuzzer finds interesting accumulate in build-fuzz/corpus/TARGET,
# so later runs go on where earlier ones stopped; a crashing input is saved to
# build-fuzz/findings/TARGET/ and the script fails at the end naming it. To keep a fixed crash as
# a regression test, copy it to tests/fuzz/corpus/TARGET/crash-<what it was> (ctest's fuzz_inputs
# runs it in every build).
# BYTEGRAD_FUZZ_SEED fixes libFuzzer's random seed (CI sets it, so that a short run explores the
# same inputs each time and cannot fail by chance on a finding older runs never met).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=build-fuzz
# -Wno-pass-failed: at -O1 clang notes every `omp simd` loop it leaves unvectorized.
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-pass-failed"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
  -DBYTEGRAD_LIBFUZZER=ON -DBYTEGRAD_CUDA=OFF "-DCMAKE_CXX_FLAGS=$flags" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" > /dev/null
cmake --build "$build" -j2 --target fuzz_loaders

targets=("$@")
if ((${#targets[@]} == 0)); then
  for folder in tests/fuzz/corpus/*/; do targets+=("$(basename "$folder")"); done
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1
failed=()
printf 'fuzz: %-20s %10s %9s %6s %6s %8s\n' target executions "exec/s" cov units peak_MB
for target in "${targets[@]}"; do
  mkdir -p "$build/corpus/$target" "$build/findings/$target"
  log="$build/findings/$target/last-run.log"
  status=0
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that needs 4 GB is a finding.
  BYTEGRAD_FUZZ_TARGET=$target "$build/tests/fuzz_loaders" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=4096 -seed="${BYTEGRAD_FUZZ_SEED:-0}" -print_final_stats=1 -artifact_prefix="$build/findings/$target/" \
    "$build/corpus/$target" "tests/fuzz/corpus/$target" > "$log" 2>&1 || status=$?
  stat() { grep -m1 "^stat::$1:" "$log" | awk '{print $2}'; }
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  printf 'fuzz: %-20s %10s %9s %6s %6s %8s\n' "$target" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "${coverage:-?}" "$(ls "$build/corpus/$target" | wc -l)" "$(stat peak_rss_mb)"
  if ((status)); then
    failed+=("$target")
    grep -E "ERROR|fuzz finding|SUMMARY|Test unit written" "$log" | head -5 | sed 's/^/fuzz:   /'
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]} (inputs and logs in $build/findings/)"
  exit 1
fi
echo "fuzz: no findings"
