#pragma once
// alembic.ini, read as Python's configparser (Alembic's reader) reads it.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace schemagate::migrate::alembic {

struct IniValue {
  std::string text;  // as written: continuation lines joined with "\n", not yet interpolated
  int line = 0;      // of the key
};
using IniKeys = std::map<std::string, IniValue>;  // keys lower-cased, as configparser's optionxform does

struct Ini {
  std::string path;
  std::map<std::string, IniKeys> sections;
};

// configparser's syntax: `[section]` headers, `key = value` or `key: value`, indented continuation
// lines, # and ; comment lines (which neither end nor join a multi-line value), a UTF-8 BOM skipped.
// `path` only names the file in errors.
//
// Errors: ErrorKind::Config "path:line: ..." for a key before any [section], a line that is neither
// a key nor a section, or (as configparser's strict mode) a section or a key in a section given twice.
Result<Ini> parse_ini(std::string_view text, const std::string& path);

// One section's values as configparser's BasicInterpolation gives them: %(key)s from the same
// section or [DEFAULT], %% for %. Alembic gives `here` as a default: the ini file's directory.
// REQUIRES: `ini` outlives this.
class IniSection {
 public:
  IniSection(const Ini& ini, std::string section, std::string here);

  const std::string& ini_path() const { return ini_.path; }

  // The interpolated value and its line, or nullopt when the key is not set.
  // REQUIRES: `key` lower-cased, as parse_ini stores keys.
  // Errors: ErrorKind::Config "path:line: key: ..." for a % not followed by % or (name)s, a name
  // neither this section nor [DEFAULT] sets, or interpolation nested deeper than 10.
  Result<std::optional<IniValue>> get(const std::string& key) const;

 private:
  const IniValue* find(const std::string& key) const;
  Result<std::string> interpolate(const std::string& key, std::string_view raw, int line, int depth) const;

  const Ini& ini_;
  std::string section_;
  std::string here_;
};

}  // namespace schemagate::migrate::alembic
