#include "config/table.h"

#include <cctype>

#include "config/values.h"
#include "util/conninfo_text.h"
#include "util/json.h"

namespace schemagate::config {
namespace {

// ---------------------------------------------------------------------------------------------
// Plain fields: the parser and the shown form follow from the field's type, so a row names only
// the member (`plain<&Settings::max_retries>`).

template <class T>
Status store(T& field, Result<T> parsed) {
  if (!parsed) return parsed.error();
  field = std::move(*parsed);
  return {};
}

Status assign(int& field, const Raw& raw) { return store(field, parse_count(raw.text)); }
Status assign(milliseconds& field, const Raw& raw) { return store(field, parse_duration(raw.text)); }
Status assign(bool& field, const Raw& raw) { return store(field, parse_bool(raw.text)); }
Status assign(std::string& field, const Raw& raw) {
  if (raw.text.empty()) return config_error("must not be empty");
  field = raw.text;
  return {};
}

std::string show(int value) { return std::to_string(value); }
std::string show(milliseconds value) { return show_duration(value); }
std::string show(bool value) { return show_bool(value); }
std::string show(const std::string& value) { return value; }

template <auto member>
Status apply_plain(Settings& s, const Raw& raw) {
  return assign(s.*member, raw);
}
template <auto member>
std::string show_plain(const Settings& s) {
  return show(s.*member);
}
template <auto member>
constexpr Field plain = {apply_plain<member>, show_plain<member>};

// ---------------------------------------------------------------------------------------------
// Fields with a parser or a shown form of their own.

std::string show_url(const Settings& s) { return mask_passwords(s.database_url); }
std::string show_migrations_url(const Settings& s) { return mask_passwords(s.migrations_database_url); }

std::string show_timeout(const Settings& s) {
  return s.migration_timeout.count() ? show_duration(s.migration_timeout) : "0 (no limit)";
}

// schemagate creates and writes this table: an unquoted part must be what SQL calls an
// identifier, so the table is the one the user sees under that name.
bool is_plain_identifier(const std::string& part) {
  auto ok = [](unsigned char c, bool first) {
    return std::isalpha(c) || c == '_' || c >= 0x80 || (!first && (std::isdigit(c) || c == '$'));
  };
  for (size_t i = 0; i < part.size(); ++i)
    if (!ok(static_cast<unsigned char>(part[i]), i == 0)) return false;
  return true;
}

Status apply_tracking_table(Settings& s, const Raw& raw) {
  auto name = parse_table_name(raw.text);
  if (!name) return name.error();
  if ((!name->schema_quoted && !is_plain_identifier(name->schema)) ||
      (!name->name_quoted && !is_plain_identifier(name->name)))
    return config_error("table name \"" + escape_controls(raw.text) +
                        "\": not an SQL identifier; double-quote a name with other characters");
  return assign(s.migrations_table, raw);
}

Status apply_critical_tables(Settings& s, const Raw& raw) {
  if (!raw.is_list) return store(s.critical_tables, parse_table_list(raw.text));
  std::vector<TableName> tables;
  // Each item may itself list several, as CRITICAL_TABLES does: --require-table a,b.
  for (const auto& item : raw.list) {
    if (item.find_first_not_of(" \t") == std::string::npos) {  // an explicit blank is an error
      auto name = parse_table_name(item);
      if (!name) return name.error();
    }
    auto names = parse_table_list(item);
    if (!names) return names.error();
    tables.insert(tables.end(), names->begin(), names->end());
  }
  s.critical_tables = std::move(tables);
  return {};
}

std::string show_critical_tables(const Settings& s) {
  std::string out;
  for (const auto& t : s.critical_tables) out += (out.empty() ? "" : ",") + t.as_written;
  return out;
}

Status apply_log_format(Settings& s, const Raw& raw) {
  std::string v = lower(raw.text);
  if (v == "text")
    s.log_format = log::Format::text;
  else if (v == "json")
    s.log_format = log::Format::json;
  else
    return config_error("must be text or json");
  return {};
}

std::string show_log_format(const Settings& s) { return s.log_format == log::Format::json ? "json" : "text"; }

Status apply_preflight(Settings& s, const Raw& raw) {
  std::string v = lower(raw.text);
  if (v == "off")
    s.preflight = Preflight::off;
  else if (v == "warn")
    s.preflight = Preflight::warn;
  else if (v == "block")
    s.preflight = Preflight::block;
  else
    return config_error("must be off, warn or block");
  return {};
}

std::string show_preflight(const Settings& s) {
  return s.preflight == Preflight::off ? "off" : s.preflight == Preflight::block ? "block" : "warn";
}

Status apply_lock(Settings& s, const Raw& raw) {
  std::string v = lower(raw.text);
  if (v == "auto")
    s.migration_lock = MigrationLock::automatic;
  else if (v == "advisory")
    s.migration_lock = MigrationLock::advisory;
  else if (v == "table")
    s.migration_lock = MigrationLock::table;
  else
    return config_error("must be auto, advisory or table");
  return {};
}

std::string show_lock(const Settings& s) {
  return s.migration_lock == MigrationLock::advisory ? "advisory"
         : s.migration_lock == MigrationLock::table  ? "table"
                                                     : "auto";
}

// A row count: digits, or digits with k (thousands) or M (millions).
Status apply_preflight_rows(Settings& s, const Raw& raw) {
  std::string v = lower(raw.text);
  long long scale = 1;
  if (!v.empty() && (v.back() == 'k' || v.back() == 'm')) {
    scale = v.back() == 'k' ? 1'000 : 1'000'000;
    v.pop_back();
  }
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos)
    return config_error("not a row count (1000000, 50k, 2M)");
  s.preflight_max_rows = std::stoll(v) * scale;
  return {};
}

std::string show_preflight_rows(const Settings& s) { return std::to_string(s.preflight_max_rows); }

constexpr std::pair<std::string_view, long long> kByteUnits[] = {
    {"tb", 1LL << 40}, {"gb", 1LL << 30}, {"mb", 1LL << 20}, {"kb", 1LL << 10}, {"b", 1}};

// A size as PostgreSQL writes one: digits and a unit, B, kB, MB, GB or TB (of 1024).
Status apply_preflight_bytes(Settings& s, const Raw& raw) {
  std::string v = lower(raw.text);
  long long scale = 1;
  for (const auto& [unit, bytes] : kByteUnits)
    if (v.size() > unit.size() && v.ends_with(unit)) {
      scale = bytes;
      v.resize(v.size() - unit.size());
      break;
    }
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos)
    return config_error("not a size (1GB, 500MB, 1073741824)");
  s.preflight_max_bytes = std::stoll(v) * scale;
  return {};
}

std::string show_preflight_bytes(const Settings& s) {
  static constexpr std::string_view kShown[] = {"TB", "GB", "MB", "kB", "B"};
  for (size_t i = 0; i < std::size(kByteUnits); ++i)
    if (s.preflight_max_bytes >= kByteUnits[i].second && s.preflight_max_bytes % kByteUnits[i].second == 0)
      return std::to_string(s.preflight_max_bytes / kByteUnits[i].second) + std::string(kShown[i]);
  return std::to_string(s.preflight_max_bytes) + "B";
}

Status apply_log_level(Settings& s, const Raw& raw) {
  std::string v = lower(raw.text);
  if (v == "debug")
    s.log_level = log::Level::debug;
  else if (v == "info")
    s.log_level = log::Level::info;
  else if (v == "warn" || v == "warning")
    s.log_level = log::Level::warn;
  else if (v == "error")
    s.log_level = log::Level::error;
  else
    return config_error("must be debug, info, warn or error");
  return {};
}

std::string show_log_level(const Settings& s) {
  switch (s.log_level) {
    case log::Level::debug:
      return "debug";
    case log::Level::info:
      return "info";
    case log::Level::warn:
      return "warn";
    case log::Level::error:
      return "error";
  }
  return "info";
}

Status apply_migrate_command(Settings& s, const Raw& raw) {
  auto argv = parse_command_line(raw.text);
  if (!argv) return argv.error();
  if (argv->empty()) return config_error("must not be empty");
  s.migrate_command = std::move(*argv);
  return {};
}

std::string show_migrate_command(const Settings& s) { return show_command(s.migrate_command); }

// ---------------------------------------------------------------------------------------------
// SPEC §4, row by row. README.md's settings table says the same (table_test.cpp checks).

constexpr Row kRows[] = {
    {.key = "database.url",
     .env = {{"DATABASE_URL"}, {.name = "DATABASE_URL_FILE", .is_file = true}},
     .flag = "--database-url",
     .value_name = "URL",
     .secret = true,
     .help = "if unset, libpq's PG* variables",
     .field = {apply_plain<&Settings::database_url>, show_url}},
    {.key = "database.max_retries",
     .toml = TomlKind::count,
     .env = {{"DB_MAX_RETRIES"}},
     .flag = "--max-retries",
     .value_name = "N",
     .default_text = "30",
     .help = "connection attempts",
     .field = plain<&Settings::max_retries>},
    {.key = "database.retry_interval",
     .toml = TomlKind::duration,
     .env = {{"DB_RETRY_INTERVAL"}},
     .flag = "--retry-interval",
     .value_name = "SECONDS",
     .default_text = "2",
     .help = "pause between attempts, e.g. 0.5 or 500ms",
     .field = plain<&Settings::retry_interval>},
    {.key = "migrations.dir",
     .env = {{"MIGRATIONS_DIR"}},
     .flag = "--dir",
     .value_name = "PATH",
     .default_text = "migrations",
     .field = plain<&Settings::migrations_dir>},
    {.key = "migrations.table",
     .env = {{"MIGRATIONS_TABLE"}},
     .flag = "--table",
     .value_name = "NAME",
     .default_text = "schema_migrations",
     .field = {apply_tracking_table, show_plain<&Settings::migrations_table>}},
    {.key = "migrations.auto",
     .toml = TomlKind::boolean,
     .env = {{"AUTO_MIGRATE_ON_STARTUP"},
             {"BACKEND_AUTO_MIGRATE"},
             {.name = "DISABLE_AUTO_MIGRATIONS", .inverted = true}},
     .switches = {{"--no-migrate", "false"}},
     .default_text = "true",
     .help = "check only",
     .field = plain<&Settings::auto_migrate>},
    {.key = "migrations.fail_on_error",
     .toml = TomlKind::boolean,
     .env = {{"FAIL_ON_MIGRATION_ERROR"}},
     .switches = {{"--permissive", "false"}},
     .default_text = "true",
     .help = "start the app degraded on failure",
     .field = plain<&Settings::fail_on_error>},
    {.key = "migrations.timeout",
     .toml = TomlKind::duration,
     .env = {{"MIGRATION_TIMEOUT_SECONDS"}},
     .flag = "--timeout",
     .value_name = "SECONDS",
     .default_text = "60",
     .help = "0 = no limit",
     .field = {apply_plain<&Settings::migration_timeout>, show_timeout}},
    {.key = "migrations.retry_attempts",
     .toml = TomlKind::count,
     .env = {{"MIGRATION_RETRY_ATTEMPTS"}},
     .default_text = "3",
     .help = "how often a transient failure is retried",
     .field = plain<&Settings::retry_attempts>},
    {.key = "migrations.retry_delay",
     .toml = TomlKind::duration,
     .env = {{"MIGRATION_RETRY_DELAY_SECONDS"}},
     .default_text = "5",
     .help = "pause before each retry",
     .field = plain<&Settings::retry_delay>},
    {.key = "migrations.lock_timeout",
     .toml = TomlKind::duration,
     .env = {{"MIGRATION_LOCK_TIMEOUT"}},
     .default_text = "5s",
     .help = "per statement; hit = retried with jitter",
     .field = plain<&Settings::lock_timeout>},
    {.key = "migrations.await",
     .toml = TomlKind::boolean,
     .env = {{"MIGRATIONS_AWAIT"}},
     .switches = {{"--await", "true"}},
     .default_text = "false",
     .help = "wait for another runner's migrations",
     .field = plain<&Settings::await>},
    {.key = "migrations.single_transaction",
     .toml = TomlKind::boolean,
     .env = {{"MIGRATIONS_SINGLE_TRANSACTION"}},
     .switches = {{"--single-transaction", "true"}},
     .default_text = "false",
     .help = "the whole run as one transaction, all or nothing",
     .field = plain<&Settings::single_transaction>},
    {.key = "migrations.preflight",
     .env = {{"MIGRATIONS_PREFLIGHT"}},
     .flag = "--preflight",
     .value_name = "MODE",
     .default_text = "warn",
     .help = "off, warn (log findings, go on) or block (exit 65 before applying on a finding over the line)",
     .field = {apply_preflight, show_preflight}},
    {.key = "migrations.preflight_max_rows",
     .toml = TomlKind::count,
     .env = {{"MIGRATIONS_PREFLIGHT_MAX_ROWS"}},
     .flag = "--preflight-max-rows",
     .value_name = "N",
     .default_text = "1000000",
     .help = "rows over which a blocking lock, rewrite or scan is over the line (1000000, 50k, 2M)",
     .field = {apply_preflight_rows, show_preflight_rows}},
    {.key = "migrations.preflight_max_bytes",
     .env = {{"MIGRATIONS_PREFLIGHT_MAX_BYTES"}},
     .flag = "--preflight-max-bytes",
     .value_name = "SIZE",
     .default_text = "1GB",
     .help = "size on disk over which a blocking lock, rewrite or scan is over the line (1GB, 500MB)",
     .field = {apply_preflight_bytes, show_preflight_bytes}},
    {.key = "migrations.database_url",
     .env = {{"MIGRATIONS_DATABASE_URL"}, {.name = "MIGRATIONS_DATABASE_URL_FILE", .is_file = true}},
     .flag = "--migrations-database-url",
     .value_name = "URL",
     .secret = true,
     .default_note = "database.url",
     .help = "where migrations are applied (a direct URL beside the app's pooled one), opened only when something "
             "is pending",
     .field = {apply_plain<&Settings::migrations_database_url>, show_migrations_url}},
    {.key = "migrations.lock",
     .env = {{"MIGRATIONS_LOCK"}},
     .flag = "--lock",
     .value_name = "KIND",
     .default_text = "auto",
     .help = "auto (a lease row, and the advisory lock where the connection keeps its session), advisory or table",
     .field = {apply_lock, show_lock}},
    {.key = "verify.tables",
     .toml = TomlKind::list,
     .env = {{"CRITICAL_TABLES"}},
     .flag = "--require-table",
     .value_name = "NAME",
     .repeatable = true,
     .controls = "\t",  // blanks around a name, as spaces are
     .help = "comma-separated; repeatable; schema.table allowed",
     .field = {apply_critical_tables, show_critical_tables}},
    {.key = "log.format",
     .env = {{"LOG_FORMAT"}},
     .flag = "--log-format",
     .value_name = "text|json",
     .default_text = "text",
     .field = {apply_log_format, show_log_format}},
    {.key = "log.level",
     .env = {{"LOG_LEVEL"}},
     .switches = {{"-v", "debug"}, {"-q", "warn"}},
     .default_text = "info",
     .field = {apply_log_level, show_log_level}},
    {.key = "migrations.command",
     .env = {{"MIGRATE_COMMAND"}},
     .flag = "--migrate-command",
     .value_name = "CMD",
     .controls = "\t\n",  // blanks between words (parse_command_line)
     .help = "migrate by running CMD (e.g. \"alembic upgrade head\")",
     .field = {apply_migrate_command, show_migrate_command}},
    {.key = "status_file",
     .in_toml = false,
     .env = {{"SCHEMAGATE_STATUS_FILE"}},
     .flag = "--status-file",
     .value_name = "PATH",
     .help = "write run's outcome there as JSON",
     .field = plain<&Settings::status_file>},
    {.key = "skip",
     .in_toml = false,
     .toml = TomlKind::boolean,
     .env = {{"SCHEMAGATE_SKIP"}},
     .switches = {{"--skip", "true"}},
     .default_text = "false",
     .help = "no database contact, start the app at once",
     .field = plain<&Settings::skip>},
    // Chosen before any other value is read (load.cpp): the file it names holds the others.
    {.key = "config",
     .in_toml = false,
     .env = {{"SCHEMAGATE_CONFIG"}},
     .flag = "--config",
     .value_name = "PATH",
     .default_note = "./schemagate.toml if present",
     .field = plain<&Settings::config_file>},
};

}  // namespace

std::span<const Row> table() { return kRows; }

const Row* find_row(std::string_view key) {
  for (const Row& row : kRows)
    if (row.key == key) return &row;
  return nullptr;
}

}  // namespace schemagate::config
