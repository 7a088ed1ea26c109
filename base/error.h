// Errors: every op that rejects its arguments throws bytegrad::Error with a message that names
// the op, the shapes and dtypes involved, and what was expected.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace bytegrad {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Joins any streamable values into one string: concat("matmul: shapes ", a, " and ", b).
template <typename... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

}  // namespace bytegrad

// Throws bytegrad::Error(concat(parts...)) unless `condition` holds. A macro so that the message
// parts (often formatted shapes) are only evaluated when the check fails: checks sit on the hot
// path of every op.
#define BYTEGRAD_CHECK(condition, ...)                                     \
  do {                                                                     \
    if (!(condition)) [[unlikely]]                                         \
      throw ::bytegrad::Error(::bytegrad::concat(__VA_ARGS__));            \
  } while (0)
