#pragma once
// SPEC §4: every setting, its TOML key, environment variables, flag and default, as one table
// (settings.cpp). Precedence: defaults < TOML file < environment < command-line flags.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "log/log.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::config {

using std::chrono::milliseconds;

// Where a value came from, in the words error messages and `schemagate config` use.
struct Source {
  enum class Kind { Default, File, Environment, Flag };
  Kind kind = Kind::Default;
  std::string where{};  // "DB_MAX_RETRIES", "schemagate.toml:7:3", "--max-retries"; empty for default
  std::string detail{};  // the file DATABASE_URL_FILE names
  std::string describe() const;  // "default", "environment DB_MAX_RETRIES", "schemagate.toml:7:3", "flag --max-retries"
};

struct Settings {
  std::string database_url;  // empty: libpq's PG* environment variables
  int max_retries = 30;      // connection attempts (at least one is always made)
  milliseconds retry_interval{2000};
  std::string migrations_dir = "migrations";
  std::string migrations_table = "schema_migrations";
  bool auto_migrate = true;
  bool fail_on_error = true;
  milliseconds migration_timeout{60000};  // zero: no limit
  int retry_attempts = 3;
  milliseconds retry_delay{5000};
  milliseconds lock_timeout{5000};
  bool await = false;
  std::vector<TableName> critical_tables;
  log::Format log_format = log::Format::text;
  log::Level log_level = log::Level::info;
  std::vector<std::string> migrate_command;  // argv of an external migrate step; empty: SQL files
  std::string status_file;                   // where run writes its JSON status; empty: none
  bool skip = false;
  std::string config_file;  // the TOML file read, empty when none

  // Every setting as `schemagate config` prints it: key, effective value (passwords masked), source.
  struct Shown {
    std::string key;
    std::string value;
    Source source;
  };
  std::vector<Shown> shown;
  const Source& source_of(std::string_view key) const;
};

// A setting flag as it appeared on the command line, in order; switches carry an empty value.
struct FlagValue {
  std::string flag;
  std::string value;
};

struct FlagInfo {
  std::string_view name;
  bool takes_value;
};
// The setting flags (SPEC §4), for the command-line parser; nullptr when name is not one.
const FlagInfo* find_flag(std::string_view name);
std::span<const FlagInfo> all_flags();

// Reads an environment variable; std::nullopt when unset. Injected so tests need no real env.
using Env = std::function<std::optional<std::string>(std::string_view)>;
Env process_env();

// Fails with ErrorKind::Config and one line naming the variable, flag or file:line:col at fault.
// `cwd_default` is the file read when neither --config nor SCHEMAGATE_CONFIG names one, if it exists.
Result<Settings> load(std::span<const FlagValue> flags, const Env& env,
                      const std::string& cwd_default = "schemagate.toml");

// Value parsers, exposed for unit tests.
Result<int> parse_count(std::string_view text);
Result<milliseconds> parse_duration(std::string_view text);
Result<bool> parse_bool(std::string_view text);
Result<std::vector<TableName>> parse_table_list(std::string_view text);
// Words as a POSIX shell splits them (blanks; '...', "...", backslash), without running a shell.
Result<std::vector<std::string>> parse_command_line(std::string_view text);

}  // namespace schemagate::config
