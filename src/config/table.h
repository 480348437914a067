#pragma once
// SPEC §4 as data: one row per setting with its TOML key, environment variables, flags, default,
// help text and parser. Everything else reads it: load() (config/load.cpp) takes values and
// defaults by it, cli::usage() prints it, and tests/unit/config/table_test.cpp holds README.md's
// settings table to it. A new setting is a field in Settings and a row in config/table.cpp.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "util/result.h"

namespace schemagate::config {

// A value before it is parsed, with where it came from.
struct Raw {
  std::string text;
  std::vector<std::string> list;  // the items of a TOML array or a repeated flag, when is_list
  bool is_list = false;
  Source source;
};

struct Alias {
  std::string_view name;
  bool inverted = false;  // DISABLE_AUTO_MIGRATIONS=true means auto = false
  bool is_file = false;   // DATABASE_URL_FILE names a file holding the value
};

// A flag that takes no value: it sets its setting to `value`, parsed like any other value.
struct Switch {
  std::string_view flag;
  std::string_view value;
};

// How a row's value reaches Settings, and how `schemagate config` shows it back.
struct Field {
  // Fails with the parser's message alone; load() adds where the value came from.
  Status (*apply)(Settings&, const Raw&) = nullptr;
  std::string (*show)(const Settings&) = nullptr;
};

// The TOML type a setting's value must have in the file (README: Settings). load() checks it for
// every entry the file holds, even one that the environment or a flag then overrides.
enum class TomlKind {
  text,      // a string
  count,     // an integer
  duration,  // seconds as an integer or a float, or a string with a unit: "500ms"
  boolean,   // true or false
  list,      // an array of strings
};

struct Row {
  std::string_view key;  // the TOML key, or the name `schemagate config` shows an env-only setting by
  bool in_toml = true;
  TomlKind toml = TomlKind::text;
  Alias env[3] = {};                 // in SPEC order; aliases are reconciled, the first set one is the source
  std::string_view flag = {};        // a flag that takes a value
  std::string_view value_name = {};  // what usage calls that value: `--max-retries N`
  Switch switches[2] = {};
  bool repeatable = false;  // each use of the flag adds to the list
  bool secret = false;      // passwords masked when shown or quoted, and registered with the log early
  // The control characters a value may hold: only the blanks its parser splits on (load.cpp says why).
  std::string_view controls = {};
  // Applied through `field` like any other value, with source "default"; empty: the field stays
  // empty (no URL, no tables, no command).
  std::string_view default_text = {};
  // Usage's and the README's words for the default when default_text is empty and something still
  // applies: "./schemagate.toml if present".
  std::string_view default_note = {};
  std::string_view help = {};  // usage's words after the variable: `DB_MAX_RETRIES: connection attempts`
  Field field = {};
};

// Every setting, in the order `schemagate config` prints them.
std::span<const Row> table();

// The row with this key; nullptr when there is none.
const Row* find_row(std::string_view key);

}  // namespace schemagate::config
