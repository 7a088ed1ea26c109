#!/usr/bin/env bash
# tools/gpu_check.sh on a machine without a usable GPU must stop at once: a message that says
# so, exit status 1, within seconds, and no build started. Two ways a machine lacks one: no
# nvidia-smi at all, and an nvidia-smi that cannot reach a driver (what a container without the
# GPU passed through shows). Arguments: the source tree and a scratch folder.
set -uo pipefail
source_dir=$1 scratch=$2
rm -rf "$scratch" && mkdir -p "$scratch"
failures=0

expect_refusal() {  # expect_refusal CASE EXPECTED_TEXT NVIDIA_SMI
  local name=$1 expected=$2 smi=$3
  local start=$SECONDS
  GPU_CHECK_NVIDIA_SMI=$smi bash "$source_dir/tools/gpu_check.sh" "$scratch/build" >"$scratch/out" 2>&1
  local status=$? elapsed=$((SECONDS - start))
  if ((status != 1)); then
    echo "$name: exit status $status, expected 1"; failures=$((failures + 1))
  fi
  if ! grep -qF "$expected" "$scratch/out"; then
    echo "$name: the output lacks '$expected'; it was:"; cat "$scratch/out"; failures=$((failures + 1))
  fi
  if ((elapsed > 10)); then
    echo "$name: took $elapsed s, expected a refusal within seconds"; failures=$((failures + 1))
  fi
  if [[ -e $scratch/build ]]; then
    echo "$name: a build folder was made before the GPU was found"; failures=$((failures + 1))
  fi
}

expect_refusal "no nvidia-smi" "gpu_check: no GPU to check: '$scratch/no-such-nvidia-smi' is not on PATH" \
  "$scratch/no-such-nvidia-smi"

cat >"$scratch/nvidia-smi" <<'SMI'
#!/bin/sh
echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
exit 9
SMI
chmod +x "$scratch/nvidia-smi"
expect_refusal "nvidia-smi without a driver" "couldn't communicate with the NVIDIA driver" "$scratch/nvidia-smi"

((failures == 0)) && echo "gpu_check refuses a machine without a GPU, naming why"
exit $((failures > 0))
