// A whole file mapped read-only into memory: data sets and shards are read in place, without
// copying them into RAM, and the kernel pages in what is touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bytegrad::io {

class MappedFile {
 public:
  // Throws Error naming the path when it cannot be opened or mapped. An empty file maps to
  // size() == 0 and data() == nullptr.
  explicit MappedFile(std::string path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bytegrad::io
