// SPEC §4 row by row: each setting's default, variables, flags, parser and shown form.
#include "config/table.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "../../support/files.h"
#include "load_helpers.h"

namespace schemagate::config {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

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
  CHECK_FALSE(s.single_transaction);
  CHECK(s.preflight == Preflight::warn);
  CHECK(s.preflight_max_rows == 1'000'000);
  CHECK(s.preflight_max_bytes == 1024LL * 1024 * 1024);
  CHECK(s.migration_lock == MigrationLock::automatic);
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
      {"migrations.single_transaction", "false"},
      {"migrations.preflight", "warn"},
      {"migrations.preflight_max_rows", "1000000"},
      {"migrations.preflight_max_bytes", "1GB"},
      {"migrations.database_url", ""},
      {"migrations.lock", "auto"},
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

// ---------------------------------------------------------------------------------------------
// Every variable and key reaches its field

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
                               "single_transaction = true\n"
                               "preflight = \"block\"\n"
                               "preflight_max_rows = 50000\n"
                               "preflight_max_bytes = \"200MB\"\n"
                               "lock = \"table\"\n"
                               "database_url = \"postgresql://migrator:hunter3@db-direct/shop\"\n"
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
  CHECK(s.single_transaction);
  CHECK(s.preflight == Preflight::block);
  CHECK(s.preflight_max_rows == 50'000);
  CHECK(s.preflight_max_bytes == 200LL * 1024 * 1024);
  CHECK(s.migration_lock == MigrationLock::table);
  CHECK(shown(s, "migrations.database_url") == "postgresql://migrator:****@db-direct/shop");
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

// ---------------------------------------------------------------------------------------------
// database.url

TEST_CASE("DATABASE_URL is shown with its password masked") {
  auto loaded = load_env({{"DATABASE_URL", "postgresql://app:hunter2@db:5432/shop"}});
  REQUIRE(loaded);
  CHECK(loaded->database_url == "postgresql://app:hunter2@db:5432/shop");
  CHECK(shown(*loaded, "database.url") == "postgresql://app:****@db:5432/shop");
}

// ---------------------------------------------------------------------------------------------
// migrations.table and migrations.dir

TEST_CASE("MIGRATIONS_TABLE must be a table or schema.table") {
  CHECK(error_of(load_env({{"MIGRATIONS_TABLE", "a.b.c"}})) ==
        "MIGRATIONS_TABLE=\"a.b.c\" (environment): table name \"a.b.c\": expected table or schema.table");
  CHECK(error_of(load_with({{"--table", " "}})) == "--table=\" \" (flag): table name \" \": empty name");
  CHECK(error_of(load_with({{"--table", ""}})) == "--table=\"\" (flag): table name \"\": empty name");
}

TEST_CASE("an empty migrations directory is an error naming the flag") {
  CHECK(error_of(load_with({{"--dir", ""}})) == "--dir=\"\" (flag): must not be empty");
}

// ---------------------------------------------------------------------------------------------
// verify.tables

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

TEST_CASE("a bad name in CRITICAL_TABLES is an error naming the variable and the name") {
  CHECK(
      error_of(load_env({{"CRITICAL_TABLES", "users,a.b.c"}})) ==
      "CRITICAL_TABLES=\"users,a.b.c\" (environment): table name \"a.b.c\": expected table or schema.table");
  CHECK(error_of(load_env({{"CRITICAL_TABLES", "users,\"open"}})) ==
        "CRITICAL_TABLES=\"users,\"open\" (environment): table name \"\"open\": unterminated quote");
}

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

// ---------------------------------------------------------------------------------------------
// log.format and log.level

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

// ---------------------------------------------------------------------------------------------
// migrations.command and status_file

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
// Control characters a row allows

TEST_CASE("a tab is refused where no parser reads it as a blank") {
  for (std::string var : {"DATABASE_URL", "MIGRATIONS_DIR", "MIGRATIONS_TABLE", "SCHEMAGATE_STATUS_FILE",
                          "LOG_LEVEL", "MIGRATIONS_AWAIT"}) {
    CAPTURE(var);
    CHECK(error_of(load_env({{var, "a\tb"}})) ==
          var + "=\"a\\tb\" (environment): contains the control character \\t");
  }
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

// ---------------------------------------------------------------------------------------------
// The table itself

TEST_CASE("every row has a parser, a shown form and a variable, and a value name for its flag") {
  for (const Row& r : table()) {
    CAPTURE(r.key);
    CHECK((r.field.apply != nullptr));
    CHECK((r.field.show != nullptr));
    CHECK_FALSE(r.env[0].name.empty());
    CHECK(r.flag.empty() == r.value_name.empty());
    CHECK(find_row(r.key) == &r);
  }
  CHECK(find_row("database.urll") == nullptr);
}

TEST_CASE("every default goes through its row's parser, as the same text from the environment would") {
  auto defaults = load_with({});
  REQUIRE(defaults);
  for (const Row& r : table()) {
    if (r.default_text.empty()) continue;
    CAPTURE(r.key);
    auto from_env = load_env({{std::string(r.env[0].name), std::string(r.default_text)}});
    REQUIRE(from_env);
    CHECK(shown(*defaults, r.key) == shown(*from_env, r.key));
  }
}

TEST_CASE("MIGRATIONS_PREFLIGHT takes off, warn or block; the row line takes a count with k or M") {
  CHECK(load_env({{"MIGRATIONS_PREFLIGHT", "OFF"}})->preflight == Preflight::off);
  CHECK(load_with({{"--preflight", "block"}})->preflight == Preflight::block);
  CHECK(error_of(load_env({{"MIGRATIONS_PREFLIGHT", "strict"}})) ==
        "MIGRATIONS_PREFLIGHT=\"strict\" (environment): must be off, warn or block");
  CHECK(load_env({{"MIGRATIONS_PREFLIGHT_MAX_ROWS", "50k"}})->preflight_max_rows == 50'000);
  CHECK(load_env({{"MIGRATIONS_PREFLIGHT_MAX_ROWS", "2M"}})->preflight_max_rows == 2'000'000);
  CHECK(load_with({{"--preflight-max-rows", "0"}})->preflight_max_rows == 0);
  for (const char* bad : {"-1", "1.5M", "2G", "k"}) {
    CAPTURE(bad);
    CHECK(error_of(load_env({{"MIGRATIONS_PREFLIGHT_MAX_ROWS", bad}})).find("not a row count") != std::string::npos);
  }
}

TEST_CASE("MIGRATIONS_LOCK takes auto, advisory or table") {
  CHECK(load_env({{"MIGRATIONS_LOCK", "Advisory"}})->migration_lock == MigrationLock::advisory);
  CHECK(load_with({{"--lock", "table"}})->migration_lock == MigrationLock::table);
  CHECK(error_of(load_env({{"MIGRATIONS_LOCK", "lease"}})) ==
        "MIGRATIONS_LOCK=\"lease\" (environment): must be auto, advisory or table");
}

TEST_CASE("the byte line takes a size as PostgreSQL writes one, in units of 1024") {
  CHECK(load_env({{"MIGRATIONS_PREFLIGHT_MAX_BYTES", "500MB"}})->preflight_max_bytes == 500LL << 20);
  CHECK(load_env({{"MIGRATIONS_PREFLIGHT_MAX_BYTES", "2gb"}})->preflight_max_bytes == 2LL << 30);
  CHECK(load_with({{"--preflight-max-bytes", "8192"}})->preflight_max_bytes == 8192);
  CHECK(shown(*load_with({{"--preflight-max-bytes", "8192"}}), "migrations.preflight_max_bytes") == "8kB");
  CHECK(shown(*load_with({{"--preflight-max-bytes", "1000"}}), "migrations.preflight_max_bytes") == "1000B");
  for (const char* bad : {"-1", "1.5GB", "2G", "GB", "10 MB"}) {
    CAPTURE(bad);
    CHECK(error_of(load_env({{"MIGRATIONS_PREFLIGHT_MAX_BYTES", bad}})) ==
          "MIGRATIONS_PREFLIGHT_MAX_BYTES=\"" + std::string(bad) + "\" (environment): not a size (1GB, 500MB, 1073741824)");
  }
}

}  // namespace
}  // namespace schemagate::config
