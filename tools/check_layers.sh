#!/usr/bin/env bash
# Checks the layering of README's map: a folder includes only the folders below it.
#   tools -> train -> infer -> io -> nn -> autograd -> tensor -> kernels -> base
#   train -> dist (communicators) -> tensor
# with capi/ (the C API) beside tools/: it may include what tools/ may, except tools/.
# and every layer may use the standalone tokenizer/, which includes only itself (and base/
# nothing else). Prints each include that points upward and exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

# allowed[layer] = the folders its files may include.
declare -A allowed=(
  [base]="base"
  [kernels]="base kernels"
  [tensor]="base kernels tensor"
  [autograd]="base kernels tensor autograd"
  [nn]="base kernels tensor autograd nn"
  [io]="base kernels tensor autograd nn io tokenizer"
  [infer]="base kernels tensor autograd nn io infer tokenizer"
  [dist]="base kernels tensor dist"
  [train]="base kernels tensor autograd nn io infer dist train tokenizer"
  [tools]="base kernels tensor autograd nn io infer dist train tokenizer tools"
  [capi]="base kernels tensor autograd nn io infer dist train tokenizer capi"
  [tokenizer]="tokenizer"
)

status=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include "([^"/]+)\/.*/\1/' <<<"$line")
    # bytegrad.h (the umbrella header at the root) is for users and tools only.
    [[ "$line" == *'#include "bytegrad.h"'* ]] && target=tools
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      echo "layering: $file includes $target/, above $layer/: ${line#*:}"
      status=1
    fi
  done < <(grep -rn --include='*.h' --include='*.cpp' --include='*.cu' '^#include "' "$layer" | grep -v '#include "[^/]*\.h"' || true; \
           grep -rn --include='*.h' --include='*.cpp' --include='*.cu' '^#include "bytegrad.h"' "$layer" || true)
done
[ $status -eq 0 ] && echo "layering: every include points down"
exit $status
