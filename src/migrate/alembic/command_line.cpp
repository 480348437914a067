#include "migrate/alembic/command_line.h"

#include <filesystem>
#include <optional>
#include <string_view>

namespace schemagate::migrate::alembic {
namespace {

// What the argument parser made of an `alembic` command line.
struct Parsed {
  IniChoice ini;
  std::vector<std::string> words;  // the subcommand and its arguments, options included
  bool is_understood = true;       // false: an option before the subcommand this reader does not know
};

// Global options come before the subcommand; -c, -n and -x take a value, given apart, after `=`
// (long forms) or attached (-cPATH), as argparse accepts them.
Parsed parse(const std::vector<std::string>& argv) {
  Parsed p;
  size_t i = 1;
  for (; i < argv.size() && argv[i].starts_with("-"); ++i) {
    std::string_view a = argv[i];
    std::optional<std::string> value;
    char option = 0;
    for (auto [name, letter] : {std::pair{"--config", 'c'}, {"--name", 'n'}}) {
      std::string_view n = name;
      if (a == n) option = letter;
      if (a.starts_with(std::string(n) + "=")) option = letter, value = std::string(a.substr(n.size() + 1));
    }
    if (a.size() >= 2 && a[0] == '-' && a[1] != '-' &&
        std::string_view("cnx").find(a[1]) != std::string_view::npos) {
      option = a[1];
      if (a.size() > 2) value = std::string(a.substr(2));
    }
    if (option == 0) {
      if (a != "--raiseerr") p.is_understood = false;
      continue;
    }
    if (!value) {
      if (i + 1 >= argv.size()) break;  // a trailing option without its value names nothing
      value = argv[++i];
    }
    if (option == 'c') p.ini.path = *value;
    if (option == 'n') p.ini.section = *value;
  }
  for (; i < argv.size(); ++i) p.words.push_back(argv[i]);
  return p;
}

bool is_alembic(const std::vector<std::string>& argv) {
  return !argv.empty() && std::filesystem::path(argv.front()).filename() == "alembic";
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Alembic's _relative_destination, (?:(.+?)@)?(\w+)?((?:\+|-)\d+), matched at the start: after
// any `label@`, optional word characters, then a sign and a digit.
bool is_relative(std::string_view target) {
  for (size_t start = 0; start < target.size(); ++start) {
    if (start > 0 && target[start - 1] != '@') continue;
    if (start == 1) continue;  // the label before `@` is not empty
    size_t j = start;
    while (j < target.size() && is_word_char(target[j])) ++j;
    if (j + 1 < target.size() && (target[j] == '+' || target[j] == '-') && target[j + 1] >= '0' &&
        target[j + 1] <= '9')
      return true;
  }
  return false;
}

}  // namespace

IniChoice ini_for(const std::vector<std::string>& argv) {
  if (!is_alembic(argv)) return IniChoice();
  return parse(argv).ini;
}

std::string upgrade_target(const std::vector<std::string>& argv) {
  const std::string kEverything = "heads";
  if (!is_alembic(argv)) return kEverything;
  Parsed p = parse(argv);
  if (!p.is_understood || p.words.empty() || p.words.front() != "upgrade") return kEverything;
  std::vector<std::string> positional;
  for (size_t i = 1; i < p.words.size(); ++i) {
    const std::string& w = p.words[i];
    if (w == "--tag" && i + 1 < p.words.size()) {
      ++i;  // a value for env.py, no part of the target
    } else if (w.starts_with("--tag=")) {
      continue;
    } else if (w.starts_with("-")) {
      return kEverything;  // --sql, or an option this reader does not know
    } else {
      positional.push_back(w);
    }
  }
  if (positional.size() != 1) return kEverything;
  const std::string& target = positional.front();
  if (target.find(':') != std::string::npos || is_relative(target)) return kEverything;
  return target;
}

}  // namespace schemagate::migrate::alembic
