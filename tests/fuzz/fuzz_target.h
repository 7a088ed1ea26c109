// Fuzz targets: one function per loader of outside data, fed arbitrary bytes.
//
// Each target file defines its body with BYTEGRAD_FUZZ_TARGET(name), which registers it by name.
// The same sources build two programs:
//   - fuzz_loaders, with clang's libFuzzer (tools/fuzz.sh): coverage-guided fuzzing of the target
//     named by the environment variable BYTEGRAD_FUZZ_TARGET (libfuzzer_entry.cpp);
//   - test_fuzz_inputs, in the ordinary test build: runs every target on every file of its corpus
//     folder (tests/fuzz/corpus/<name>/: seeds made from real files, and every input that once
//     crashed, kept as a regression test).
//
// A loader passes an input when it returns, or throws std::runtime_error (bytegrad::Error is one)
// with a message: that is the documented way every loader rejects a bad file. Anything else (a
// crash, a sanitizer report, another exception such as a raw JSON type error, std::bad_alloc or
// std::out_of_range) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace bytegrad::fuzz {

using TargetBody = void (*)(std::string_view input);

// Inputs made of several files (encoder.json and vocab.bpe; config.json and weights) put this
// line between them; the parts are what lies between separators.
inline constexpr std::string_view kPartSeparator = "\n==> next file <==\n";
std::vector<std::string_view> split_parts(std::string_view input, size_t parts);

// A private scratch folder for the files a loader reads (created on first use, under
// $TMPDIR), and `name` inside it written with `bytes`. Files are overwritten for each input.
const std::filesystem::path& scratch_folder();
std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes);

// Runs body(input); returns an empty string when it passes (see above), else what went wrong.
// With `must_load` (for seeds, which are valid files) a rejection is a failure too.
std::string run_target(TargetBody body, std::string_view input, bool must_load = false);

// Every target linked into the program, by name.
struct RegisteredTarget {
  const char* name;
  TargetBody body;
};
std::vector<RegisteredTarget>& registered_targets();
bool register_target(const char* name, TargetBody body);

}  // namespace bytegrad::fuzz

#define BYTEGRAD_FUZZ_TARGET(name)                                               \
  static void fuzz_body_##name(std::string_view input);                         \
  [[maybe_unused]] static const bool fuzz_registered_##name =                   \
      ::bytegrad::fuzz::register_target(#name, fuzz_body_##name);               \
  static void fuzz_body_##name(std::string_view input)
