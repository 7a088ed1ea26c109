// A text corpus for language-model training: documents read from files and directories.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bytegrad::train {

struct CorpusOptions {
  // Files, or directories whose regular files are all read (sorted by name, recursively).
  // Binary files (holding a NUL byte, e.g. fortune's .dat indexes) are skipped, and a file
  // reached twice (through a symlink) is read once.
  std::vector<std::filesystem::path> paths;
  // Splits each file into documents at this delimiter (fortune files: "\n%\n"); empty keeps
  // each file one document. Documents are trimmed of surrounding whitespace; empty ones dropped.
  std::string document_delimiter;
};

struct TextCorpus {
  std::vector<std::string> documents;
  std::vector<std::filesystem::path> files;  // the files read, in order
  std::size_t bytes = 0;                     // text bytes kept in the documents
};

struct TextFile {
  std::filesystem::path path;
  std::string text;
};

// The text files at `paths` (files, or directories read recursively, sorted by path), in order:
// files holding a NUL byte are binary and skipped, and a file reached twice is read once.
// Throws Error naming the path when a path does not exist or a file cannot be read, and naming
// the paths when they hold no text file at all.
std::vector<TextFile> read_text_files(const std::vector<std::filesystem::path>& paths);

// The documents of read_text_files(options.paths). Throws its errors, and Error when no
// document results.
TextCorpus read_text_corpus(const CorpusOptions& options);

}  // namespace bytegrad::train
