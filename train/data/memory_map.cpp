#include "train/data/memory_map.h"

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/json_file.h"

namespace bytegrad::train {
namespace {

constexpr size_t kEntryBytes = 2 * sizeof(uint64_t);  // (offset, length)

nlohmann::json read_meta(const std::string& path) {
  std::ifstream in(path);
  BYTEGRAD_CHECK(in.good(), path, ": cannot open (a MemoryMap needs .bin, .idx and .meta.json)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat(path, ": not valid JSON: ", e.what()));
  }
  BYTEGRAD_CHECK(meta.is_object(), path, ": expected a JSON object");
  BYTEGRAD_CHECK(io::string_field_or(meta, "dtype") == "uint8", path, ": 'dtype' must be \"uint8\", got ",
                 meta.contains("dtype") ? meta["dtype"].dump() : "nothing");
  BYTEGRAD_CHECK(io::string_field_or(meta, "index_dtype") == "uint64", path,
                 ": 'index_dtype' must be \"uint64\", got ",
                 meta.contains("index_dtype") ? meta["index_dtype"].dump() : "nothing");
  BYTEGRAD_CHECK(meta.contains("document_count") && meta["document_count"].is_number_unsigned(),
                 path, ": 'document_count' must be a non-negative integer");
  return meta;
}

}  // namespace

MemoryMapWriter::MemoryMapWriter(std::string prefix)
    : prefix_(std::move(prefix)),
      data_(std::make_unique<io::AtomicFile>(prefix_ + ".bin")),
      index_(std::make_unique<io::AtomicFile>(prefix_ + ".idx")) {}

void MemoryMapWriter::add(std::string_view document) {
  const uint64_t entry[2] = {data_size_, document.size()};
  data_->write(document.data(), document.size());
  index_->write(entry, sizeof(entry));
  data_size_ += document.size();
  ++document_count_;
}

void MemoryMapWriter::finish() {
  data_->commit();
  index_->commit();
  const std::string meta =
      nlohmann::json{{"dtype", "uint8"}, {"index_dtype", "uint64"}, {"document_count", document_count_}}
          .dump() + "\n";
  io::write_file_atomically(prefix_ + ".meta.json", meta.data(), meta.size());
}

MemoryMap::MemoryMap(const std::string& prefix) : prefix_(prefix) {
  const nlohmann::json meta = read_meta(prefix + ".meta.json");
  document_count_ = meta["document_count"].get<int64_t>();
  data_ = std::make_unique<io::MappedFile>(prefix + ".bin");
  index_ = std::make_unique<io::MappedFile>(prefix + ".idx");
  BYTEGRAD_CHECK(index_->size() == uint64_t(document_count_) * kEntryBytes, index_->path(), ": ",
                 index_->size(), " bytes, but ", document_count_, " documents need ",
                 uint64_t(document_count_) * kEntryBytes, " (truncated or stale index)");
  for (int64_t i = 0; i < document_count_; ++i) {
    const uint64_t begin = offset(i), size = length(i);
    BYTEGRAD_CHECK(begin <= data_->size() && size <= data_->size() - begin, index_->path(),
                   ": document ", i, " at [", begin, ", +", size, ") lies outside ", data_->path(),
                   " (", data_->size(), " bytes)");
  }
}

uint64_t MemoryMap::entry(int64_t index, int field) const {
  BYTEGRAD_CHECK(index >= 0 && index < document_count_, prefix_, ": document ", index,
                 " out of range [0, ", document_count_, ")");
  uint64_t value = 0;
  std::memcpy(&value, index_->data() + size_t(index) * kEntryBytes + field * sizeof(uint64_t),
              sizeof(value));
  return value;
}

std::string_view MemoryMap::operator[](int64_t index) const {
  const uint64_t begin = offset(index), size = length(index);
  if (size == 0) return {};
  return {reinterpret_cast<const char*>(data_->data()) + begin, size_t(size)};
}

}  // namespace bytegrad::train
