#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/error.h"

namespace bytegrad::io {
namespace {

std::string parent_directory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::vector<char> pattern(path_.begin(), path_.end());
  const char suffix[] = ".tmp-XXXXXX";
  pattern.insert(pattern.end(), suffix, suffix + sizeof(suffix));  // keeps the terminator
  fd_ = mkstemp(pattern.data());
  BYTEGRAD_CHECK(fd_ >= 0, path_, ": cannot create a temporary file beside it: ",
                 std::strerror(errno));
  temporary_path_ = pattern.data();
  // mkstemp creates the file private (0600); checkpoints and data sets are meant to be shared
  // like any file the user writes.
  fchmod(fd_, 0644);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) close(fd_);
  if (!temporary_path_.empty()) std::remove(temporary_path_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  BYTEGRAD_CHECK(fd_ >= 0, path_, ": write after commit");
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd_, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    BYTEGRAD_CHECK(written > 0, path_, ": write failed: ", std::strerror(errno));
    bytes += written;
    size -= size_t(written);
  }
}

void AtomicFile::commit() {
  BYTEGRAD_CHECK(fd_ >= 0, path_, ": committed twice");
  BYTEGRAD_CHECK(fsync(fd_) == 0, path_, ": fsync failed: ", std::strerror(errno));
  const int closed = close(fd_);
  fd_ = -1;
  BYTEGRAD_CHECK(closed == 0, path_, ": close failed: ", std::strerror(errno));
  BYTEGRAD_CHECK(std::rename(temporary_path_.c_str(), path_.c_str()) == 0, path_,
                 ": cannot rename the temporary file into place: ", std::strerror(errno));
  temporary_path_.clear();
  sync_directory(parent_directory(path_));
}

void write_file_atomically(const std::string& path, const void* data, size_t size) {
  AtomicFile file(path);
  file.write(data, size);
  file.commit();
}

void sync_directory(const std::string& directory) {
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  BYTEGRAD_CHECK(fd >= 0, directory, ": cannot open the directory to sync it: ",
                 std::strerror(errno));
  const int synced = fsync(fd);
  close(fd);
  BYTEGRAD_CHECK(synced == 0, directory, ": fsync of the directory failed: ", std::strerror(errno));
}

}  // namespace bytegrad::io
