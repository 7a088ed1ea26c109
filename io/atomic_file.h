// Files that appear whole or not at all. An AtomicFile writes into a temporary file in the
// destination's directory (so the final rename stays on one file system), and commit() flushes
// it to disk, renames it over the destination and flushes the directory entry. A crash or an
// exception before commit() leaves the destination as it was (the temporary file is removed by
// the destructor), so readers never see a half-written checkpoint.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace bytegrad::io {

// Receives bytes in order; the writers of this folder stream into one (a file, a compressor).
using ByteSink = std::function<void(const void* data, size_t size)>;

class AtomicFile {
 public:
  // Creates "<path>.tmp-XXXXXX" beside `path`. Throws Error naming the path when the directory
  // does not exist or is not writable.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // discards the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes; throws Error naming the path on a short write (e.g. a full disk).
  void write(const void* data, size_t size);
  ByteSink sink() {
    return [this](const void* data, size_t size) { write(data, size); };
  }
  // fsync, close and rename over the destination, then fsync the directory.
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temporary_path_;
  int fd_ = -1;
};

// Writes `size` bytes to `path` atomically (an AtomicFile written in one go).
void write_file_atomically(const std::string& path, const void* data, size_t size);

// fsync of a directory, so that a rename or a new entry in it survives a crash.
void sync_directory(const std::string& directory);

}  // namespace bytegrad::io
