// Around the settings table: where a value came from, the setting flags the command line knows,
// and what main learns from the environment and the flags before the settings are loaded.
#include "config/settings.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "load_helpers.h"

namespace schemagate::config {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Sources

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

// ---------------------------------------------------------------------------------------------
// The setting flags

TEST_CASE("find_flag knows the setting flags and whether each takes a value") {
  for (std::string_view name : {"--database-url", "--max-retries", "--retry-interval", "--dir", "--table",
                                "--timeout", "--require-table", "--log-format", "--migrate-command",
                                "--status-file", "--config", "--preflight", "--preflight-max-rows",
                                "--preflight-max-bytes", "--lock",
                                "--migrations-database-url"}) {
    CAPTURE(name);
    const FlagInfo* flag = find_flag(name);
    REQUIRE(flag != nullptr);
    CHECK(flag->takes_value);
  }
  for (std::string_view name : {"--no-migrate", "--permissive", "--await", "--single-transaction", "--skip", "-v", "-q"}) {
    CAPTURE(name);
    const FlagInfo* flag = find_flag(name);
    REQUIRE(flag != nullptr);
    CHECK_FALSE(flag->takes_value);
  }
  CHECK(find_flag("--database_url") == nullptr);
  CHECK(find_flag("--help") == nullptr);
  CHECK(find_flag("") == nullptr);
  CHECK(all_flags().size() == 23);
}

// ---------------------------------------------------------------------------------------------
// What main learns before the settings are loaded

TEST_CASE("secrets_in finds the passwords in DATABASE_URL, --database-url and PGPASSWORD") {
  Env env = env_of({{"DATABASE_URL", "postgresql://app:from-env@db/shop"},
                    {"PGPASSWORD", "from-pg"},
                    {"MIGRATIONS_DIR", "password=not-a-secret"}});
  std::vector<FlagValue> flags = {{"--database-url", "host=db password=from-flag"}, {"--dir", "password=nope"}};
  std::vector<std::string> secrets = secrets_in(flags, env);
  std::sort(secrets.begin(), secrets.end());
  CHECK(secrets == std::vector<std::string>{"from-env", "from-flag", "from-pg"});
}

TEST_CASE("secrets_in leaves DATABASE_URL_FILE to load, which reads the file") {
  CHECK(secrets_in({}, env_of({{"DATABASE_URL_FILE", "postgresql://app:pw@db/shop"}})).empty());
  CHECK(secrets_in({}, env_of({})).empty());
}

log::Format early_format(const std::vector<FlagValue>& flags, const std::map<std::string, std::string>& env) {
  return early_log_format(flags, env_of(env));
}

TEST_CASE("early_log_format reads LOG_FORMAT and --log-format as log.format does, the flag winning") {
  CHECK(early_format({}, {}) == log::Format::text);
  CHECK(early_format({}, {{"LOG_FORMAT", "JSON"}}) == log::Format::json);
  CHECK(early_format({{"--log-format", "json"}}, {{"LOG_FORMAT", "text"}}) == log::Format::json);
  CHECK(early_format({{"--log-format", "json"}, {"--log-format", "Text"}}, {}) == log::Format::text);
}

TEST_CASE("early_log_format falls back to text for a value load will refuse") {
  CHECK(early_format({}, {{"LOG_FORMAT", "xml"}}) == log::Format::text);
  CHECK(early_format({}, {{"LOG_FORMAT", ""}}) == log::Format::text);
  CHECK(early_format({{"--log-format", "json\r"}}, {}) == log::Format::text);
  CHECK(early_format({{"--log-format", "yaml"}}, {{"LOG_FORMAT", "json"}}) == log::Format::text);
}

}  // namespace
}  // namespace schemagate::config
