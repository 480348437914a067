#pragma once
#include <string>
#include <vector>

#include "util/result.h"

namespace schemagate::config {

// What a TOML value is (TOML 1.0's types; dates and times are not settings, see type_error).
enum class TomlType { string, integer, floating, boolean, array, other };

// One key of a TOML settings file, flattened to its dotted name ("database.url"), its value as
// text (booleans "true"/"false", numbers as written by the shortest form) or as a list of
// strings, its TOML type, and where it stands in the file for error messages.
struct TomlEntry {
  std::string key;
  std::string text;
  TomlType type = TomlType::other;
  std::vector<std::string> list;
  bool is_list = false;
  bool is_table = false;  // a [section] header, reported so a misspelt section is an error
  std::string where;      // "schemagate.toml:7:3"
  std::string type_error; // set when the value is of a type no setting takes
};

// Parses a settings file's text; fails with ErrorKind::Config naming path:line:col.
Result<std::vector<TomlEntry>> parse_toml(const std::string& text, const std::string& path);

}  // namespace schemagate::config
