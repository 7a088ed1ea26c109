// The small corpus the command-line tests train on: 120 documents of 24 words from a 12-word
// vocabulary, separated by "\n%\n" as the fortunes files are, written to DIR/corpus.txt.
#pragma once

#include <filesystem>
#include <fstream>

namespace bytegrad::testing {

inline void write_tiny_corpus(const std::filesystem::path& dir) {
  const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "away", "home"};
  std::ofstream corpus(dir / "corpus.txt");
  for (int d = 0; d < 120; ++d) {
    if (d) corpus << "\n%\n";
    for (int w = 0; w < 24; ++w) corpus << (w ? " " : "") << words[(d * 7 + w * (d % 5 + 1)) % 12];
  }
}

}  // namespace bytegrad::testing
