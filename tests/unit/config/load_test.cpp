// SPEC §4: defaults < TOML file < environment < flags, each value knowing its source, and every
// bad value stopped with one line naming the variable, flag or file:line:col at fault.
#include "config/settings.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../../support/files.h"
#include "load_helpers.h"

namespace schemagate::config {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

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

TEST_CASE("--require-table replaces the tables named by the environment and the file") {
  TempDir dir;
  std::string path = dir.write("s.toml", "[verify]\ntables = [\"from_file\"]\n");
  auto loaded = load_with({{"--config", path}, {"--require-table", "from_flag"}},
                          {{"CRITICAL_TABLES", "from_env_a,from_env_b"}});
  REQUIRE(loaded);
  CHECK(written(loaded->critical_tables) == std::vector<std::string>{"from_flag"});
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

// ---------------------------------------------------------------------------------------------
// Environment variables and their aliases

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
// Errors name where the value came from

TEST_CASE("a count with leading zeros from the environment is read as a number") {
  auto loaded = load_env({{"DB_MAX_RETRIES", "00000030"}, {"MIGRATION_RETRY_ATTEMPTS", "0"}});
  REQUIRE(loaded);
  CHECK(loaded->max_retries == 30);
  CHECK(shown(*loaded, "database.max_retries") == "30");
  CHECK(loaded->retry_attempts == 0);
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
        path + ":2:1: migrations.auto = \"perhaps\": expected true or false, not a string");
}

TEST_CASE("a value longer than 200 characters is cut short in the message") {
  std::string long_value(250, 'x');
  CHECK(error_of(load_env({{"DB_MAX_RETRIES", long_value}})) ==
        "DB_MAX_RETRIES=\"" + std::string(200, 'x') + "...\" (environment): not a non-negative integer");
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

}  // namespace
}  // namespace schemagate::config
