// SPEC §4's TOML file: which file load() reads (--config, SCHEMAGATE_CONFIG, ./schemagate.toml),
// and every key, section and error in it named by file:line:col.
#include "config/settings.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "../../support/files.h"
#include "load_helpers.h"

namespace schemagate::config {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// ---------------------------------------------------------------------------------------------
// The TOML file's values

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

TEST_CASE("verify.tables takes an array of names") {
  TempDir dir;
  std::string array = dir.write("array.toml", "[verify]\ntables = [\"a\", \"s.b\"]\n");
  std::string empty = dir.write("empty.toml", "[verify]\ntables = []\n");
  auto loaded = load_with({{"--config", array}});
  REQUIRE(loaded);
  CHECK(written(loaded->critical_tables) == std::vector<std::string>{"a", "s.b"});
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

// ---------------------------------------------------------------------------------------------
// Errors in the TOML file

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

// What every entry below names, set in the environment: the file's value is overridden, and still
// wrong for whoever runs without the variable.
const std::map<std::string, std::string> kOverridingEnv = {{"DATABASE_URL", "postgresql://db/app"},
                                                           {"DB_MAX_RETRIES", "5"},
                                                           {"DB_RETRY_INTERVAL", "1"},
                                                           {"MIGRATIONS_DIR", "sql"},
                                                           {"AUTO_MIGRATE_ON_STARTUP", "true"},
                                                           {"MIGRATION_TIMEOUT_SECONDS", "9"},
                                                           {"CRITICAL_TABLES", "users"},
                                                           {"LOG_FORMAT", "text"}};

TEST_CASE(
    "a value of the wrong TOML type is an error at path:line:col, even where the environment overrides it") {
  TempDir dir;
  struct Case {
    std::string text;
    std::string message;  // after the path
  };
  const std::string kSeconds =
      "expected seconds as a number (2, 0.5) or a string with a unit (\"500ms\"), not ";
  for (const Case& c : {
           Case{"[database]\nmax_retries = \"3\"\n",
                ":2:1: database.max_retries = \"3\": expected an integer, not a string"},
           Case{"[database]\nmax_retries = 3.0\n",
                ":2:1: database.max_retries = 3.0: expected an integer, not a float"},
           Case{"[database]\nmax_retries = true\n",
                ":2:1: database.max_retries = true: expected an integer, not a boolean"},
           Case{"[migrations]\nauto = \"false\"\n",
                ":2:1: migrations.auto = \"false\": expected true or false, not a string"},
           Case{"[migrations]\nauto = 0\n",
                ":2:1: migrations.auto = 0: expected true or false, not an integer"},
           Case{"[verify]\ntables = \"a,b\"\n",
                ":2:1: verify.tables = \"a,b\": expected an array of strings, not a string"},
           Case{"[migrations]\ndir = 5\n", ":2:1: migrations.dir = 5: expected a string, not an integer"},
           Case{"[log]\nformat = true\n", ":2:1: log.format = true: expected a string, not a boolean"},
           Case{"[database]\nurl = 5432\n", ":2:1: database.url = 5432: expected a string, not an integer"},
           Case{"[database]\nretry_interval = \"2\"\n",
                ":2:1: database.retry_interval = \"2\": " + kSeconds + "a string without a unit"},
           Case{"[migrations]\ntimeout = false\n",
                ":2:1: migrations.timeout = false: " + kSeconds + "a boolean"},
       }) {
    CAPTURE(c.text);
    std::string path = dir.write("s.toml", c.text);
    CHECK(error_of(load_with({{"--config", path}})) == path + c.message);
    CHECK(error_of(load_with({{"--config", path}}, kOverridingEnv)) == path + c.message);
  }
}

TEST_CASE("durations in the TOML file are seconds as an integer or a float, or a string with a unit") {
  TempDir dir;
  std::string path = dir.write("s.toml",
                               "[database]\nretry_interval = \"500ms\"\n"
                               "[migrations]\ntimeout = 90\nretry_delay = 0.25\nlock_timeout = \"2s\"\n");
  auto loaded = load_with({{"--config", path}});
  REQUIRE(loaded);
  CHECK(loaded->retry_interval == 500ms);
  CHECK(loaded->migration_timeout == 90s);
  CHECK(loaded->retry_delay == 250ms);
  CHECK(loaded->lock_timeout == 2s);
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

// ---------------------------------------------------------------------------------------------
// Which file is read

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
}  // namespace schemagate::config
