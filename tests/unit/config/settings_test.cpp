// SPEC §4: defaults < TOML file < environment < flags, each value knowing its source, and every
// bad value stopped with one line naming the variable, flag or file:line:col at fault.
#include "config/settings.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../support/files.h"

namespace schemagate::config {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// No test may pick up a schemagate.toml lying in the directory the tests run from.
const std::string kNoDefaultFile = "/nonexistent/schemagate-unit-test/schemagate.toml";

Env env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Settings> load_with(const std::vector<FlagValue>& flags,
                           const std::map<std::string, std::string>& env = {},
                           const std::string& cwd_default = kNoDefaultFile) {
  return load(flags, env_of(env), cwd_default);
}

Result<Settings> load_env(const std::map<std::string, std::string>& env) { return load_with({}, env); }

// The one line a failed load reports; fails the test when the load succeeded.
std::string error_of(const Result<Settings>& loaded) {
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().kind == ErrorKind::Config);
  return loaded.error().message;
}

const Settings::Shown& row(const Settings& settings, std::string_view key) {
  for (const auto& r : settings.shown)
    if (r.key == key) return r;
  FAIL("no shown row for " << key);
  throw std::logic_error("unreachable");
}

std::string shown(const Settings& settings, std::string_view key) { return row(settings, key).value; }
std::string source(const Settings& settings, std::string_view key) {
  return settings.source_of(key).describe();
}

std::vector<std::string> written(const std::vector<TableName>& tables) {
  std::vector<std::string> out;
  for (const auto& t : tables) out.push_back(t.as_written);
  return out;
}

const std::string kBadDuration =
    "not a duration (seconds such as 2 or 0.5, or with a unit: 500ms, 5s, 2m, 1h)";

// ---------------------------------------------------------------------------------------------
// Defaults

TEST_CASE("with nothing set every setting has its SPEC default and says it is the default") {
  auto loaded = load_with({});
  REQUIRE(loaded);
  const Settings& s = *loaded;
  CHECK(s.database_url == "");
  CHECK(s.max_retries == 30);
  CHECK(s.retry_interval == 2000ms);
  CHECK(s.migrations_dir == "migrations");
  CHECK(s.migrations_table == "schema_migrations");
  CHECK(s.auto_migrate);
  CHECK(s.fail_on_error);
  CHECK(s.migration_timeout == 60000ms);
  CHECK(s.retry_attempts == 3);
  CHECK(s.retry_delay == 5000ms);
  CHECK(s.lock_timeout == 5000ms);
  CHECK_FALSE(s.await);
  CHECK(s.critical_tables.empty());
  CHECK(s.log_format == log::Format::text);
  CHECK(s.log_level == log::Level::info);
  CHECK_FALSE(s.skip);
  CHECK(s.config_file == "");

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"database.url", ""},
      {"database.max_retries", "30"},
      {"database.retry_interval", "2s"},
      {"migrations.dir", "migrations"},
      {"migrations.table", "schema_migrations"},
      {"migrations.auto", "true"},
      {"migrations.fail_on_error", "true"},
      {"migrations.timeout", "60s"},
      {"migrations.retry_attempts", "3"},
      {"migrations.retry_delay", "5s"},
      {"migrations.lock_timeout", "5s"},
      {"migrations.await", "false"},
      {"verify.tables", ""},
      {"log.format", "text"},
      {"log.level", "info"},
      {"migrations.command", ""},
      {"status_file", ""},
      {"skip", "false"},
      {"config", ""},
  };
  REQUIRE(s.shown.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(s.shown[i].key == expected[i].first);
    CHECK(s.shown[i].value == expected[i].second);
    CHECK(s.shown[i].source.kind == Source::Kind::Default);
    CHECK(s.shown[i].source.describe() == "default");
  }
}

TEST_CASE("source_of an unknown key is the default") {
  auto loaded = load_env({{"DB_MAX_RETRIES", "5"}});
  REQUIRE(loaded);
  CHECK(loaded->source_of("database.max_retrys").kind == Source::Kind::Default);
  CHECK(source(*loaded, "database.max_retrys") == "default");
}

TEST_CASE("each kind of source describes itself in the words `schemagate config` prints") {
  CHECK(Source{}.describe() == "default");
  CHECK(Source{Source::Kind::Environment, "DB_MAX_RETRIES"}.describe() == "environment DB_MAX_RETRIES");
  CHECK(Source{Source::Kind::Flag, "--max-retries"}.describe() == "flag --max-retries");
  CHECK(Source{Source::Kind::File, "schemagate.toml:7:3"}.describe() == "schemagate.toml:7:3");
}

TEST_CASE("an environment source with a file describes the file in parentheses") {
  CHECK(Source{Source::Kind::Environment, "DATABASE_URL_FILE", "/run/secrets/db_url"}.describe() ==
        "environment DATABASE_URL_FILE (/run/secrets/db_url)");
}

TEST_CASE("only DATABASE_URL_FILE names a file in its source; DATABASE_URL does not") {
  TempDir dir;
  std::string path = dir.write("db_url", "postgresql://app@db/shop\n");
  auto from_file = load_env({{"DATABASE_URL_FILE", path}});
  REQUIRE(from_file);
  CHECK(from_file->source_of("database.url").where == "DATABASE_URL_FILE");
  CHECK(from_file->source_of("database.url").detail == path);

  auto direct = load_env({{"DATABASE_URL", "postgresql://app@db/shop"}});
  REQUIRE(direct);
  CHECK(source(*direct, "database.url") == "environment DATABASE_URL");
  CHECK(direct->source_of("database.url").detail == "");
}

// ---------------------------------------------------------------------------------------------
// Precedence: defaults < TOML < environment < flags

TEST_CASE("a TOML file overrides the defaults and each value records its file:line:col") {
  TempDir dir;
  std::string path = dir.write("schemagate.toml",
                               "[database]\n"
                               "max_retries = 7\n"
                               "retry_interval = 0.5\n"
                               "[migrations]\n"
                               "dir = \"db/migrate\"\n"
                               "  table = \"ops.migrations\"\n"
                               "[log]\n"
                               "format = \"json\"\n");
  auto loaded = load_with({{"--config", path}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 7);
  CHECK(loaded->retry_interval == 500ms);
  CHECK(loaded->migrations_dir == "db/migrate");
  CHECK(loaded->migrations_table == "ops.migrations");
  CHECK(loaded->log_format == log::Format::json);
  CHECK(loaded->config_file == path);

  CHECK(source(*loaded, "database.max_retries") == path + ":2:1");
  CHECK(source(*loaded, "database.retry_interval") == path + ":3:1");
  CHECK(source(*loaded, "migrations.dir") == path + ":5:1");
  CHECK(source(*loaded, "migrations.table") == path + ":6:3");
  CHECK(source(*loaded, "log.format") == path + ":8:1");
  CHECK(loaded->source_of("log.format").kind == Source::Kind::File);
  CHECK(source(*loaded, "log.level") == "default");
  CHECK(shown(*loaded, "config") == path);
  CHECK(source(*loaded, "config") == "flag --config");
}

TEST_CASE("the environment overrides the TOML file") {
  TempDir dir;
  std::string path = dir.write("s.toml",
                               "[database]\n"
                               "max_retries = 7\n"
                               "retry_interval = 3\n"
                               "[migrations]\n"
                               "dir = \"from-file\"\n");
  auto loaded = load_with({{"--config", path}}, {{"DB_MAX_RETRIES", "9"}, {"MIGRATIONS_DIR", "from-env"}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 9);
  CHECK(source(*loaded, "database.max_retries") == "environment DB_MAX_RETRIES");
  CHECK(loaded->migrations_dir == "from-env");
  CHECK(source(*loaded, "migrations.dir") == "environment MIGRATIONS_DIR");
  // Untouched by the environment, the file's value stands.
  CHECK(loaded->retry_interval == 3000ms);
  CHECK(source(*loaded, "database.retry_interval") == path + ":3:1");
}

TEST_CASE("a flag overrides both the environment and the TOML file") {
  TempDir dir;
  std::string path = dir.write("s.toml",
                               "[database]\n"
                               "max_retries = 7\n"
                               "retry_interval = 3\n"
                               "[migrations]\n"
                               "dir = \"from-file\"\n"
                               "timeout = 10\n"
                               "[log]\n"
                               "format = \"text\"\n");
  auto loaded = load_with({{"--max-retries", "11"},
                           {"--retry-interval", "250ms"},
                           {"--dir", "from-flag"},
                           {"--log-format", "json"}},
                          {{"DB_MAX_RETRIES", "9"},
                           {"DB_RETRY_INTERVAL", "4"},
                           {"MIGRATIONS_DIR", "from-env"},
                           {"LOG_FORMAT", "text"},
                           {"MIGRATION_TIMEOUT_SECONDS", "20"},
                           {"SCHEMAGATE_CONFIG", path}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 11);
  CHECK(source(*loaded, "database.max_retries") == "flag --max-retries");
  CHECK(loaded->retry_interval == 250ms);
  CHECK(source(*loaded, "database.retry_interval") == "flag --retry-interval");
  CHECK(loaded->migrations_dir == "from-flag");
  CHECK(source(*loaded, "migrations.dir") == "flag --dir");
  CHECK(loaded->log_format == log::Format::json);
  CHECK(source(*loaded, "log.format") == "flag --log-format");
  // No flag for this one: the environment beats the file.
  CHECK(loaded->migration_timeout == 20000ms);
  CHECK(source(*loaded, "migrations.timeout") == "environment MIGRATION_TIMEOUT_SECONDS");
  CHECK(source(*loaded, "config") == "environment SCHEMAGATE_CONFIG");
}

TEST_CASE("the last use of a value flag wins") {
  auto loaded = load_with({{"--max-retries", "4"}, {"--max-retries", "6"}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 6);
}

// ---------------------------------------------------------------------------------------------
// Environment variables and their aliases

TEST_CASE("every environment variable sets its setting") {
  struct Case {
    std::string var, value, key, shown;
  };
  const std::vector<Case> cases = {
      {"DATABASE_URL", "postgresql://app@db:5433/shop", "database.url", "postgresql://app@db:5433/shop"},
      {"DB_MAX_RETRIES", "0", "database.max_retries", "0"},
      {"DB_RETRY_INTERVAL", "0.25", "database.retry_interval", "250ms"},
      {"MIGRATIONS_DIR", "db/migrations", "migrations.dir", "db/migrations"},
      {"MIGRATIONS_TABLE", "audit.\"Schema Versions\"", "migrations.table", "audit.\"Schema Versions\""},
      {"AUTO_MIGRATE_ON_STARTUP", "false", "migrations.auto", "false"},
      {"BACKEND_AUTO_MIGRATE", "no", "migrations.auto", "false"},
      {"DISABLE_AUTO_MIGRATIONS", "yes", "migrations.auto", "false"},
      {"FAIL_ON_MIGRATION_ERROR", "0", "migrations.fail_on_error", "false"},
      {"MIGRATION_TIMEOUT_SECONDS", "0", "migrations.timeout", "0 (no limit)"},
      {"MIGRATION_RETRY_ATTEMPTS", "10", "migrations.retry_attempts", "10"},
      {"MIGRATION_RETRY_DELAY_SECONDS", "2m", "migrations.retry_delay", "120s"},
      {"MIGRATION_LOCK_TIMEOUT", "1500ms", "migrations.lock_timeout", "1500ms"},
      {"MIGRATIONS_AWAIT", "true", "migrations.await", "true"},
      {"CRITICAL_TABLES", "users,orders", "verify.tables", "users,orders"},
      {"LOG_FORMAT", "json", "log.format", "json"},
      {"LOG_LEVEL", "error", "log.level", "error"},
      {"SCHEMAGATE_SKIP", "1", "skip", "true"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.var);
    auto loaded = load_env({{c.var, c.value}});
    REQUIRE(loaded);
    CHECK(shown(*loaded, c.key) == c.shown);
    CHECK(source(*loaded, c.key) == "environment " + c.var);
    CHECK(loaded->source_of(c.key).kind == Source::Kind::Environment);
  }
}

TEST_CASE("environment values reach the typed settings") {
  auto loaded = load_env({{"DB_MAX_RETRIES", "12"},
                          {"DB_RETRY_INTERVAL", "1.5"},
                          {"FAIL_ON_MIGRATION_ERROR", "false"},
                          {"MIGRATION_RETRY_DELAY_SECONDS", "0"},
                          {"MIGRATION_LOCK_TIMEOUT", "1h"},
                          {"MIGRATIONS_AWAIT", "YES"},
                          {"LOG_LEVEL", "debug"},
                          {"SCHEMAGATE_SKIP", "true"}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 12);
  CHECK(loaded->retry_interval == 1500ms);
  CHECK_FALSE(loaded->fail_on_error);
  CHECK(loaded->retry_delay == 0ms);
  CHECK(loaded->lock_timeout == 3600000ms);
  CHECK(loaded->await);
  CHECK(loaded->log_level == log::Level::debug);
  CHECK(loaded->skip);
}

TEST_CASE("DISABLE_AUTO_MIGRATIONS is the inverse of auto-migration") {
  auto disabled = load_env({{"DISABLE_AUTO_MIGRATIONS", "true"}});
  REQUIRE(disabled);
  CHECK_FALSE(disabled->auto_migrate);
  CHECK(shown(*disabled, "migrations.auto") == "false");
  CHECK(source(*disabled, "migrations.auto") == "environment DISABLE_AUTO_MIGRATIONS");

  auto enabled = load_env({{"DISABLE_AUTO_MIGRATIONS", "false"}});
  REQUIRE(enabled);
  CHECK(enabled->auto_migrate);
  CHECK(shown(*enabled, "migrations.auto") == "true");
  CHECK(source(*enabled, "migrations.auto") == "environment DISABLE_AUTO_MIGRATIONS");
}

TEST_CASE("BACKEND_AUTO_MIGRATE turns auto-migration on and off") {
  auto off = load_env({{"BACKEND_AUTO_MIGRATE", "false"}});
  REQUIRE(off);
  CHECK_FALSE(off->auto_migrate);
  CHECK(source(*off, "migrations.auto") == "environment BACKEND_AUTO_MIGRATE");

  // On over a file that turned it off.
  TempDir dir;
  std::string path = dir.write("s.toml", "[migrations]\nauto = false\n");
  auto on = load_with({{"--config", path}}, {{"BACKEND_AUTO_MIGRATE", "1"}});
  REQUIRE(on);
  CHECK(on->auto_migrate);
  CHECK(source(*on, "migrations.auto") == "environment BACKEND_AUTO_MIGRATE");
}

TEST_CASE("aliases that agree in different words are accepted") {
  auto loaded = load_env(
      {{"AUTO_MIGRATE_ON_STARTUP", "1"}, {"BACKEND_AUTO_MIGRATE", "yes"}, {"DISABLE_AUTO_MIGRATIONS", "No"}});
  REQUIRE(loaded);
  CHECK(loaded->auto_migrate);
  // The first alias in the SPEC's order is named as the source.
  CHECK(source(*loaded, "migrations.auto") == "environment AUTO_MIGRATE_ON_STARTUP");

  auto off = load_env({{"BACKEND_AUTO_MIGRATE", "false"}, {"DISABLE_AUTO_MIGRATIONS", "TRUE"}});
  REQUIRE(off);
  CHECK_FALSE(off->auto_migrate);
  CHECK(source(*off, "migrations.auto") == "environment BACKEND_AUTO_MIGRATE");
}

TEST_CASE("aliases that disagree are an error naming both with their values") {
  CHECK(error_of(load_env({{"AUTO_MIGRATE_ON_STARTUP", "true"}, {"DISABLE_AUTO_MIGRATIONS", "true"}})) ==
        "AUTO_MIGRATE_ON_STARTUP and DISABLE_AUTO_MIGRATIONS disagree (environment): "
        "AUTO_MIGRATE_ON_STARTUP=\"true\", DISABLE_AUTO_MIGRATIONS=\"true\"");
  CHECK(error_of(load_env({{"AUTO_MIGRATE_ON_STARTUP", "yes"}, {"BACKEND_AUTO_MIGRATE", "0"}})) ==
        "AUTO_MIGRATE_ON_STARTUP and BACKEND_AUTO_MIGRATE disagree (environment): "
        "AUTO_MIGRATE_ON_STARTUP=\"yes\", BACKEND_AUTO_MIGRATE=\"0\"");
  CHECK(error_of(load_env({{"BACKEND_AUTO_MIGRATE", "false"}, {"DISABLE_AUTO_MIGRATIONS", "false"}})) ==
        "BACKEND_AUTO_MIGRATE and DISABLE_AUTO_MIGRATIONS disagree (environment): "
        "BACKEND_AUTO_MIGRATE=\"false\", DISABLE_AUTO_MIGRATIONS=\"false\"");
}

TEST_CASE("aliases that disagree are an error even when a flag would settle the setting") {
  CHECK(error_of(load_with({{"--no-migrate", ""}},
                           {{"AUTO_MIGRATE_ON_STARTUP", "1"}, {"DISABLE_AUTO_MIGRATIONS", "1"}})) ==
        "AUTO_MIGRATE_ON_STARTUP and DISABLE_AUTO_MIGRATIONS disagree (environment): "
        "AUTO_MIGRATE_ON_STARTUP=\"1\", DISABLE_AUTO_MIGRATIONS=\"1\"");
}

TEST_CASE("a bad boolean in an alias names that alias and its value") {
  CHECK(error_of(load_env({{"DISABLE_AUTO_MIGRATIONS", "maybe"}})) ==
        "DISABLE_AUTO_MIGRATIONS=\"maybe\" (environment): not a boolean (true/false, 1/0, yes/no)");
  CHECK(error_of(load_env({{"AUTO_MIGRATE_ON_STARTUP", "true"}, {"BACKEND_AUTO_MIGRATE", "on"}})) ==
        "BACKEND_AUTO_MIGRATE=\"on\" (environment): not a boolean (true/false, 1/0, yes/no)");
}

TEST_CASE("an environment variable set but empty is an error naming it") {
  for (std::string var :
       {"DATABASE_URL", "DATABASE_URL_FILE", "DB_MAX_RETRIES", "DB_RETRY_INTERVAL", "MIGRATIONS_DIR",
        "MIGRATIONS_TABLE", "AUTO_MIGRATE_ON_STARTUP", "BACKEND_AUTO_MIGRATE", "DISABLE_AUTO_MIGRATIONS",
        "FAIL_ON_MIGRATION_ERROR", "MIGRATION_TIMEOUT_SECONDS", "MIGRATION_RETRY_ATTEMPTS",
        "MIGRATION_RETRY_DELAY_SECONDS", "MIGRATION_LOCK_TIMEOUT", "MIGRATIONS_AWAIT", "LOG_FORMAT",
        "LOG_LEVEL", "SCHEMAGATE_SKIP", "SCHEMAGATE_CONFIG"}) {
    CAPTURE(var);
    CHECK(error_of(load_env({{var, ""}})) == var + " (environment): set but empty");
  }
}

TEST_CASE("CRITICAL_TABLES set but empty names no critical tables") {
  // A template that renders an empty list is not a mistake worth stopping a deploy for.
  auto loaded = load_env({{"CRITICAL_TABLES", ""}});
  REQUIRE(loaded);
  CHECK(loaded->critical_tables.empty());
  CHECK(source(*loaded, "verify.tables") == "environment CRITICAL_TABLES");
}

// ---------------------------------------------------------------------------------------------
// DATABASE_URL and DATABASE_URL_FILE

TEST_CASE("DATABASE_URL is shown with its password masked") {
  auto loaded = load_env({{"DATABASE_URL", "postgresql://app:hunter2@db:5432/shop"}});
  REQUIRE(loaded);
  CHECK(loaded->database_url == "postgresql://app:hunter2@db:5432/shop");
  CHECK(shown(*loaded, "database.url") == "postgresql://app:****@db:5432/shop");
}

TEST_CASE("DATABASE_URL and DATABASE_URL_FILE set together are an error") {
  TempDir dir;
  std::string path = dir.write("db_url", "postgresql://app:hunter2@db/shop\n");
  CHECK(error_of(load_env({{"DATABASE_URL", "postgresql://app@db/shop"}, {"DATABASE_URL_FILE", path}})) ==
        "DATABASE_URL and DATABASE_URL_FILE are both set (environment): use one");
}

TEST_CASE("DATABASE_URL_FILE is read with its trailing line ending trimmed") {
  TempDir dir;
  std::string ending;
  SUBCASE("newline") { ending = "\n"; }
  SUBCASE("carriage return and newline") { ending = "\r\n"; }
  SUBCASE("none") { ending = ""; }
  SUBCASE("several") { ending = "\n\r\n\n"; }
  CAPTURE(ending);
  std::string path = dir.write("db_url", "postgresql://app:hunter2@db:5432/shop" + ending);
  auto loaded = load_env({{"DATABASE_URL_FILE", path}});
  REQUIRE(loaded);
  CHECK(loaded->database_url == "postgresql://app:hunter2@db:5432/shop");
  CHECK(shown(*loaded, "database.url") == "postgresql://app:****@db:5432/shop");
  CHECK(source(*loaded, "database.url") == "environment DATABASE_URL_FILE (" + path + ")");
}

TEST_CASE("DATABASE_URL_FILE beats the TOML file and loses to --database-url") {
  TempDir dir;
  std::string url_file = dir.write("db_url", "postgresql://from-file-secret@db/shop\n");
  std::string config = dir.write("s.toml", "[database]\nurl = \"postgresql://from-toml@db/shop\"\n");
  auto from_secret = load_with({{"--config", config}}, {{"DATABASE_URL_FILE", url_file}});
  REQUIRE(from_secret);
  CHECK(from_secret->database_url == "postgresql://from-file-secret@db/shop");

  auto from_flag = load_with({{"--config", config}, {"--database-url", "postgresql://from-flag@db/shop"}},
                             {{"DATABASE_URL_FILE", url_file}});
  REQUIRE(from_flag);
  CHECK(from_flag->database_url == "postgresql://from-flag@db/shop");
  CHECK(source(*from_flag, "database.url") == "flag --database-url");
}

TEST_CASE("an unreadable DATABASE_URL_FILE names the variable and the path") {
  TempDir dir;
  std::string path = dir.file("no-such-secret");
  std::string message = error_of(load_env({{"DATABASE_URL_FILE", path}}));
  CHECK(message ==
        "DATABASE_URL_FILE=\"" + path + "\" (environment): cannot read: No such file or directory");
}

TEST_CASE("a directory given as DATABASE_URL_FILE is an error naming the variable and the path") {
  TempDir dir;
  std::string path = dir.file("secrets");
  std::filesystem::create_directory(path);
  CHECK(error_of(load_env({{"DATABASE_URL_FILE", path}})) ==
        "DATABASE_URL_FILE=\"" + path + "\" (environment): cannot read: Is a directory");
}

TEST_CASE("an empty DATABASE_URL_FILE is an error") {
  TempDir dir;
  std::string content;
  SUBCASE("no bytes") { content = ""; }
  SUBCASE("only a line ending") { content = "\r\n"; }
  CAPTURE(content);
  std::string path = dir.write("db_url", content);
  CHECK(error_of(load_env({{"DATABASE_URL_FILE", path}})) ==
        "DATABASE_URL_FILE=\"" + path + "\" (environment): the file is empty");
}

TEST_CASE("an empty --database-url is an error naming the flag") {
  CHECK(error_of(load_with({{"--database-url", ""}})) == "--database-url=\"\" (flag): must not be empty");
}

// ---------------------------------------------------------------------------------------------
// Flags

TEST_CASE("--require-table is repeatable and keeps the order given") {
  auto loaded = load_with({{"--require-table", "users"},
                           {"--max-retries", "1"},
                           {"--require-table", "audit.events"},
                           {"--require-table", "\"Order, Items\""}});
  REQUIRE(loaded);
  CHECK(written(loaded->critical_tables) ==
        std::vector<std::string>{"users", "audit.events", "\"Order, Items\""});
  CHECK(loaded->critical_tables[1].schema == "audit");
  CHECK(loaded->critical_tables[1].name == "events");
  // A flag value is one name, quoted commas and all.
  CHECK(loaded->critical_tables[2].name == "Order, Items");
  CHECK(shown(*loaded, "verify.tables") == "users,audit.events,\"Order, Items\"");
  CHECK(source(*loaded, "verify.tables") == "flag --require-table");
}

TEST_CASE("--require-table replaces the tables named by the environment and the file") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[verify]\ntables = [\"from_file\"]\n");
  auto loaded = load_with({{"--config", path}, {"--require-table", "from_flag"}},
                          {{"CRITICAL_TABLES", "from_env_a,from_env_b"}});
  REQUIRE(loaded);
  CHECK(written(loaded->critical_tables) == std::vector<std::string>{"from_flag"});
}

TEST_CASE("a bad --require-table value is an error naming the table") {
  auto loaded = load_with({{"--require-table", "ok"}, {"--require-table", "a.b.c"}});
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().kind == ErrorKind::Config);
  CHECK(std::string_view(loaded.error().message).starts_with("--require-table="));
  CHECK(std::string_view(loaded.error().message)
            .ends_with(" (flag): table name \"a.b.c\": expected table or schema.table"));
}

TEST_CASE("a bad --require-table value shows every table given, joined with commas") {
  CHECK(error_of(load_with({{"--require-table", "ok"}, {"--require-table", "a.b.c"}})) ==
        "--require-table=\"ok,a.b.c\" (flag): table name \"a.b.c\": expected table or schema.table");
  CHECK(error_of(load_with({{"--require-table", "a.b.c"}})) ==
        "--require-table=\"a.b.c\" (flag): table name \"a.b.c\": expected table or schema.table");
}

TEST_CASE("switches set their settings and are named as the source") {
  auto loaded = load_with({{"--no-migrate", ""}, {"--permissive", ""}, {"--await", ""}, {"--skip", ""}},
                          {{"AUTO_MIGRATE_ON_STARTUP", "true"},
                           {"FAIL_ON_MIGRATION_ERROR", "true"},
                           {"MIGRATIONS_AWAIT", "false"},
                           {"SCHEMAGATE_SKIP", "false"}});
  REQUIRE(loaded);
  CHECK_FALSE(loaded->auto_migrate);
  CHECK(source(*loaded, "migrations.auto") == "flag --no-migrate");
  CHECK_FALSE(loaded->fail_on_error);
  CHECK(source(*loaded, "migrations.fail_on_error") == "flag --permissive");
  CHECK(loaded->await);
  CHECK(source(*loaded, "migrations.await") == "flag --await");
  CHECK(loaded->skip);
  CHECK(source(*loaded, "skip") == "flag --skip");
}

TEST_CASE("-v and -q set the log level and the last one wins") {
  auto verbose = load_with({{"-v", ""}}, {{"LOG_LEVEL", "error"}});
  REQUIRE(verbose);
  CHECK(verbose->log_level == log::Level::debug);
  CHECK(source(*verbose, "log.level") == "flag -v");

  auto quiet = load_with({{"-v", ""}, {"-q", ""}});
  REQUIRE(quiet);
  CHECK(quiet->log_level == log::Level::warn);
  CHECK(shown(*quiet, "log.level") == "warn");
  CHECK(source(*quiet, "log.level") == "flag -q");
}

TEST_CASE("find_flag knows the setting flags and whether each takes a value") {
  for (std::string_view name : {"--database-url", "--max-retries", "--retry-interval", "--dir", "--table",
                                "--timeout", "--require-table", "--log-format", "--migrate-command",
                                "--status-file", "--config"}) {
    CAPTURE(name);
    const FlagInfo* flag = find_flag(name);
    REQUIRE(flag != nullptr);
    CHECK(flag->takes_value);
  }
  for (std::string_view name : {"--no-migrate", "--permissive", "--await", "--skip", "-v", "-q"}) {
    CAPTURE(name);
    const FlagInfo* flag = find_flag(name);
    REQUIRE(flag != nullptr);
    CHECK_FALSE(flag->takes_value);
  }
  CHECK(find_flag("--database_url") == nullptr);
  CHECK(find_flag("--help") == nullptr);
  CHECK(find_flag("") == nullptr);
  CHECK(all_flags().size() == 17);
}

// ---------------------------------------------------------------------------------------------
// CRITICAL_TABLES and parse_table_list

TEST_CASE("CRITICAL_TABLES is a comma-separated list whose quoted names may contain commas") {
  auto loaded =
      load_env({{"CRITICAL_TABLES", "users, audit.log_entries,\"Order, Items\",app.\"a,b\",\"s,1\".t"}});
  REQUIRE(loaded);
  const auto& t = loaded->critical_tables;
  REQUIRE(t.size() == 5);
  CHECK(t[0].schema == "");
  CHECK(t[0].name == "users");
  CHECK(t[1].schema == "audit");
  CHECK(t[1].name == "log_entries");
  CHECK(t[2].name == "Order, Items");
  CHECK(t[2].name_quoted);
  CHECK(t[3].schema == "app");
  CHECK(t[3].name == "a,b");
  CHECK(t[4].schema == "s,1");
  CHECK(t[4].schema_quoted);
  CHECK(t[4].name == "t");
  CHECK(shown(*loaded, "verify.tables") == "users,audit.log_entries,\"Order, Items\",app.\"a,b\",\"s,1\".t");
}

TEST_CASE("parse_table_list skips blank items left by templating") {
  auto tables = parse_table_list(" a,, b ,\t,");
  REQUIRE(tables);
  CHECK(written(*tables) == std::vector<std::string>{"a", "b"});
  auto none = parse_table_list(" , ");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("a bad name in CRITICAL_TABLES is an error naming the variable and the name") {
  CHECK(
      error_of(load_env({{"CRITICAL_TABLES", "users,a.b.c"}})) ==
      "CRITICAL_TABLES=\"users,a.b.c\" (environment): table name \"a.b.c\": expected table or schema.table");
  CHECK(error_of(load_env({{"CRITICAL_TABLES", "users,\"open"}})) ==
        "CRITICAL_TABLES=\"users,\"open\" (environment): table name \"\"open\": unterminated quote");
}

// ---------------------------------------------------------------------------------------------
// Typed values

TEST_CASE("parse_count accepts whole numbers from 0 to a million") {
  CHECK(*parse_count("0") == 0);
  CHECK(*parse_count("7") == 7);
  CHECK(*parse_count("1000000") == 1000000);
}

TEST_CASE("parse_count accepts leading zeros") {
  CHECK(*parse_count("00000030") == 30);
  CHECK(*parse_count("007") == 7);
  CHECK(*parse_count("00") == 0);
  CHECK(*parse_count("0000000000000000000000") == 0);
  CHECK(*parse_count("0001000000") == 1000000);
  auto over = parse_count("00000001000001");
  REQUIRE_FALSE(over);
  CHECK(over.error().message == "too large (at most 1000000)");
}

TEST_CASE("a count with leading zeros from the environment is read as a number") {
  auto loaded = load_env({{"DB_MAX_RETRIES", "00000030"}, {"MIGRATION_RETRY_ATTEMPTS", "0"}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 30);
  CHECK(shown(*loaded, "database.max_retries") == "30");
  CHECK(loaded->retry_attempts == 0);
}

TEST_CASE("parse_count refuses anything but a whole number in range") {
  for (std::string_view text : {"abc", "-1", "1e9", "", "+5", " 5", "5 ", "1.0", "0x10"}) {
    CAPTURE(text);
    auto v = parse_count(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == "not a non-negative integer");
  }
  for (std::string_view text : {"99999999", "1000001", "99999999999999999999999"}) {
    CAPTURE(text);
    auto v = parse_count(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().message == "too large (at most 1000000)");
  }
}

TEST_CASE("a bad count names the variable, the flag or the file it came from") {
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", "abc"}})) ==
        "DB_MAX_RETRIES=\"abc\" (environment): not a non-negative integer");
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", "-1"}})) ==
        "DB_MAX_RETRIES=\"-1\" (environment): not a non-negative integer");
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", "1e9"}})) ==
        "DB_MAX_RETRIES=\"1e9\" (environment): not a non-negative integer");
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", "99999999"}})) ==
        "DB_MAX_RETRIES=\"99999999\" (environment): too large (at most 1000000)");
  CHECK(error_of(load_env({{"MIGRATION_RETRY_ATTEMPTS", "three"}})) ==
        "MIGRATION_RETRY_ATTEMPTS=\"three\" (environment): not a non-negative integer");
  CHECK(error_of(load_with({{"--max-retries", ""}})) ==
        "--max-retries=\"\" (flag): not a non-negative integer");
  CHECK(error_of(load_with({{"--max-retries", "abc"}})) ==
        "--max-retries=\"abc\" (flag): not a non-negative integer");

  TempDir dir;
  std::string path = dir.write("s.toml", "[database]\nmax_retries = -5\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: database.max_retries = \"-5\": not a non-negative integer");
}

TEST_CASE("parse_duration reads seconds, fractions and units") {
  struct Case {
    std::string_view text;
    std::chrono::milliseconds expected;
  };
  for (Case c : {Case{"0", 0ms}, Case{"2", 2000ms}, Case{"1.5", 1500ms}, Case{"0.25", 250ms},
                 Case{"500ms", 500ms}, Case{"5s", 5000ms}, Case{"2m", 120000ms}, Case{"1h", 3600000ms},
                 Case{"1.5m", 90000ms}, Case{"168h", 604800000ms}, Case{"604800", 604800000ms}}) {
    CAPTURE(c.text);
    auto v = parse_duration(c.text);
    REQUIRE(v);
    CHECK(*v == c.expected);
  }
}

TEST_CASE("parse_duration refuses anything but a non-negative number with an optional unit") {
  for (std::string_view text : {"abc", "-1", "1e9", ".5", "5.", "2x", "inf", "nan", "", "1..5", "1.2.3", " 5",
                                "5 ", "5S", "ms", "5 s", "0x10", "5d", "1,5"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == kBadDuration);
  }
}

TEST_CASE("parse_duration refuses more than seven days") {
  for (std::string_view text : {"604801", "169h", "10081m", "604800001ms", "999999999999", "99999999999h"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().message == "too large (at most 7 days)");
  }
}

TEST_CASE("parse_duration says a number of more than 15 characters is too large") {
  for (std::string_view text : {"1234567890123456", "9999999999999999999999", "1234567890123456ms",
                                "99999999999999999999h", "123456789012345.5"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().message == "too large (at most 7 days)");
  }
  // Fifteen characters are still read: the value decides.
  auto fifteen = parse_duration("000000000000005");
  REQUIRE(fifteen);
  CHECK(*fifteen == 5000ms);
  auto large = parse_duration("999999999999999");
  REQUIRE_FALSE(large);
  CHECK(large.error().message == "too large (at most 7 days)");
}

TEST_CASE("parse_duration judges a long number by its value, not its length") {
  auto zeros = parse_duration("0000000000000005");
  CHECK(zeros);
  if (zeros) CHECK(*zeros == 5000ms);
  auto tiny = parse_duration("0.00000000000001");
  REQUIRE_FALSE(tiny);
  CHECK(tiny.error().message == "too small (under 1 ms; 0 means none)");
}

TEST_CASE("parse_duration refuses a nonzero duration under one millisecond") {
  for (std::string_view text : {"0.0001", "0.0005", "0.5ms", "0.9ms", "0.00000001", "0.000000000001h"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == "too small (under 1 ms; 0 means none)");
  }
}

TEST_CASE("parse_duration takes zero in any spelling and rounds to whole milliseconds from one up") {
  struct Case {
    std::string_view text;
    std::chrono::milliseconds expected;
  };
  for (Case c : {Case{"0", 0ms}, Case{"0.0", 0ms}, Case{"0ms", 0ms}, Case{"0.000h", 0ms}, Case{"0.001", 1ms},
                 Case{"1ms", 1ms}, Case{"1.4ms", 1ms}, Case{"1.5ms", 2ms}, Case{"0.0015", 2ms}}) {
    CAPTURE(c.text);
    auto v = parse_duration(c.text);
    REQUIRE(v);
    CHECK(*v == c.expected);
  }
}

TEST_CASE("a duration under a millisecond names the variable or the flag it came from") {
  CHECK(error_of(load_env({{"MIGRATION_TIMEOUT_SECONDS", "0.0001"}})) ==
        "MIGRATION_TIMEOUT_SECONDS=\"0.0001\" (environment): too small (under 1 ms; 0 means none)");
  CHECK(error_of(load_with({{"--retry-interval", "0.5ms"}})) ==
        "--retry-interval=\"0.5ms\" (flag): too small (under 1 ms; 0 means none)");
  CHECK(error_of(load_with({{"--timeout", "12345678901234567"}})) ==
        "--timeout=\"12345678901234567\" (flag): too large (at most 7 days)");
}

TEST_CASE("a bad duration names the variable, the flag or the file it came from") {
  CHECK(error_of(load_env({{"DB_RETRY_INTERVAL", "2x"}})) ==
        "DB_RETRY_INTERVAL=\"2x\" (environment): " + kBadDuration);
  CHECK(error_of(load_env({{"MIGRATION_TIMEOUT_SECONDS", "-1"}})) ==
        "MIGRATION_TIMEOUT_SECONDS=\"-1\" (environment): " + kBadDuration);
  CHECK(error_of(load_env({{"MIGRATION_LOCK_TIMEOUT", "169h"}})) ==
        "MIGRATION_LOCK_TIMEOUT=\"169h\" (environment): too large (at most 7 days)");
  CHECK(error_of(load_env({{"MIGRATION_RETRY_DELAY_SECONDS", "inf"}})) ==
        "MIGRATION_RETRY_DELAY_SECONDS=\"inf\" (environment): " + kBadDuration);
  CHECK(error_of(load_with({{"--timeout", ".5"}})) == "--timeout=\".5\" (flag): " + kBadDuration);
  CHECK(error_of(load_with({{"--retry-interval", "5."}})) ==
        "--retry-interval=\"5.\" (flag): " + kBadDuration);

  TempDir dir;
  std::string path = dir.write("s.toml", "[migrations]\nlock_timeout = \"5 seconds\"\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: migrations.lock_timeout = \"5 seconds\": " + kBadDuration);
}

TEST_CASE("durations are shown in whole seconds when they are whole, else in milliseconds") {
  auto loaded = load_env({{"DB_RETRY_INTERVAL", "0.5"},
                          {"MIGRATION_TIMEOUT_SECONDS", "90"},
                          {"MIGRATION_RETRY_DELAY_SECONDS", "1h"},
                          {"MIGRATION_LOCK_TIMEOUT", "1001ms"}});
  REQUIRE(loaded);
  CHECK(shown(*loaded, "database.retry_interval") == "500ms");
  CHECK(shown(*loaded, "migrations.timeout") == "90s");
  CHECK(shown(*loaded, "migrations.retry_delay") == "3600s");
  CHECK(shown(*loaded, "migrations.lock_timeout") == "1001ms");
}

TEST_CASE("parse_bool takes true/false, 1/0 and yes/no in any case") {
  for (std::string_view text : {"true", "TRUE", "True", "1", "yes", "YES", "Yes"}) {
    CAPTURE(text);
    auto v = parse_bool(text);
    REQUIRE(v);
    CHECK(*v);
  }
  for (std::string_view text : {"false", "FALSE", "False", "0", "no", "NO", "No"}) {
    CAPTURE(text);
    auto v = parse_bool(text);
    REQUIRE(v);
    CHECK_FALSE(*v);
  }
  for (std::string_view text : {"", "on", "off", "y", "n", "2", "t", "f", " true", "true "}) {
    CAPTURE(text);
    auto v = parse_bool(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == "not a boolean (true/false, 1/0, yes/no)");
  }
}

TEST_CASE("a bad boolean names the variable or the file it came from") {
  CHECK(error_of(load_env({{"FAIL_ON_MIGRATION_ERROR", "sometimes"}})) ==
        "FAIL_ON_MIGRATION_ERROR=\"sometimes\" (environment): not a boolean (true/false, 1/0, yes/no)");
  CHECK(error_of(load_env({{"SCHEMAGATE_SKIP", "on"}})) ==
        "SCHEMAGATE_SKIP=\"on\" (environment): not a boolean (true/false, 1/0, yes/no)");
  CHECK(error_of(load_env({{"MIGRATIONS_AWAIT", "2"}})) ==
        "MIGRATIONS_AWAIT=\"2\" (environment): not a boolean (true/false, 1/0, yes/no)");

  TempDir dir;
  std::string path = dir.write("s.toml", "[migrations]\nauto = \"perhaps\"\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: migrations.auto = \"perhaps\": not a boolean (true/false, 1/0, yes/no)");
}

TEST_CASE("LOG_FORMAT is text or json") {
  auto text = load_env({{"LOG_FORMAT", "text"}});
  REQUIRE(text);
  CHECK(text->log_format == log::Format::text);
  auto json = load_env({{"LOG_FORMAT", "json"}});
  REQUIRE(json);
  CHECK(json->log_format == log::Format::json);

  CHECK(error_of(load_env({{"LOG_FORMAT", "xml"}})) ==
        "LOG_FORMAT=\"xml\" (environment): must be text or json");
  CHECK(error_of(load_with({{"--log-format", "logfmt"}})) ==
        "--log-format=\"logfmt\" (flag): must be text or json");
}

TEST_CASE("LOG_FORMAT is read in any case and shown in lower case") {
  struct Case {
    std::string text;
    log::Format format;
    std::string shown;
  };
  for (const Case& c : {Case{"JSON", log::Format::json, "json"}, Case{"Json", log::Format::json, "json"},
                        Case{"TEXT", log::Format::text, "text"}, Case{"Text", log::Format::text, "text"}}) {
    CAPTURE(c.text);
    auto loaded = load_env({{"LOG_FORMAT", c.text}});
    REQUIRE(loaded);
    CHECK(loaded->log_format == c.format);
    CHECK(shown(*loaded, "log.format") == c.shown);
  }
  auto flag = load_with({{"--log-format", "JSON"}});
  REQUIRE(flag);
  CHECK(flag->log_format == log::Format::json);
  CHECK(error_of(load_env({{"LOG_FORMAT", "JSONL"}})) == "LOG_FORMAT=\"JSONL\" (environment): must be text or json");
}

TEST_CASE("LOG_LEVEL is debug, info, warn or error in any case, and warning means warn") {
  struct Case {
    std::string text;
    log::Level level;
    std::string shown;
  };
  for (const Case& c : {Case{"debug", log::Level::debug, "debug"}, Case{"INFO", log::Level::info, "info"},
                        Case{"warn", log::Level::warn, "warn"}, Case{"Warning", log::Level::warn, "warn"},
                        Case{"error", log::Level::error, "error"}}) {
    CAPTURE(c.text);
    auto loaded = load_env({{"LOG_LEVEL", c.text}});
    REQUIRE(loaded);
    CHECK(loaded->log_level == c.level);
    CHECK(shown(*loaded, "log.level") == c.shown);
  }
  for (std::string text : {"verbose", "trace", "fatal", "critical", "3"}) {
    CAPTURE(text);
    CHECK(error_of(load_env({{"LOG_LEVEL", text}})) ==
          "LOG_LEVEL=\"" + text + "\" (environment): must be debug, info, warn or error");
  }
}

TEST_CASE("MIGRATIONS_TABLE must be a table or schema.table") {
  CHECK(error_of(load_env({{"MIGRATIONS_TABLE", "a.b.c"}})) ==
        "MIGRATIONS_TABLE=\"a.b.c\" (environment): table name \"a.b.c\": expected table or schema.table");
  CHECK(error_of(load_with({{"--table", " "}})) == "--table=\" \" (flag): table name \" \": empty name");
  CHECK(error_of(load_with({{"--table", ""}})) == "--table=\"\" (flag): table name \"\": empty name");
}

TEST_CASE("an empty migrations directory is an error naming the flag") {
  CHECK(error_of(load_with({{"--dir", ""}})) == "--dir=\"\" (flag): must not be empty");
}

TEST_CASE("a value longer than 200 characters is cut short in the message") {
  std::string long_value(250, 'x');
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", long_value}})) ==
        "DB_MAX_RETRIES=\"" + std::string(200, 'x') + "...\" (environment): not a non-negative integer");
}

// ---------------------------------------------------------------------------------------------
// TOML files

TEST_CASE("every TOML key sets its setting") {
  TempDir dir;
  std::string path = dir.write("s.toml",
                               "[database]\n"
                               "url = \"postgresql://app:hunter2@db/shop\"\n"
                               "max_retries = 4\n"
                               "retry_interval = \"750ms\"\n"
                               "[migrations]\n"
                               "dir = \"sql\"\n"
                               "table = \"ops.versions\"\n"
                               "auto = false\n"
                               "fail_on_error = false\n"
                               "timeout = 0\n"
                               "retry_attempts = 8\n"
                               "retry_delay = 1.5\n"
                               "lock_timeout = \"2s\"\n"
                               "await = true\n"
                               "command = \"alembic -c 'my conf.ini' upgrade head\"\n"
                               "[verify]\n"
                               "tables = [\"users\", \"audit.\\\"Log, Entries\\\"\"]\n"
                               "[log]\n"
                               "format = \"json\"\n"
                               "level = \"warn\"\n");
  auto loaded = load_with({{"--config", path}});
  REQUIRE(loaded);
  const Settings& s = *loaded;
  CHECK(s.database_url == "postgresql://app:hunter2@db/shop");
  CHECK(shown(s, "database.url") == "postgresql://app:****@db/shop");
  CHECK(s.max_retries == 4);
  CHECK(s.retry_interval == 750ms);
  CHECK(s.migrations_dir == "sql");
  CHECK(s.migrations_table == "ops.versions");
  CHECK_FALSE(s.auto_migrate);
  CHECK_FALSE(s.fail_on_error);
  CHECK(s.migration_timeout == 0ms);
  CHECK(s.retry_attempts == 8);
  CHECK(s.retry_delay == 1500ms);
  CHECK(s.lock_timeout == 2000ms);
  CHECK(s.await);
  CHECK(written(s.critical_tables) == std::vector<std::string>{"users", "audit.\"Log, Entries\""});
  CHECK(s.critical_tables[1].name == "Log, Entries");
  CHECK(s.log_format == log::Format::json);
  CHECK(s.log_level == log::Level::warn);
  CHECK(s.migrate_command == std::vector<std::string>{"alembic", "-c", "my conf.ini", "upgrade", "head"});
  CHECK(shown(s, "migrations.command") == "alembic -c 'my conf.ini' upgrade head");
  for (const auto& r : s.shown) {
    CAPTURE(r.key);
    Source::Kind expected = r.key == "skip" || r.key == "status_file" ? Source::Kind::Default
                            : r.key == "config" ? Source::Kind::Flag
                                                : Source::Kind::File;
    CHECK(r.source.kind == expected);
  }
}

TEST_CASE("sections may also be written as dotted keys or inline tables") {
  TempDir dir;
  std::string path = dir.write("s.toml",
                               "database.max_retries = 4\n"
                               "log = { level = \"debug\" }\n");
  auto loaded = load_with({{"--config", path}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 4);
  CHECK(loaded->log_level == log::Level::debug);
}

TEST_CASE("verify.tables takes an array of names or one comma-separated string") {
  TempDir dir;
  std::string array = dir.write("array.toml", "[verify]\ntables = [\"a\", \"s.b\"]\n");
  std::string text = dir.write("text.toml", "[verify]\ntables = \"a, s.b\"\n");
  std::string empty = dir.write("empty.toml", "[verify]\ntables = []\n");
  for (const std::string& path : {array, text}) {
    CAPTURE(path);
    auto loaded = load_with({{"--config", path}});
    REQUIRE(loaded);
    CHECK(written(loaded->critical_tables) == std::vector<std::string>{"a", "s.b"});
  }
  auto none = load_with({{"--config", empty}});
  REQUIRE(none);
  CHECK(none->critical_tables.empty());
}

TEST_CASE("a bad table name in a verify.tables array is an error naming the file position and the table") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[verify]\ntables = [\"ok\", \"a.b.c\"]\n");
  auto loaded = load_with({{"--config", path}});
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().kind == ErrorKind::Config);
  CHECK(std::string_view(loaded.error().message).starts_with(path + ":2:1: verify.tables"));
  CHECK(std::string_view(loaded.error().message)
            .ends_with(": table name \"a.b.c\": expected table or schema.table"));
}

TEST_CASE("a bad verify.tables array is shown as its items joined with commas") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[verify]\ntables = [\"ok\", \"a.b.c\"]\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: verify.tables = \"ok,a.b.c\": table name \"a.b.c\": expected table or schema.table");
  std::string blank = dir.write("blank.toml", "[verify]\ntables = [\"\"]\n");
  CHECK(error_of(load_with({{"--config", blank}})) ==
        blank + ":2:1: verify.tables = \"\": table name \"\": empty name");
}

TEST_CASE("verify.tables must be an array of strings") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[verify]\ntables = [\"users\", 1]\n");
  CHECK(error_of(load_with({{"--config", path}})) == path + ":2:1: verify.tables: expected an array of strings");
}

TEST_CASE("a TOML syntax error is reported as path:line:col") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[database]\nmax_retries = 3\nurl = \n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":3:7: Error while parsing key-value pair: expected value, saw '\\n'");

  std::string unclosed = dir.write("unclosed.toml", "[verify]\ntables = [\"a\",\n");
  CHECK(error_of(load_with({{"--config", unclosed}})) ==
        unclosed + ":2:16: Error while parsing array: encountered end-of-file");
}

TEST_CASE("an unknown TOML key is reported as path:line:col: unknown setting") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[database]\nmax_retries = 3\n  urll = \"postgresql://db/app\"\n");
  CHECK(error_of(load_with({{"--config", path}})) == path + ":3:3: unknown setting \"database.urll\"");

  // Environment-only settings and the file itself have no TOML key.
  for (std::string key : {"skip", "config", "max_retries"}) {
    CAPTURE(key);
    std::string top = dir.write("top.toml", key + " = true\n");
    CHECK(error_of(load_with({{"--config", top}})) == top + ":1:1: unknown setting \"" + key + "\"");
  }
}

TEST_CASE("an unknown TOML section is an error") {
  TempDir dir;
  std::string misspelt = dir.write("a.toml", "[databse]\nurl = \"postgresql://db/app\"\n");
  CHECK(error_of(load_with({{"--config", misspelt}})) == misspelt + ":1:2: unknown section [databse]");
  std::string nested = dir.write("b.toml", "[database.pool]\nsize = 4\n");
  CHECK(error_of(load_with({{"--config", nested}})) == nested + ":1:11: unknown section [database.pool]");
}

TEST_CASE("an array for a single-valued TOML setting is an error") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[database]\nmax_retries = [\"3\"]\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: database.max_retries: expected a single value, not an array");
}

TEST_CASE("an array for a single-valued TOML setting is an error whatever its items are") {
  TempDir dir;
  struct Case {
    std::string line;
    std::string key;
  };
  for (const Case& c : {Case{"[database]\nmax_retries = [3]\n", "database.max_retries"},
                        Case{"[database]\nretry_interval = [0.5, 1]\n", "database.retry_interval"},
                        Case{"[migrations]\nauto = [true]\n", "migrations.auto"},
                        Case{"[migrations]\ntimeout = []\n", "migrations.timeout"},
                        Case{"[migrations]\ndir = [[\"a\"]]\n", "migrations.dir"},
                        Case{"[log]\nformat = [\"json\", 1]\n", "log.format"},
                        Case{"[database]\nurl = [\"postgresql://app:hunter2@db/shop\"]\n", "database.url"}}) {
    CAPTURE(c.line);
    std::string path = dir.write("s.toml", c.line);
    CHECK(error_of(load_with({{"--config", path}})) ==
          path + ":2:1: " + c.key + ": expected a single value, not an array");
  }
}

TEST_CASE("a date in a TOML file is not a setting value") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[migrations]\ntimeout = 2024-01-01T00:00:00Z\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: migrations.timeout: dates and times are not settings");
}

TEST_CASE("a value of the wrong kind in a TOML file names path:line:col and the key") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[log]\nlevel = \"info\"\n\n  format = \"yaml\"\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":4:3: log.format = \"yaml\": must be text or json");
}

TEST_CASE("an empty database.url in a TOML file is an error") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[database]\nurl = \"\"\n");
  CHECK(error_of(load_with({{"--config", path}})) == path + ":2:1: database.url = \"\": must not be empty");
}

TEST_CASE("--config naming a missing file is an error naming the flag") {
  TempDir dir;
  std::string path = dir.file("missing.toml");
  CHECK(error_of(load_with({{"--config", path}})) ==
        "--config=\"" + path + "\" (flag): cannot read: No such file or directory");
}

TEST_CASE("SCHEMAGATE_CONFIG naming a missing file is an error naming the variable") {
  TempDir dir;
  std::string path = dir.file("missing.toml");
  CHECK(error_of(load_env({{"SCHEMAGATE_CONFIG", path}})) ==
        "SCHEMAGATE_CONFIG=\"" + path + "\" (environment): cannot read: No such file or directory");
}

TEST_CASE("a directory given as the TOML file is an error naming where it came from") {
  TempDir dir;
  std::string path = dir.file("schemagate.toml");
  std::filesystem::create_directory(path);
  CHECK(error_of(load_with({{"--config", path}})) == "--config=\"" + path + "\" (flag): cannot read: Is a directory");
  CHECK(error_of(load_env({{"SCHEMAGATE_CONFIG", path}})) ==
        "SCHEMAGATE_CONFIG=\"" + path + "\" (environment): cannot read: Is a directory");
  CHECK(error_of(load_with({}, {}, path)) == "config=\"" + path + "\" (default): cannot read: Is a directory");
}

TEST_CASE("--config wins over SCHEMAGATE_CONFIG, which wins over ./schemagate.toml") {
  TempDir dir;
  std::string by_flag = dir.write("flag.toml", "[database]\nmax_retries = 1\n");
  std::string by_env = dir.write("env.toml", "[database]\nmax_retries = 2\n");
  std::string by_default = dir.write("schemagate.toml", "[database]\nmax_retries = 3\n");

  auto flag = load_with({{"--config", by_flag}}, {{"SCHEMAGATE_CONFIG", by_env}}, by_default);
  REQUIRE(flag);
  CHECK(flag->max_retries == 1);
  CHECK(flag->config_file == by_flag);

  auto env = load_with({}, {{"SCHEMAGATE_CONFIG", by_env}}, by_default);
  REQUIRE(env);
  CHECK(env->max_retries == 2);
  CHECK(env->config_file == by_env);
  CHECK(source(*env, "config") == "environment SCHEMAGATE_CONFIG");

  // A missing file named explicitly is an error, not a fall back to the default file.
  auto missing = load_with({}, {{"SCHEMAGATE_CONFIG", dir.file("gone.toml")}}, by_default);
  CHECK_FALSE(missing);
}

TEST_CASE("./schemagate.toml is read when it exists and nothing names another file") {
  TempDir dir;
  std::string path = dir.write("schemagate.toml", "[migrations]\ndir = \"sql\"\n");
  auto loaded = load_with({}, {}, path);
  REQUIRE(loaded);
  CHECK(loaded->migrations_dir == "sql");
  CHECK(source(*loaded, "migrations.dir") == path + ":2:1");
  CHECK(loaded->config_file == path);
  CHECK(shown(*loaded, "config") == path);
  CHECK(source(*loaded, "config") == "default");
}

TEST_CASE("a missing ./schemagate.toml is no error") {
  TempDir dir;
  auto loaded = load_with({}, {}, dir.file("schemagate.toml"));
  REQUIRE(loaded);
  CHECK(loaded->config_file == "");
  CHECK(loaded->migrations_dir == "migrations");
}

}  // namespace
TEST_CASE("parse_command_line splits words as a shell would, without running one") {
  CHECK(*parse_command_line("alembic upgrade head") == std::vector<std::string>{"alembic", "upgrade", "head"});
  CHECK(*parse_command_line("  sh -c 'echo \"$HOME\"; exit 3'  ") ==
        std::vector<std::string>{"sh", "-c", "echo \"$HOME\"; exit 3"});
  CHECK(*parse_command_line(R"(printf "%s\n" "a \"b\"" c\ d '')") ==
        std::vector<std::string>{"printf", "%s\\n", "a \"b\"", "c d", ""});
  CHECK(parse_command_line("").value().empty());
  CHECK(parse_command_line("alembic 'upgrade").error().message == "unterminated ' quote");
  CHECK(parse_command_line("alembic \"upgrade").error().message == "unterminated \" quote");
}

TEST_CASE("MIGRATE_COMMAND is parsed into argv and an unterminated quote names the variable") {
  auto loaded = load_env({{"MIGRATE_COMMAND", "alembic -c conf.ini upgrade head"}});
  REQUIRE(loaded);
  CHECK(loaded->migrate_command == std::vector<std::string>{"alembic", "-c", "conf.ini", "upgrade", "head"});
  CHECK(error_of(load_env({{"MIGRATE_COMMAND", "alembic 'oops"}})) ==
        "MIGRATE_COMMAND=\"alembic 'oops\" (environment): unterminated ' quote");
  CHECK(error_of(load_env({{"MIGRATE_COMMAND", "   "}})) ==
        "MIGRATE_COMMAND=\"   \" (environment): must not be empty");
}

TEST_CASE("SCHEMAGATE_STATUS_FILE and --status-file set the status file, the flag winning") {
  auto loaded = load_with({{"--status-file", "/run/b.json"}}, {{"SCHEMAGATE_STATUS_FILE", "/run/a.json"}});
  REQUIRE(loaded);
  CHECK(loaded->status_file == "/run/b.json");
  CHECK(source(*loaded, "status_file") == "flag --status-file");
}

// ---------------------------------------------------------------------------------------------
// Control characters

TEST_CASE("a control character in a value is an error naming the variable and the character") {
  CHECK(error_of(load_env({{"CRITICAL_TABLES", "users\norders"}})) ==
        "CRITICAL_TABLES=\"users\\norders\" (environment): contains the control character \\n");
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", "5\r"}})) ==
        "DB_MAX_RETRIES=\"5\\r\" (environment): contains the control character \\r");
  CHECK(error_of(load_env({{"MIGRATIONS_TABLE", "versions\x7f"}})) ==
        "MIGRATIONS_TABLE=\"versions\\u007f\" (environment): contains the control character \\u007f");
  CHECK(
      error_of(load_env({{"SCHEMAGATE_STATUS_FILE", "/run/\x01status"}})) ==
      "SCHEMAGATE_STATUS_FILE=\"/run/\\u0001status\" (environment): contains the control character \\u0001");
}

TEST_CASE("a tab is refused where no parser reads it as a blank") {
  for (std::string var : {"DATABASE_URL", "MIGRATIONS_DIR", "MIGRATIONS_TABLE", "SCHEMAGATE_STATUS_FILE",
                          "LOG_LEVEL", "MIGRATIONS_AWAIT"}) {
    CAPTURE(var);
    CHECK(error_of(load_env({{var, "a\tb"}})) ==
          var + "=\"a\\tb\" (environment): contains the control character \\t");
  }
}

TEST_CASE("a control character in the database URL is refused with the password still masked") {
  CHECK(
      error_of(load_env({{"DATABASE_URL", "postgresql://app:hunter2@db/shop\n"}})) ==
      "DATABASE_URL=\"postgresql://app:****@db/shop\\n\" (environment): contains the control character \\n");
  TempDir dir;
  std::string path = dir.write("db_url", "postgresql://app:hunter2@db/shop\r\npostgresql://other\n");
  CHECK(error_of(load_env({{"DATABASE_URL_FILE", path}})) ==
        "DATABASE_URL_FILE=\"postgresql://app:****@db/shop\\r\\npostgresql://other\" (environment): contains "
        "the control character \\r");
}

TEST_CASE("a control character in a flag or a TOML value names the flag or file:line:col") {
  CHECK(error_of(load_with({{"--dir", "db/\nmigrations"}})) ==
        "--dir=\"db/\\nmigrations\" (flag): contains the control character \\n");
  CHECK(error_of(load_with({{"--require-table", "users"}, {"--require-table", "orders\r"}})) ==
        "--require-table=\"users,orders\\r\" (flag): contains the control character \\r");
  CHECK(error_of(load_with({{"--config", "gate\n.toml"}})) ==
        "--config=\"gate\\n.toml\" (flag): contains the control character \\n");

  TempDir dir;
  std::string path = dir.write("s.toml", "[migrations]\ndir = \"db\\u0000x\"\n");
  CHECK(error_of(load_with({{"--config", path}})) ==
        path + ":2:1: migrations.dir = \"db\\u0000x\": contains the control character \\u0000");
  std::string tables = dir.write("t.toml", "[verify]\ntables = [\"users\", \"a\\nb\"]\n");
  CHECK(error_of(load_with({{"--config", tables}})) ==
        tables + ":2:1: verify.tables = \"users,a\\nb\": contains the control character \\n");
}

TEST_CASE("MIGRATE_COMMAND may hold tabs and newlines between words, but no other control character") {
  auto loaded = load_env({{"MIGRATE_COMMAND", "alembic\tupgrade\nhead\n"}});
  REQUIRE(loaded);
  CHECK(loaded->migrate_command == std::vector<std::string>{"alembic", "upgrade", "head"});
  CHECK(error_of(load_env({{"MIGRATE_COMMAND", "alembic upgrade head\r\n"}})) ==
        "MIGRATE_COMMAND=\"alembic upgrade head\\r\\n\" (environment): contains the control character \\r");
}

TEST_CASE("CRITICAL_TABLES may hold tabs around names, as it may spaces") {
  auto loaded = load_env({{"CRITICAL_TABLES", "users,\torders\t"}});
  REQUIRE(loaded);
  CHECK(written(loaded->critical_tables) == std::vector<std::string>{"users", "orders"});
}

}  // namespace schemagate::config
