#!/usr/bin/env bash
# Installs the built bytegrad into a scratch prefix and uses it as another project would:
# examples/ is configured with find_package(bytegrad CONFIG) and built, the C++ tensor-core
# example must print its step, the C example must generate from a tiny model directory and
# report a missing directory by name, and pkg-config must describe the same libraries.
#   package_test.sh SOURCE_DIR BINARY_DIR WRITE_TINY_MODEL SCRATCH_DIR
set -euo pipefail
source_dir=$1 binary_dir=$2 write_tiny_model=$3 scratch=$4
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix

fail() { echo "package test: $*" >&2; exit 1; }

cmake --install "$binary_dir" --prefix "$prefix" > "$scratch/install.log"
[ -f "$prefix/include/bytegrad/tensor/tensor.h" ] || fail "tensor/tensor.h not installed"
[ -f "$prefix/include/bytegrad/capi/bytegrad_c.h" ] || fail "capi/bytegrad_c.h not installed"
[ -x "$prefix/bin/bytegrad" ] || fail "the bytegrad program not installed"
for lib in bytegrad_core bytegrad_tokenizer bytegrad_c; do
  [ -f "$prefix/lib/lib$lib.a" ] || fail "lib$lib.a not installed"
done

# The examples, against the installed package only (the source tree is not on any path).
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$source_dir/examples" -B "$scratch/examples" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" > "$scratch/configure.log" || { cat "$scratch/configure.log"; fail "configure"; }
cmake --build "$scratch/examples" -j2 > "$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; fail "build"; }

out=$("$scratch/examples/tensor_core") || fail "tensor_core exited with $?: $out"
echo "$out"
grep -q '^gradient shape: \[784, 10\]$' <<<"$out" || fail "tensor_core did not print the gradient's shape"
grep -q '^loss before the step: ' <<<"$out" || fail "tensor_core did not print the loss"

"$write_tiny_model" "$scratch/model"
out=$("$scratch/examples/generate" "$scratch/model" "the cat" 12 2> "$scratch/generate.err") ||
  { cat "$scratch/generate.err"; fail "generate exited with $?"; }
echo "generated: $out"
cat "$scratch/generate.err"
grep -q '^round trip: same text$' "$scratch/generate.err" || fail "tokenize/detokenize did not round-trip"
grep -Eq '^[0-9]+ pieces; [0-9]+ tokens; log-probability -[0-9.]+$' "$scratch/generate.err" ||
  fail "generate did not report its score"

# A quantized directory: the C API decodes from its stored int8 matrices, as `bytegrad generate`
# does by default; that differs from decoding its dequantized float32 weights on this model (the
# greedy runs part after about 28 tokens), so the comparison tells the two apart.
"$prefix/bin/bytegrad" export --model "$scratch/model" --weights int8 --out "$scratch/model-int8" > /dev/null ||
  fail "export --weights int8 failed"
c_int8=$("$scratch/examples/generate" "$scratch/model-int8" "the cat" 40 2> /dev/null) || fail "generate on int8 failed"
cli() { "$prefix/bin/bytegrad" generate --model "$scratch/model-int8" --prompt "the cat" --temperature 0 \
          --max-new-tokens 40 "$@" 2> /dev/null; }
cli_int8=$(cli) || fail "bytegrad generate on int8 failed"
cli_float32=$(cli --weights float32) || fail "bytegrad generate --weights float32 on int8 failed"
[ "$cli_int8" != "$cli_float32" ] || fail "int8 and float32 decoding agree on this model: the check below tells nothing"
[ "$c_int8" = "$cli_int8" ] || fail "the C API decoded the int8 directory otherwise than bytegrad generate"
echo "int8 directory: the C API decodes its stored matrices"

# The error path: a nonzero status and a message that names the directory.
set +e
"$scratch/examples/generate" "$scratch/no-such-model" "the cat" > /dev/null 2> "$scratch/missing.err"
status=$?
set -e
cat "$scratch/missing.err"
[ $status -ne 0 ] || fail "a missing model directory returned status 0"
grep -q "$scratch/no-such-model" "$scratch/missing.err" || fail "the error does not name the missing directory"

# pkg-config: the C example compiled and linked with nothing but the flags of bytegrad.pc.
if command -v pkg-config > /dev/null; then
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  cflags=$(pkg-config --cflags bytegrad)
  libs=$(pkg-config --static --libs bytegrad)
  [[ "$cflags" == *"$prefix/lib/pkgconfig/../../include/bytegrad"* ]] || fail "bytegrad.pc cflags: $cflags"
  cc $cflags -c "$source_dir/examples/generate.c" -o "$scratch/generate.o"
  c++ "$scratch/generate.o" -o "$scratch/generate-pc" $libs
  "$scratch/generate-pc" "$scratch/model" "the cat" 4 > /dev/null 2>&1 || fail "the pkg-config build does not run"
  echo "pkg-config: $libs"
fi
echo "package test: passed"
