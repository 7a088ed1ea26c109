#!/usr/bin/env bash
# The test suite under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer: a
# second build directory, build-asan, with only the test programs and the bytegrad binary they
# run, then every test but the package install (which rebuilds examples against an installed
# copy) and the layering script (no C++). Any report fails the run (halt_on_error). The CUDA
# backend is built emulated (BYTEGRAD_CUDA_EMULATION), whose device memory is heap memory, so its
# kernels' out-of-bounds accesses are reported too.
#   bash tools/sanitize.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
# -O1 rather than Release's -O3: sanitizer builds compile about twice as fast at -O1, which is
# what matters for CI's time, and the checks are the same.
flags="-O1 -DNDEBUG -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DBYTEGRAD_CUDA_EMULATION=ON "${launcher[@]}" "-DCMAKE_CXX_FLAGS=$flags" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" > /dev/null
programs=(test_kernels test_tensor test_autograd test_tokenizer test_nn test_io test_train test_infer test_tools
  test_fuzz_inputs test_cuda_emulation test_cuda_cublas test_cuda_kernels_vs_cpu test_dist bytegrad)
# The programs that run under mpirun exist where MPI was found.
if grep -q '^BYTEGRAD_MPI:BOOL=ON' "$build/CMakeCache.txt"; then programs+=(test_dist_mpi dist_fault); fi
cmake --build "$build" -j2 --target "${programs[@]}"
# allocator_may_return_null: an allocation the system cannot give returns null, as malloc does,
# so the tests of out-of-memory errors see what they see without sanitizers.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$build" --output-on-failure -E '^(package|layering)$'
