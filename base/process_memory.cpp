#include "base/process_memory.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace bytegrad {

double resident_mib() {
  // /proc/self/statm: sizes in pages; the second field is the resident set. One small read, cheap
  // enough for every training step.
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (!file) return 0.0;
  unsigned long long total_pages = 0, resident_pages = 0;
  const int read = std::fscanf(file, "%llu %llu", &total_pages, &resident_pages);
  std::fclose(file);
  if (read != 2) return 0.0;
  return double(resident_pages) * double(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double peak_resident_mib() {
  std::FILE* file = std::fopen("/proc/self/status", "r");
  if (!file) return 0.0;
  char line[256];
  double kib = 0.0;
  while (std::fgets(line, sizeof line, file))
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kib = std::strtod(line + 6, nullptr);
      break;
    }
  std::fclose(file);
  return kib / 1024.0;
}

}  // namespace bytegrad
