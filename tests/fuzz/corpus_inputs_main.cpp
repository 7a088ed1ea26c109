// test_fuzz_inputs: every fuzz target run on every file of its corpus folder, as an ordinary
// test (see fuzz_target.h). Fails when an input gives a finding, when a seed (seed-*, a valid
// file) does not load, when a target has no corpus folder or an empty one, or when a corpus
// folder names no target. Other inputs (crash-*, inputs the fuzzer found) may be rejected with
// an error, as long as nothing else happens.
//   test_fuzz_inputs CORPUS_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "fuzz_target.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: test_fuzz_inputs CORPUS_DIR\n");
    return 2;
  }
  const fs::path corpus = argv[1];
  int failures = 0;
  std::set<std::string> names;
  for (const auto& target : bytegrad::fuzz::registered_targets()) {
    names.insert(target.name);
    const fs::path folder = corpus / target.name;
    std::vector<fs::path> inputs;
    if (fs::is_directory(folder))
      for (const auto& entry : fs::directory_iterator(folder))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
      std::fprintf(stderr, "FAIL %s: no inputs in %s\n", target.name, folder.c_str());
      ++failures;
    }
    for (const auto& path : inputs) {
      std::ifstream in(path, std::ios::binary);
      const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      const bool seed = path.filename().string().starts_with("seed-");
      const std::string finding = bytegrad::fuzz::run_target(target.body, bytes, seed);
      if (!finding.empty()) {
        std::fprintf(stderr, "FAIL %s: %s\n", path.c_str(), finding.c_str());
        ++failures;
      }
    }
    std::printf("%-20s %zu inputs\n", target.name, inputs.size());
  }
  for (const auto& entry : fs::directory_iterator(corpus))
    if (entry.is_directory() && !names.count(entry.path().filename().string())) {
      std::fprintf(stderr, "FAIL %s: no fuzz target of that name\n", entry.path().c_str());
      ++failures;
    }
  std::printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
