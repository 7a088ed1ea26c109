#include "fuzz_target.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <typeinfo>

#include <unistd.h>

namespace bytegrad::fuzz {

std::vector<std::string_view> split_parts(std::string_view input, size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const size_t at = input.find(kPartSeparator);
    if (at == std::string_view::npos) break;
    out.push_back(input.substr(0, at));
    input.remove_prefix(at + kPartSeparator.size());
  }
  out.push_back(input);
  while (out.size() < parts) out.emplace_back();  // missing files are empty files
  return out;
}

const std::filesystem::path& scratch_folder() {
  static const std::filesystem::path folder = [] {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("bytegrad-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_folder(), ignored);
    });
    return path;
  }();
  return folder;
}

std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = scratch_folder() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) throw std::logic_error("fuzz harness: cannot write " + path.string());
  return path;
}

std::string run_target(TargetBody body, std::string_view input, bool must_load) {
  try {
    body(input);
    return {};
  } catch (const std::runtime_error& e) {
    // The loaders' way of rejecting a file; an empty message names nothing and is a finding.
    if (std::string_view(e.what()).empty()) return "std::runtime_error with an empty message";
    if (must_load) return std::string("rejected a valid file: ") + e.what();
    return {};
  } catch (const std::exception& e) {
    return std::string("unexpected ") + typeid(e).name() + ": " + e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

std::vector<RegisteredTarget>& registered_targets() {
  static std::vector<RegisteredTarget> targets;
  return targets;
}

bool register_target(const char* name, TargetBody body) {
  registered_targets().push_back({name, body});
  return true;
}

}  // namespace bytegrad::fuzz
