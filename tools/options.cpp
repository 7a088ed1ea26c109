#include "tools/options.h"

#include <algorithm>

namespace bytegrad::tools {
namespace {

// "bytegrad CMD: MESSAGE (see bytegrad CMD --help)"
UsageError usage_error(const CommandSpec& spec, const std::string& message) {
  return UsageError("bytegrad " + spec.name + ": " + message + " (see bytegrad " + spec.name + " --help)");
}

const OptionSpec* find_option(const CommandSpec& spec, const std::string& word) {
  for (const OptionSpec& option : spec.options)
    if (word == option.name || (!option.alias.empty() && word == option.alias)) return &option;
  return nullptr;
}

// "--model DIR" or "-o, --output FILE"
std::string option_synopsis(const OptionSpec& option) {
  std::string text = option.alias.empty() ? option.name : option.alias + ", " + option.name;
  if (!option.value.empty()) text += " " + option.value;
  return text;
}

}  // namespace

Options::Options(const CommandSpec& spec, std::map<std::string, std::vector<std::string>> given,
                 std::optional<std::string> positional)
    : spec_(&spec), given_(std::move(given)), positional_(std::move(positional)) {}

const OptionSpec& Options::declared(const std::string& name) const {
  const OptionSpec* option = find_option(*spec_, name);
  if (!option) throw std::logic_error("bytegrad " + spec_->name + " reads option " + name + ", which it does not declare");
  return *option;
}

bool Options::flag(const std::string& name) const {
  declared(name);
  return given_.count(name) > 0;
}

std::optional<std::string> Options::value(const std::string& name) const {
  const OptionSpec& option = declared(name);
  const auto it = given_.find(name);
  if (it != given_.end()) return it->second.back();
  if (!option.default_value.empty()) return option.default_value;
  return std::nullopt;
}

std::string Options::get(const std::string& name) const {
  const std::optional<std::string> v = value(name);
  if (!v) throw std::logic_error("bytegrad " + spec_->name + ": option " + name + " has no value and no default");
  return *v;
}

std::vector<std::string> Options::values(const std::string& name) const {
  const OptionSpec& option = declared(name);
  const auto it = given_.find(name);
  if (it != given_.end()) return it->second;
  if (!option.default_value.empty()) return {option.default_value};
  return {};
}

Options parse_options(const CommandSpec& spec, const Args& args) {
  std::map<std::string, std::vector<std::string>> given;
  std::optional<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--help" || word == "-h") throw HelpRequested(help_text(spec));
    const OptionSpec* option = find_option(spec, word);
    if (option && option->value.empty()) {
      given[option->name].push_back("");
    } else if (option) {
      if (i + 1 >= args.size()) throw usage_error(spec, "option " + word + " needs a value " + option->value);
      given[option->name].push_back(args[++i]);
    } else if (word.size() > 1 && word[0] == '-') {
      throw usage_error(spec, "unknown option '" + word + "'");
    } else if (spec.positional.empty() || positional) {
      throw usage_error(spec, "unexpected argument '" + word + "'");
    } else {
      positional = word;
    }
  }
  for (const OptionSpec& option : spec.options)
    if (option.required && !given.count(option.name))
      throw usage_error(spec, "missing required option " + option_synopsis(option));
  if (spec.positional_required && !positional) throw usage_error(spec, "missing " + spec.positional);
  return Options(spec, std::move(given), std::move(positional));
}

std::string help_text(const CommandSpec& spec) {
  std::vector<std::pair<std::string, std::string>> rows;  // synopsis, meaning
  for (const OptionSpec& option : spec.options) {
    std::string meaning = option.meaning;
    if (option.required) meaning += " (required)";
    else if (!option.default_value.empty()) meaning += " (default: " + option.default_value + ")";
    if (option.repeatable) meaning += " (repeatable)";
    rows.emplace_back(option_synopsis(option), meaning);
  }
  rows.emplace_back("-h, --help", "print this help and exit");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string text = "usage: " + spec.usage + "\n\n" + spec.summary + "\n\noptions:\n";
  for (const auto& [synopsis, meaning] : rows)
    text += "  " + synopsis + std::string(width - synopsis.size() + 2, ' ') + meaning + "\n";
  text += "\nexample:\n  " + spec.example + "\n";
  return text;
}

}  // namespace bytegrad::tools
