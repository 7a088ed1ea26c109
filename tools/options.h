// The one option parser of the `bytegrad` subcommands. Each subcommand declares a CommandSpec
// (tools/command_specs.cpp): its usage line, its options (name, the name help gives its value or
// none for a flag, default, one-line meaning) and one example. parse_options reads a command line against it;
// help_text prints it. Both come from the same table, so help and parser cannot disagree.
#pragma once

#include <charconv>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tools/commands.h"

namespace bytegrad::tools {

struct OptionSpec {
  std::string name;           // "--output"
  std::string alias;          // "-o", or empty
  std::string value;          // what help calls the value ("FILE"); empty for a flag
  std::string default_value;  // used when the option is absent; empty for none
  std::string meaning;        // one line
  bool required = false;      // parse_options throws when absent
  bool repeatable = false;    // every occurrence is kept (values()); else the last one counts
};

struct CommandSpec {
  std::string name;        // "generate", or "bench train" for a nested command
  std::string summary;     // one line, for `bytegrad --help`
  std::string usage;       // "bytegrad generate --model DIR --prompt TEXT [OPTIONS]"
  std::string example;     // one complete command line
  std::string positional;  // what help calls the one positional argument ("METRICS.jsonl"); empty for none
  bool positional_required = false;
  std::vector<OptionSpec> options;
};

// A mistake on the command line. what() is the whole message, e.g.
// "bytegrad plot: unknown option '--x' (see bytegrad plot --help)"; the program exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by parse_options for --help or -h (as CLI11 and argparse do): what() is the help text,
// which the program prints to stdout before exiting 0.
struct HelpRequested : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The options of one command line, read through the spec's names (aliases resolved).
class Options {
 public:
  Options(const CommandSpec& spec, std::map<std::string, std::vector<std::string>> given,
          std::optional<std::string> positional);

  // Whether flag `name` was given.
  bool flag(const std::string& name) const;
  // The last value given for `name`, else its default, else nullopt.
  std::optional<std::string> value(const std::string& name) const;
  // value(name), for an option that is required or has a default.
  std::string get(const std::string& name) const;
  // Every value given for a repeatable option, in order; its default alone when none was given.
  std::vector<std::string> values(const std::string& name) const;
  // get(name) parsed as a T (an integer type or double), the whole text and nothing left over;
  // throws UsageError naming the command and the option when it is not one.
  template <typename T>
  T number(const std::string& name) const {
    const std::string text = get(name);
    T parsed{};
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, parsed);
    if (text.empty() || error != std::errc() || stop != end)
      throw UsageError("bytegrad " + spec_->name + ": option " + name + " expects " +
                       (std::is_integral_v<T> ? "an integer" : "a number") + ", got '" + text + "'");
    return parsed;
  }
  // The positional argument, when the spec takes one.
  const std::optional<std::string>& positional() const { return positional_; }

 private:
  // The spec of `name`; throws std::logic_error when the command does not declare it.
  const OptionSpec& declared(const std::string& name) const;

  const CommandSpec* spec_;
  std::map<std::string, std::vector<std::string>> given_;  // by option name; flags hold ""
  std::optional<std::string> positional_;
};

// Reads `args` (the words after the command name) against `spec`. Throws HelpRequested for
// --help or -h, and UsageError for an unknown option, a missing value, a missing required
// option or positional argument, or an unexpected positional argument.
Options parse_options(const CommandSpec& spec, const Args& args);

// Usage, every option with its default and meaning, and the example.
std::string help_text(const CommandSpec& spec);

}  // namespace bytegrad::tools
