// SPEC §2 `schemagate config` and §1 step 1: every effective setting with its source and the
// password masked, exit 0; anything invalid exits 78 with one line naming the variable, flag or
// file:line:col. `config` never connects, so no database is needed.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/gate.h"
#include "support/log_lines.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("config");

// Nothing listens on port 1, in case anything tried to connect.
const std::string kUrl = "postgresql://app:hunter2@127.0.0.1:1/shop";
const std::string kMaskedUrl = "postgresql://app:****@127.0.0.1:1/shop";

// Runs the binary under test with `args` and `env` in `cwd`, a TempDir of the test's own, so no
// stray ./schemagate.toml is picked up.
RunResult schemagate(const TempDir& cwd, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) {
  RunOptions options;
  options.env = env;
  options.cwd = cwd.path();
  return run(testing::schemagate(args), options);
}

// `schemagate config`'s stdout as key -> {value, source}, columns split on runs of two spaces.
struct Row {
  std::string value;
  std::string source;
  bool operator==(const Row&) const = default;
};
std::map<std::string, Row> rows_of(const std::string& out) {
  std::map<std::string, Row> rows;
  for (const std::string& line : lines_of(out)) {
    std::vector<std::string> columns;
    size_t at = 0;
    while (at < line.size()) {
      size_t gap = line.find("  ", at);
      std::string column = line.substr(at, gap == std::string::npos ? std::string::npos : gap - at);
      columns.push_back(column);
      if (gap == std::string::npos) break;
      at = line.find_first_not_of(' ', gap);
      if (at == std::string::npos) break;
    }
    REQUIRE_MESSAGE(!columns.empty(), line);
    Row row;
    if (columns.size() == 3) {
      row = {columns[1], columns[2]};
    } else if (columns.size() == 2 && columns[0] == "database") {
      row = {columns[1], ""};  // the resolved target has no source column
    } else if (columns.size() == 2) {
      row = {"", columns[1]};  // an empty value leaves the key and the source
    } else {
      FAIL("unexpected line: " << line);
    }
    CHECK_MESSAGE(rows.count(columns[0]) == 0, line);
    rows[columns[0]] = row;
  }
  return rows;
}

const std::vector<std::string> kKeys = {"database.url",
                                        "database.max_retries",
                                        "database.retry_interval",
                                        "migrations.dir",
                                        "migrations.table",
                                        "migrations.auto",
                                        "migrations.fail_on_error",
                                        "migrations.timeout",
                                        "migrations.retry_attempts",
                                        "migrations.retry_delay",
                                        "migrations.lock_timeout",
                                        "migrations.await",
                                        "migrations.single_transaction",
                                        "migrations.preflight",
                                        "migrations.preflight_max_rows",
                                        "migrations.preflight_max_bytes",
                                        "migrations.database_url",
                                        "migrations.lock",
                                        "verify.tables",
                                        "log.format",
                                        "log.level",
                                        "migrations.command",
                                        "status_file",
                                        "skip",
                                        "config",
                                        "database"};

TEST_CASE("config prints every setting, its default and the database it names, and exits 0") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}});
  CHECK(result.exit_code == 0);
  CHECK(result.err == "");
  std::vector<std::string> keys;
  for (const std::string& line : lines_of(result.out)) keys.push_back(line.substr(0, line.find(' ')));
  CHECK(keys == kKeys);

  auto rows = rows_of(result.out);
  CHECK(rows["database.url"] == Row{kMaskedUrl, "environment DATABASE_URL"});
  CHECK(rows["database.max_retries"] == Row{"30", "default"});
  CHECK(rows["database.retry_interval"] == Row{"2s", "default"});
  CHECK(rows["migrations.dir"] == Row{"migrations", "default"});
  CHECK(rows["migrations.table"] == Row{"schema_migrations", "default"});
  CHECK(rows["migrations.auto"] == Row{"true", "default"});
  CHECK(rows["migrations.fail_on_error"] == Row{"true", "default"});
  CHECK(rows["migrations.timeout"] == Row{"60s", "default"});
  CHECK(rows["migrations.retry_attempts"] == Row{"3", "default"});
  CHECK(rows["migrations.retry_delay"] == Row{"5s", "default"});
  CHECK(rows["migrations.lock_timeout"] == Row{"5s", "default"});
  CHECK(rows["migrations.await"] == Row{"false", "default"});
  CHECK(rows["verify.tables"] == Row{"", "default"});
  CHECK(rows["log.format"] == Row{"text", "default"});
  CHECK(rows["log.level"] == Row{"info", "default"});
  CHECK(rows["migrations.command"] == Row{"", "default"});
  CHECK(rows["status_file"] == Row{"", "default"});
  CHECK(rows["skip"] == Row{"false", "default"});
  CHECK(rows["config"] == Row{"", "default"});
  CHECK(rows["database"] == Row{"app@127.0.0.1:1/shop", ""});
}

TEST_CASE("config aligns its columns") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}});
  std::vector<std::string> lines = lines_of(result.out);
  REQUIRE(lines.size() == kKeys.size());
  // The value column starts in the same place on every line.
  size_t value_at = lines[0].find(kMaskedUrl);
  REQUIRE(value_at != std::string::npos);
  CHECK(lines[1].find("30") == value_at);
  CHECK(lines.back().find("app@127.0.0.1:1/shop") == value_at);
  CHECK(lines[0].substr(0, value_at) == "database.url" + std::string(value_at - 12, ' '));
}

TEST_CASE("config names the environment variable, flag or file:line:col each value came from") {
  TempDir dir;
  std::string toml = dir.write("gate.toml",
                               "[database]\n"
                               "max_retries = 7\n"
                               "retry_interval = 0.5\n"
                               "[migrations]\n"
                               "dir = \"from-file\"\n"
                               "  table = \"ops.versions\"\n"
                               "[verify]\n"
                               "tables = [\"users\", \"audit.events\"]\n");
  RunResult result = schemagate(dir, {"config", "--config", toml, "--dir=from-flag", "-q", "--no-migrate"},
                                {{"DATABASE_URL", kUrl},
                                 {"DB_RETRY_INTERVAL", "250ms"},
                                 {"MIGRATIONS_DIR", "from-env"},
                                 {"MIGRATION_TIMEOUT_SECONDS", "0"},
                                 {"DISABLE_AUTO_MIGRATIONS", "false"},
                                 {"LOG_FORMAT", "json"}});
  CHECK(result.exit_code == 0);
  CHECK(result.err == "");
  auto rows = rows_of(result.out);
  CHECK(rows["database.max_retries"] == Row{"7", toml + ":2:1"});
  CHECK(rows["database.retry_interval"] == Row{"250ms", "environment DB_RETRY_INTERVAL"});
  CHECK(rows["migrations.dir"] == Row{"from-flag", "flag --dir"});
  CHECK(rows["migrations.table"] == Row{"ops.versions", toml + ":6:3"});
  CHECK(rows["migrations.auto"] == Row{"false", "flag --no-migrate"});
  CHECK(rows["migrations.timeout"] == Row{"0 (no limit)", "environment MIGRATION_TIMEOUT_SECONDS"});
  CHECK(rows["verify.tables"] == Row{"users,audit.events", toml + ":8:1"});
  CHECK(rows["log.format"] == Row{"json", "environment LOG_FORMAT"});
  CHECK(rows["log.level"] == Row{"warn", "flag -q"});
  CHECK(rows["config"] == Row{toml, "flag --config"});
}

TEST_CASE("config reads ./schemagate.toml from the working directory") {
  TempDir dir;
  dir.write("schemagate.toml", "[log]\nlevel = \"debug\"\n");
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}});
  CHECK(result.exit_code == 0);
  auto rows = rows_of(result.out);
  CHECK(rows["log.level"] == Row{"debug", "schemagate.toml:2:1"});
  CHECK(rows["config"] == Row{"schemagate.toml", "default"});
}

TEST_CASE("config reads the file SCHEMAGATE_CONFIG names") {
  TempDir dir;
  std::string toml = dir.write("other.toml", "[migrations]\nawait = true\n");
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}, {"SCHEMAGATE_CONFIG", toml}});
  CHECK(result.exit_code == 0);
  auto rows = rows_of(result.out);
  CHECK(rows["migrations.await"] == Row{"true", toml + ":2:1"});
  CHECK(rows["config"] == Row{toml, "environment SCHEMAGATE_CONFIG"});
}

TEST_CASE("config never shows the password, wherever it came from") {
  TempDir dir;
  const std::string password = "s3cr3t-Pa55";
  const std::string url = "postgresql://app:" + password + "@127.0.0.1:1/shop?sslmode=disable";
  std::string toml = dir.write("gate.toml", "[database]\nurl = \"" + url + "\"\n");
  std::string secret = dir.write("db_url", url + "\n");

  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string source;
  };
  for (const Case& c :
       {Case{"environment", {"config"}, {{"DATABASE_URL", url}}, "environment DATABASE_URL"},
        Case{"flag", {"config", "--database-url", url}, {}, "flag --database-url"},
        Case{"TOML file", {"config", "--config", toml}, {}, toml + ":2:1"},
        Case{"secret file", {"config"}, {{"DATABASE_URL_FILE", secret}},
             "environment DATABASE_URL_FILE (" + secret + ")"},
        Case{"query parameter",
             {"config", "--database-url", "postgresql://app@127.0.0.1:1/shop?password=" + password},
             {},
             "flag --database-url"},
        Case{"conninfo",
             {"config", "--database-url", "host=127.0.0.1 port=1 password=" + password},
             {},
             "flag --database-url"},
        Case{"PGPASSWORD",
             {"config"},
             {{"PGPASSWORD", password}, {"PGHOST", "127.0.0.1"}, {"PGPORT", "1"}},
             "default"}}) {
    CAPTURE(c.name);
    RunResult result = schemagate(dir, c.args, c.env);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find(password) == std::string::npos);
    CHECK(result.err.find(password) == std::string::npos);
    CHECK(rows_of(result.out)["database.url"].source == c.source);
  }
}

TEST_CASE("config shows a URL from DATABASE_URL_FILE masked and names the variable and the file") {
  TempDir dir;
  std::string secret = dir.write("db_url", kUrl + "\r\n");
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL_FILE", secret}});
  CHECK(result.exit_code == 0);
  CHECK(result.err == "");
  auto rows = rows_of(result.out);
  CHECK(rows["database.url"] == Row{kMaskedUrl, "environment DATABASE_URL_FILE (" + secret + ")"});
  CHECK(rows["database"] == Row{"app@127.0.0.1:1/shop", ""});
}

TEST_CASE("config with no URL shows that libpq's PG* variables are used") {
  TempDir dir;
  RunResult result = schemagate(
      dir, {"config"}, {{"PGHOST", "127.0.0.1"}, {"PGPORT", "1"}, {"PGUSER", "app"}, {"PGDATABASE", "shop"}});
  CHECK(result.exit_code == 0);
  auto rows = rows_of(result.out);
  CHECK(rows["database.url"] == Row{"(unset: libpq PG* variables)", "default"});
  CHECK(rows["database"] == Row{"app@127.0.0.1:1/shop", ""});
}

// ---------------------------------------------------------------------------------------------
// Exit 78 with one line

struct BadCase {
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string message;
};

void check_config_error(const TempDir& dir, const BadCase& c) {
  CAPTURE(c.message);
  RunResult result = schemagate(dir, c.args, c.env);
  CHECK(result.exit_code == 78);
  CHECK(result.out == "");
  CHECK(log_messages(result.err) == std::vector<std::string>{"ERROR " + c.message});
}

TEST_CASE("an invalid environment value exits 78 with one line naming the variable") {
  TempDir dir;
  for (const BadCase& c : {
           BadCase{{"config"},
                   {{"DB_MAX_RETRIES", "abc"}},
                   "DB_MAX_RETRIES=\"abc\" (environment): not a non-negative integer"},
           BadCase{
               {"config"},
               {{"DB_RETRY_INTERVAL", "2x"}},
               "DB_RETRY_INTERVAL=\"2x\" (environment): not a duration (seconds such as 2 or 0.5, or with a "
               "unit: 500ms, 5s, 2m, 1h)"},
           BadCase{{"config"},
                   {{"MIGRATIONS_AWAIT", "on"}},
                   "MIGRATIONS_AWAIT=\"on\" (environment): not a boolean (true/false, 1/0, yes/no)"},
           BadCase{{"config"},
                   {{"LOG_LEVEL", "verbose"}},
                   "LOG_LEVEL=\"verbose\" (environment): must be debug, info, warn or error"},
           BadCase{{"config"}, {{"MIGRATIONS_DIR", ""}}, "MIGRATIONS_DIR (environment): set but empty"},
           BadCase{{"config"},
                   {{"CRITICAL_TABLES", "a.b.c"}},
                   "CRITICAL_TABLES=\"a.b.c\" (environment): table name \"a.b.c\": expected table or "
                   "schema.table"},
           BadCase{{"config"},
                   {{"AUTO_MIGRATE_ON_STARTUP", "true"}, {"DISABLE_AUTO_MIGRATIONS", "true"}},
                   "AUTO_MIGRATE_ON_STARTUP and DISABLE_AUTO_MIGRATIONS disagree (environment): "
                   "AUTO_MIGRATE_ON_STARTUP=\"true\", DISABLE_AUTO_MIGRATIONS=\"true\""},
           BadCase{{"config"},
                   {{"CRITICAL_TABLES", "users\norders"}},
                   "CRITICAL_TABLES=\"users\\norders\" (environment): contains the control character \\n"},
           BadCase{
               {"config"},
               {{"DATABASE_URL", kUrl + "\r"}},
               "DATABASE_URL=\"" + kMaskedUrl + "\\r\" (environment): contains the control character \\r"},
           BadCase{{"config"},
                   {{"SCHEMAGATE_CONFIG", "/nonexistent/gate.toml"}},
                   "SCHEMAGATE_CONFIG=\"/nonexistent/gate.toml\" (environment): cannot read: No such file or "
                   "directory"},
       }) {
    check_config_error(dir, c);
  }
}

TEST_CASE("an invalid flag value exits 78 with one line naming the flag") {
  TempDir dir;
  for (const BadCase& c : {
           BadCase{{"config", "--max-retries", "-1"},
                   {},
                   "--max-retries=\"-1\" (flag): not a non-negative integer"},
           BadCase{{"config", "--timeout=169h"}, {}, "--timeout=\"169h\" (flag): too large (at most 7 days)"},
           BadCase{
               {"config", "--log-format", "xml"}, {}, "--log-format=\"xml\" (flag): must be text or json"},
           BadCase{{"config", "--table", "a.b.c"},
                   {},
                   "--table=\"a.b.c\" (flag): table name \"a.b.c\": expected table or schema.table"},
           BadCase{{"config", "--config", "/nonexistent/gate.toml"},
                   {},
                   "--config=\"/nonexistent/gate.toml\" (flag): cannot read: No such file or directory"},
       }) {
    check_config_error(dir, c);
  }
}

TEST_CASE("a configuration error stops every command, not only config") {
  TempDir dir;
  for (std::string command : {"run", "wait", "verify"}) {
    CAPTURE(command);
    check_config_error(dir, {{command, "--database-url", kUrl, "--max-retries=abc"},
                             {},
                             "--max-retries=\"abc\" (flag): not a non-negative integer"});
  }
}

TEST_CASE("an invalid TOML value exits 78 with one line naming file:line:col") {
  TempDir dir;
  std::string toml = dir.write("gate.toml", "[database]\nmax_retries = 3\n\n[log]\n  format = \"yaml\"\n");
  check_config_error(
      dir, {{"config", "--config", toml}, {}, toml + ":5:3: log.format = \"yaml\": must be text or json"});
}

TEST_CASE("an unknown TOML key exits 78 with one line naming file:line:col") {
  TempDir dir;
  std::string toml = dir.write("gate.toml", "[database]\nurll = \"" + kUrl + "\"\n");
  check_config_error(dir,
                     {{"config", "--config", toml}, {}, toml + ":2:1: unknown setting \"database.urll\""});
  RunResult result = schemagate(dir, {"config", "--config", toml});
  CHECK(result.err.find("hunter2") == std::string::npos);
}

TEST_CASE("an unknown TOML section in ./schemagate.toml exits 78") {
  TempDir dir;
  dir.write("schemagate.toml", "[databse]\nurl = \"x\"\n");
  check_config_error(dir, {{"config"}, {}, "schemagate.toml:1:2: unknown section [databse]"});
}

TEST_CASE("a TOML syntax error exits 78 with one line naming file:line:col") {
  TempDir dir;
  std::string toml = dir.write("gate.toml", "[database]\nmax_retries = 3\nurl = \n");
  check_config_error(dir, {{"config", "--config", toml},
                           {},
                           toml + ":3:7: Error while parsing key-value pair: expected value, saw '\\n'"});
}

TEST_CASE("a non-ASCII character outside a TOML string exits 78 with one line naming file:line:col") {
  TempDir dir;
  std::string toml = dir.write("gate.toml", "# Réglages\n[log]\nformat = \"json\" ½\n");
  check_config_error(dir,
                     {{"config", "--config", toml},
                      {},
                      toml + ":3:17: U+00BD outside a string or comment: TOML allows non-ASCII characters "
                             "only in strings and comments"});
}

TEST_CASE("DATABASE_URL with DATABASE_URL_FILE exits 78 without showing either password") {
  TempDir dir;
  std::string secret = dir.write("db_url", "postgresql://app:from-file-pw@127.0.0.1:1/shop\n");
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}, {"DATABASE_URL_FILE", secret}});
  CHECK(result.exit_code == 78);
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{
            "ERROR DATABASE_URL and DATABASE_URL_FILE are both set (environment): use one"});
  CHECK(result.err.find("hunter2") == std::string::npos);
  CHECK(result.err.find("from-file-pw") == std::string::npos);
}

TEST_CASE("an unreadable DATABASE_URL_FILE exits 78 naming the variable and the path") {
  TempDir dir;
  std::string path = dir.path() + "/missing";
  check_config_error(
      dir, {{"config"},
            {{"DATABASE_URL_FILE", path}},
            "DATABASE_URL_FILE=\"" + path + "\" (environment): cannot read: No such file or directory"});
}

TEST_CASE("a connection string libpq refuses exits 78 naming the setting's source, password scrubbed") {
  TempDir dir;
  check_config_error(dir,
                     {{"config"},
                      {{"DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:1/shop?sslmode=requried"}},
                      "database.url (environment DATABASE_URL): sslmode \"requried\" is not one of disable, "
                      "allow, prefer, require, verify-ca, verify-full"});
  check_config_error(dir, {{"config", "--database-url", "postgresql://app:hunter2@[::1/shop"},
                           {},
                           "database.url (flag --database-url): not a valid connection string: end of string "
                           "reached when looking for matching \"]\" in IPv6 host address in URI: "
                           "\"postgresql://app:****@[::1/shop\""});
}

TEST_CASE("a configuration error is printed as JSON when LOG_FORMAT=json asks for it") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config"}, {{"LOG_FORMAT", "json"}, {"DB_MAX_RETRIES", "abc"}});
  CHECK(result.exit_code == 78);
  check_json_error(result.err, R"(DB_MAX_RETRIES=\"abc\" (environment): not a non-negative integer)");
}

// ---------------------------------------------------------------------------------------------
// Directories where files belong, and PG* variables libpq would only refuse on connecting

TEST_CASE("a directory named as the TOML file exits 78 naming where it came from") {
  TempDir dir;
  std::string sub = dir.path() + "/conf.d";
  std::filesystem::create_directory(sub);
  check_config_error(
      dir, {{"config", "--config", sub}, {}, "--config=\"" + sub + "\" (flag): cannot read: Is a directory"});
  check_config_error(dir, {{"config"},
                           {{"SCHEMAGATE_CONFIG", sub}},
                           "SCHEMAGATE_CONFIG=\"" + sub + "\" (environment): cannot read: Is a directory"});
}

TEST_CASE("a directory called schemagate.toml in the working directory exits 78") {
  // What a Kubernetes ConfigMap mounted at the wrong path leaves behind.
  TempDir dir;
  std::filesystem::create_directory(dir.path() + "/schemagate.toml");
  check_config_error(dir, {{"config"}, {}, "config=\"schemagate.toml\" (default): cannot read: Is a directory"});
}

TEST_CASE("a directory named by DATABASE_URL_FILE exits 78 naming the variable and the path") {
  TempDir dir;
  std::string sub = dir.path() + "/secrets";
  std::filesystem::create_directory(sub);
  for (std::string command : {"config", "run", "wait"}) {
    CAPTURE(command);
    check_config_error(dir, {{command},
                             {{"DATABASE_URL_FILE", sub}},
                             "DATABASE_URL_FILE=\"" + sub + "\" (environment): cannot read: Is a directory"});
  }
}

TEST_CASE("an invalid PGPORT, PGSSLMODE or PGCONNECT_TIMEOUT exits 78 naming the variable") {
  TempDir dir;
  for (const BadCase& c : {
           BadCase{{"config"},
                   {{"PGHOST", "127.0.0.1"}, {"PGPORT", "abc"}},
                   "database.url (default): port (from PGPORT) \"abc\" is not a port number"},
           BadCase{{"config"},
                   {{"DATABASE_URL", kUrl}, {"PGSSLMODE", "requried"}},
                   "database.url (environment DATABASE_URL): sslmode (from PGSSLMODE) \"requried\" is not one of "
                   "disable, allow, prefer, require, verify-ca, verify-full"},
           BadCase{{"config", "--database-url", "host=127.0.0.1 port=1"},
                   {{"PGCONNECT_TIMEOUT", "10s"}},
                   "database.url (flag --database-url): connect_timeout (from PGCONNECT_TIMEOUT) \"10s\" is not a "
                   "whole number of seconds"},
       }) {
    check_config_error(dir, c);
  }
}

TEST_CASE("wait with a typo in PGPORT exits 78 at once instead of retrying") {
  TempDir dir;
  RunResult result = schemagate(dir, {"wait", "--max-retries=5", "--retry-interval=10"},
                                {{"PGHOST", "127.0.0.1"}, {"PGPORT", "54 32"}});
  CHECK(result.exit_code == 78);
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR database.url (default): port (from PGPORT) \"54 32\" is not a port number"});
  CHECK(result.seconds < 5);
}

TEST_CASE("a PGPORT typo does not matter when the URL names the port") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}, {"PGPORT", "abc"}});
  CHECK(result.exit_code == 0);
  CHECK(rows_of(result.out)["database"] == Row{"app@127.0.0.1:1/shop", ""});
}

// ---------------------------------------------------------------------------------------------
// LOG_FORMAT in any case

TEST_CASE("LOG_FORMAT=JSON prints a configuration error as JSON") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config"}, {{"LOG_FORMAT", "JSON"}, {"DB_MAX_RETRIES", "abc"}});
  CHECK(result.exit_code == 78);
  check_json_error(result.err, R"(DB_MAX_RETRIES=\"abc\" (environment): not a non-negative integer)");
}

TEST_CASE("config shows LOG_FORMAT in any case as json or text") {
  TempDir dir;
  for (std::string format : {"JSON", "Json"}) {
    CAPTURE(format);
    RunResult result = schemagate(dir, {"config"}, {{"DATABASE_URL", kUrl}, {"LOG_FORMAT", format}});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    CHECK(rows_of(result.out)["log.format"] == Row{"json", "environment LOG_FORMAT"});
  }
}

TEST_CASE("LOG_FORMAT=Json prints an early configuration error as JSON") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config"}, {{"LOG_FORMAT", "Json"}, {"DB_MAX_RETRIES", "abc"}});
  CHECK(result.exit_code == 78);
  std::vector<std::string> lines = lines_of(result.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("{\"time\":\""));
}

// ---------------------------------------------------------------------------------------------
// Counts and durations

TEST_CASE("config reads counts with leading zeros as numbers") {
  TempDir dir;
  RunResult result = schemagate(dir, {"config", "--max-retries=00000030"},
                                {{"DATABASE_URL", kUrl}, {"MIGRATION_RETRY_ATTEMPTS", "007"}});
  CHECK(result.exit_code == 0);
  auto rows = rows_of(result.out);
  CHECK(rows["database.max_retries"] == Row{"30", "flag --max-retries"});
  CHECK(rows["migrations.retry_attempts"] == Row{"7", "environment MIGRATION_RETRY_ATTEMPTS"});
}

TEST_CASE("a duration that is too long or too short exits 78 saying which") {
  TempDir dir;
  for (const BadCase& c : {
           BadCase{{"config"},
                   {{"MIGRATION_TIMEOUT_SECONDS", "1234567890123456"}},
                   "MIGRATION_TIMEOUT_SECONDS=\"1234567890123456\" (environment): too large (at most 7 days)"},
           BadCase{{"config", "--timeout", "0.0001"},
                   {},
                   "--timeout=\"0.0001\" (flag): too small (under 1 ms; 0 means none)"},
       }) {
    check_config_error(dir, c);
  }
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
