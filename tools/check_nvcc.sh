#!/usr/bin/env bash
# Compiles the CUDA backend's sources with nvcc for sm_90a (H100) with every warning an error,
# ptxas's register-spill and local-memory warnings included, and the NCCL communicator
# (dist/nccl_collectives.cpp) where MPI and NCCL are found; compile only, no GPU needed, so CI
# checks that the code it runs under emulation (or cannot run at all) also builds for the GPU.
# The build folder is build-nvcc (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-nvcc}
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
if [[ ! -x $nvcc ]]; then
  echo "check_nvcc: no nvcc at $nvcc (set CUDACXX); nothing checked" >&2
  exit 1
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc" -DBYTEGRAD_CUDA=ON \
  -DBYTEGRAD_CUDA_EMULATION=OFF -DBYTEGRAD_CUDA_STRICT=ON -DCMAKE_CUDA_ARCHITECTURES=90a "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target bytegrad_cuda_kernels
echo "check_nvcc: every CUDA source compiles for sm_90a without warnings"
if grep -q '^BYTEGRAD_NCCL:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake --build "$build" --target dist/nccl_collectives.o
  echo "check_nvcc: the NCCL communicator compiles"
else
  echo "check_nvcc: no MPI or NCCL found; the NCCL communicator is not checked" >&2
fi
