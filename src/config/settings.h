#pragma once
// SPEC §4: the effective settings, each value knowing where it came from. The settings table
// (config/table.h) is the one place a setting's key, variables, flags and default are written;
// load() applies it with the precedence defaults < TOML file < environment < command-line flags.
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

// The defaults are the table's, applied by load(): a Settings that load() did not make holds
// zeros and empty values, not defaults.
// MIGRATIONS_PREFLIGHT (SPEC §1 step 5b).
enum class Preflight { off, warn, block };
enum class MigrationLock { automatic, advisory, table };

struct Settings {
  std::string database_url;  // empty: libpq's PG* environment variables
  int max_retries{};         // connection attempts (at least one is always made)
  milliseconds retry_interval{};
  std::string migrations_dir;
  std::string migrations_table;
  bool auto_migrate{};
  bool fail_on_error{};
  milliseconds migration_timeout{};  // zero: no limit
  int retry_attempts{};
  milliseconds retry_delay{};
  milliseconds lock_timeout{};
  bool await{};
  bool single_transaction{};
  Preflight preflight{};
  long long preflight_max_rows{};  // a blocking lock or rewrite on a table over this many rows is over the line
  long long preflight_max_bytes{};  // ... or over this many bytes on disk
  MigrationLock migration_lock{};
  std::string migrations_database_url;  // MIGRATIONS_DATABASE_URL: lock, plan, pre-flight, apply; empty: database_url
  std::vector<TableName> critical_tables;
  log::Format log_format{};
  log::Level log_level{};
  std::vector<std::string> migrate_command;  // argv of an external migrate step; empty: SQL files
  std::string status_file;                   // where run writes its JSON status; empty: none
  bool skip{};
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
  std::string_view key;  // the setting it sets (Row::key)
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

// For main, before load() can fail, so that even an error about the settings themselves cannot
// echo a password: every password in the secret settings' variables that hold a value (not the
// file DATABASE_URL_FILE names: load() reads it) and flags, and libpq's PGPASSWORD.
std::vector<std::string> secrets_in(std::span<const FlagValue> flags, const Env& env);

// For main, before load(): the log format asked for by LOG_FORMAT or --log-format, read by
// log.format's own parser, so that a configuration or usage error is printed in it. text when
// unset or invalid (load() then reports the invalid value).
log::Format early_log_format(std::span<const FlagValue> flags, const Env& env);

}  // namespace schemagate::config
