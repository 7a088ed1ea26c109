#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace bytegrad::io {

MappedFile::MappedFile(std::string path) : path_(std::move(path)) {
  const int fd = open(path_.c_str(), O_RDONLY);
  BYTEGRAD_CHECK(fd >= 0, path_, ": cannot open: ", std::strerror(errno));
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    throw Error(concat(path_, ": not a regular file"));
  }
  size_ = size_t(info.st_size);
  if (size_ > 0) {
    void* mapped = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mmap_errno = errno;
    close(fd);
    BYTEGRAD_CHECK(mapped != MAP_FAILED, path_, ": cannot map: ", std::strerror(mmap_errno));
    data_ = static_cast<const uint8_t*>(mapped);
  } else {
    close(fd);
  }
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace bytegrad::io
