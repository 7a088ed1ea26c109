#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: what the emulated CUDA build cannot show.
#
#   bash tools/gpu_check.sh [BUILD_DIR]        (default build-gpu)
#
# In order, stopping at the first step that cannot go on:
#   1. the GPU (nvidia-smi: name, driver, compute capability, memory), and nothing further when
#      there is none: a clear message and exit status 1 within seconds;
#   2. the CUDA toolkit (nvcc --version) and the build's other needs, each missing one named
#      with the Debian package that provides it (a GPU image often lacks them);
#   3. a build for this GPU's architecture (-DBYTEGRAD_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES from
#      nvidia-smi's compute_cap) in its own folder, so the emulated build stays as it is;
#   4. the CUDA tests on the GPU (`ctest -R ^cuda`: the cuBLAS call sites against NVIDIA's
#      cuBLAS, every kernel against the CPU, and the device-parametrised suites with
#      BYTEGRAD_TEST_DEVICES=cuda);
#   5. compute-sanitizer on the kernel tests where it is installed (memcheck, racecheck for
#      shared memory, synccheck for barriers);
#   6. the benchmarks: `bytegrad bench train --device cuda` (GPT-2 124M, batch 16 x 1024, bfloat16
#      matmul inputs, tokens/s and MFU) and `bytegrad bench generate --device cuda` (Llama decode
#      at batch 1), each beside PyTorch on the same GPU when torch with CUDA is present.
# Steps 4 to 6 all run even when one fails; the exit status is 1 if any did.
#
# Settings from the environment: CUDACXX (nvcc's path), GPU_CHECK_ARCH (the architecture, e.g.
# 90a, instead of the one nvidia-smi reports), GPU_CHECK_SANITIZE=0 (skip step 5),
# GPU_CHECK_NVIDIA_SMI (the nvidia-smi to ask; the tests point it at none).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
nvidia_smi=${GPU_CHECK_NVIDIA_SMI:-nvidia-smi}
started=$SECONDS

section() { printf '\n== %s\n' "$*"; }
fail() {
  echo "gpu_check: $*" >&2
  exit 1
}

# 1. The GPU, before anything that takes time.
section "GPU"
if ! command -v "$nvidia_smi" >/dev/null 2>&1; then
  fail "no GPU to check: '$nvidia_smi' is not on PATH (no NVIDIA driver on this machine). On a machine
without a GPU the emulated build runs the CUDA kernels on the CPU instead:
  cmake -S . -B build -DBYTEGRAD_CUDA_EMULATION=ON && cmake --build build -j2 && ctest --test-dir build -R ^cuda"
fi
if ! gpus=$(timeout 30 "$nvidia_smi" --query-gpu=index,name,driver_version,compute_cap,memory.total \
              --format=csv,noheader 2>&1) || [[ -z $gpus ]]; then
  fail "no GPU to check: $nvidia_smi found none or failed: ${gpus:-no output}"
fi
echo "$gpus"
timeout 30 "$nvidia_smi" | sed -n '1,4p'  # the banner: driver and the CUDA version it supports
capability=$(head -n1 <<<"$gpus" | awk -F', ' '{print $4}')
arch=${GPU_CHECK_ARCH:-${capability//./}}
[[ $arch =~ ^[0-9]+[af]?$ ]] || fail "cannot read the GPU's compute capability from nvidia-smi ('$capability'); set GPU_CHECK_ARCH (e.g. 90)"
echo "building for sm_$arch (compute capability $capability of GPU 0)"

# 2. The toolkit and the build's other needs, all named at once.
section "CUDA toolkit and build needs"
nvcc=${CUDACXX:-}
for candidate in "$nvcc" "$(command -v nvcc 2>/dev/null)" /usr/local/cuda/bin/nvcc; do
  [[ -n $candidate && -x $candidate ]] && { nvcc=$candidate; break; }
done
missing=()
if [[ -x $nvcc ]]; then
  "$nvcc" --version | tail -n 2
else
  missing+=("nvcc and cuBLAS: the CUDA toolkit (NVIDIA's cuda-toolkit-12-x, or Debian's nvidia-cuda-toolkit; or set CUDACXX)")
fi
command -v cmake >/dev/null || missing+=("cmake: Debian cmake")
command -v c++ >/dev/null || missing+=("a C++20 compiler (g++ 12 or later): Debian build-essential")
command -v make >/dev/null || missing+=("make: Debian build-essential")
command -v pkg-config >/dev/null || missing+=("pkg-config: Debian pkg-config")
header_needs=(
  "eigen3/Eigen/Core:libeigen3-dev"
  "nlohmann/json.hpp:nlohmann-json3-dev"
  "doctest/doctest.h:doctest-dev"
  "zstd.h:libzstd-dev"
  "cblas.h:libopenblas-openmp-dev"
)
for need in "${header_needs[@]}"; do
  header=${need%%:*} package=${need#*:}
  found=""
  # Debian puts OpenBLAS's headers under the multiarch folder (x86_64-linux-gnu, aarch64-linux-gnu).
  for dir in /usr/include /usr/local/include /usr/include/*-linux-gnu /usr/include/*-linux-gnu/openblas-openmp \
             /usr/include/openblas; do
    [[ -e $dir/$header ]] && { found=1; break; }
  done
  [[ -n $found ]] || missing+=("$header: Debian $package")
done
if ((${#missing[@]})); then
  printf 'gpu_check: missing:\n' >&2
  printf '  %s\n' "${missing[@]}" >&2
  fail "install them (Debian: apt-get install build-essential cmake pkg-config libeigen3-dev nlohmann-json3-dev doctest-dev libzstd-dev libopenblas-openmp-dev) and run again"
fi
if /usr/bin/python3 -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' >/dev/null 2>&1; then
  /usr/bin/python3 -c 'import torch; print("PyTorch", torch.__version__, "with CUDA", torch.version.cuda, "on", torch.cuda.get_device_name(0))'
else
  echo "PyTorch with CUDA: not found under /usr/bin/python3 (the benchmarks leave its column out)"
fi

# 3. The build for this GPU.
section "build ($build, sm_$arch)"
jobs=$(nproc)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc" -DBYTEGRAD_CUDA=ON \
  -DBYTEGRAD_CUDA_EMULATION=OFF -DCMAKE_CUDA_ARCHITECTURES="$arch" "${launcher[@]}" >"$build/configure.log" 2>&1 ||
  { tail -n 30 "$build/configure.log"; fail "configuring failed (whole log: $build/configure.log)"; }
# Only what steps 4 to 6 run: the program and the suites with cuda_ entries.
targets=(bytegrad test_cuda_cublas test_cuda_kernels_vs_cpu test_kernels test_tensor test_autograd test_nn
         test_train test_infer)
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1; then
  grep -E -B2 -A6 'error|Error' "$build/build.log" | head -n 60
  fail "the build failed (whole log: $build/build.log)"
fi
echo "built ${targets[*]} in $((SECONDS - started)) s"
"$build/bytegrad" info | grep -A4 '^cuda'

failed=()
run_step() {  # run_step NAME COMMAND...: runs it, and remembers NAME when it fails
  local name=$1
  shift
  local start=$SECONDS
  if "$@"; then
    echo "-- $name: passed ($((SECONDS - start)) s)"
  else
    echo "-- $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

# 4. The tests on the GPU.
section "CUDA tests on the GPU (ctest -R ^cuda)"
run_step "ctest -R ^cuda" ctest --test-dir "$build" -R '^cuda' --output-on-failure

# 5. compute-sanitizer on the kernels' own tests.
section "compute-sanitizer"
sanitizer=$(command -v compute-sanitizer || true)
[[ -z $sanitizer && -x $(dirname "$nvcc")/compute-sanitizer ]] && sanitizer=$(dirname "$nvcc")/compute-sanitizer
if [[ ${GPU_CHECK_SANITIZE:-1} == 0 ]]; then
  echo "skipped (GPU_CHECK_SANITIZE=0)"
elif [[ -z $sanitizer ]]; then
  echo "compute-sanitizer not found (it comes with the CUDA toolkit's cuda-sanitizer package); skipped"
else
  for tool in memcheck racecheck synccheck; do
    run_step "compute-sanitizer --tool $tool (kernels against the CPU)" \
      "$sanitizer" --tool "$tool" --error-exitcode 1 --print-limit 20 "$build/tests/test_cuda_kernels_vs_cpu"
  done
  run_step "compute-sanitizer --tool memcheck (cuBLAS call sites)" \
    "$sanitizer" --tool memcheck --error-exitcode 1 --print-limit 20 "$build/tests/test_cuda_cublas"
fi

# 6. The benchmarks.
section "bytegrad bench train --device cuda"
run_step "bench train" "$build/bytegrad" bench train --device cuda
section "bytegrad bench generate --device cuda"
run_step "bench generate" "$build/bytegrad" bench generate --device cuda

section "summary ($((SECONDS - started)) s)"
if ((${#failed[@]})); then
  printf 'gpu_check: failed: %s\n' "${failed[@]}"
  exit 1
fi
echo "gpu_check: every step passed on $(head -n1 <<<"$gpus" | awk -F', ' '{print $2}')"
