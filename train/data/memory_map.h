// MemoryMap: a data set of documents (raw bytes, e.g. UTF-8 text tokenized on demand) with
// random access by index, read in place through mmap. The layout follows T-Free's MemoryMap;
// for a prefix P:
//   P.bin        the documents' bytes, one after another
//   P.idx        per document two little-endian uint64: (offset, length) in bytes within P.bin
//   P.meta.json  {"dtype": "uint8", "index_dtype": "uint64", "document_count": N}
// The writer commits P.bin and P.idx before P.meta.json, each atomically, so a reader never
// sees an index without its data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/atomic_file.h"
#include "io/mapped_file.h"

namespace bytegrad::train {

class MemoryMapWriter {
 public:
  // Starts a MemoryMap at `prefix` (its directory must exist). Throws Error naming the file
  // when one cannot be created.
  explicit MemoryMapWriter(std::string prefix);

  void add(std::string_view document);
  int64_t document_count() const { return document_count_; }
  // Writes P.meta.json and puts the three files in place; nothing appears before this.
  void finish();

 private:
  std::string prefix_;
  std::unique_ptr<io::AtomicFile> data_;
  std::unique_ptr<io::AtomicFile> index_;
  uint64_t data_size_ = 0;
  int64_t document_count_ = 0;
};

class MemoryMap {
 public:
  // Opens and validates the map at `prefix`: P.meta.json parses and has the fields above,
  // P.idx holds exactly document_count entries, every entry lies inside P.bin. Throws Error
  // naming the file and the problem otherwise.
  explicit MemoryMap(const std::string& prefix);

  int64_t size() const { return document_count_; }
  // Document `index` (0 <= index < size(), else Error); valid while the map lives.
  std::string_view operator[](int64_t index) const;
  // Offset and length of document `index` within P.bin.
  uint64_t offset(int64_t index) const { return entry(index, 0); }
  uint64_t length(int64_t index) const { return entry(index, 1); }
  const std::string& prefix() const { return prefix_; }
  // All of P.bin: chunk indexes (AlignedMemoryMap) address it by absolute offset.
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(data_->data()), data_->size()};
  }

 private:
  uint64_t entry(int64_t index, int field) const;

  std::string prefix_;
  int64_t document_count_ = 0;
  std::unique_ptr<io::MappedFile> data_;
  std::unique_ptr<io::MappedFile> index_;
};

}  // namespace bytegrad::train
