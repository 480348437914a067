// SPEC §1 step 3 (wait) through `schemagate wait`: what counts as ready, what is retried and how
// often, and what is refused at once. Every case runs the built binary against a real server.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "support/canary.h"
#include "support/gate.h"
#include "support/log_lines.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("wait");

using namespace std::chrono_literals;

std::string ready_line_for(const PgCluster& cluster, const std::string& user,
                           const std::string& db) {
  return "db=" + user + "@127.0.0.1:" + std::to_string(cluster.port()) + "/" + db;
}

// A database name that no other case uses and that does not exist yet.
std::string unused_database_name() {
  static int counter = 0;
  return "not_yet_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// Options for `schemagate wait` at `url` with five attempts 30 s apart, so that a refusal which
// was retried would show in the log and take a minute or more.
RunOptions five_slow_attempts(const std::string& url) {
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", url}, {"DB_MAX_RETRIES", "5"}, {"DB_RETRY_INTERVAL", "30"}};
  return options;
}

// `schemagate wait` at `url` (five_slow_attempts), which the server must refuse at the first
// attempt: exit 69 with one line and no retry warning. The run, for the caller to check the line.
RunResult refused_at_once(const std::string& url) {
  RunResult result = run(schemagate({"wait"}), five_slow_attempts(url));
  CHECK(result.exit_code == 69);
  CHECK_FALSE(contains(result.err, " WARN "));
  REQUIRE(lines_of(result.err).size() == 1);
  return result;
}

TEST_CASE("wait is ready on the first attempt and names user@host:port/db") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", cluster.url(db)}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "");
  auto ready = lines_with(result.err, "database ready");
  REQUIRE(ready.size() == 1);
  CHECK(contains(ready[0], " INFO  database ready "));
  CHECK(contains(ready[0], ready_line_for(cluster, "postgres", db)));
  CHECK(contains(ready[0], "attempts=1"));
  CHECK(contains(ready[0], "server=15."));
  CHECK(lines_of(result.err).size() == 1);
  CHECK_FALSE(contains(result.err, "attempt 1/"));
}

// The test clusters listen on 127.0.0.1 only: `host` is the IPv6 name libpq reports, `hostaddr`
// where the connection really goes (libpq connects to hostaddr and names host).
TEST_CASE("an IPv6 host is named in brackets, user@[::1]:port/db, in every message") {
  PgCluster& cluster = PgCluster::shared();
  const std::string db = cluster.create_database();
  const std::string port = std::to_string(cluster.port());
  std::string url = cluster.url(db);
  url.replace(url.find("@127.0.0.1:"), 11, "@[::1]:");
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", url + "?hostaddr=127.0.0.1"}};
  RunResult ready = run(schemagate({"wait"}), options);
  CHECK_MESSAGE(ready.exit_code == 0, ready.err);
  CHECK(contains(ready.err, " INFO  database ready db=postgres@[::1]:" + port + "/" + db + " "));

  ClosedPort first, second;
  const std::string p1 = std::to_string(first.port()), p2 = std::to_string(second.port());
  options.env = {{"DATABASE_URL", "postgresql://postgres@[::1]:" + p1 + "/" + db + "?hostaddr=127.0.0.1"},
                 {"DB_MAX_RETRIES", "1"}};
  RunResult refused = run(schemagate({"wait"}), options);
  CHECK(refused.exit_code == 69);
  CHECK(contains(refused.err, " ERROR postgres@[::1]:" + p1 + "/" + db + " not ready after 1 attempts"));
  // A list is tried host by host, and each is named in the error.
  options.env["DATABASE_URL"] =
      "postgresql://postgres@[::1]:" + p1 + ",[::1]:" + p2 + "/" + db + "?hostaddr=127.0.0.1,127.0.0.1";
  RunResult list = run(schemagate({"wait"}), options);
  CHECK(list.exit_code == 69);
  CHECK(
      contains(list.err, "postgres@[::1],[::1]:" + p1 + "," + p2 + "/" + db + " not ready after 1 attempts"));
  CHECK(contains(list.err, ": [::1]:" + p1 + ": "));
  CHECK(contains(list.err, "; [::1]:" + p2 + ": "));
}

TEST_CASE("wait makes exactly DB_MAX_RETRIES attempts at a refused port, then exits 69") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", closed.url("app")}, {"DB_MAX_RETRIES", "4"}, {"DB_RETRY_INTERVAL", "0.2"}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 69);
  auto attempts = lines_with(result.err, "attempt ");
  REQUIRE(attempts.size() == 4);
  const std::string db = "db=postgres@127.0.0.1:" + std::to_string(closed.port()) + "/app";
  for (int n = 1; n <= 4; ++n) {
    const std::string& line = attempts[static_cast<size_t>(n - 1)];
    CAPTURE(line);
    CHECK(contains(line, " WARN  attempt " + std::to_string(n) + "/4 failed: "));
    CHECK(contains(line, "Connection refused"));
    CHECK(contains(line, db));
  }
  CHECK(contains(error_line(result), "postgres@127.0.0.1:" + std::to_string(closed.port()) +
                                         "/app not ready after 4 attempts ("));
  CHECK(lines_of(result.err).size() == 5);
  // Three pauses of 0.2 s lie between four attempts.
  CHECK(result.seconds >= 0.6);
}

TEST_CASE("wait with DB_MAX_RETRIES=0 still makes exactly one attempt") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", closed.url()}, {"DB_MAX_RETRIES", "0"}, {"DB_RETRY_INTERVAL", "30"}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 69);
  CHECK(lines_with(result.err, "attempt 1/1 failed").size() == 1);
  CHECK(lines_with(result.err, " WARN ").size() == 1);
  CHECK(contains(result.err, "not ready after 1 attempts"));
  // One attempt, so no pause: well under the 30 s interval.
  CHECK(result.seconds < 30);
}

TEST_CASE("--max-retries and --retry-interval flags govern the attempts like the environment") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", closed.url()}, {"DB_MAX_RETRIES", "50"}, {"DB_RETRY_INTERVAL", "30"}};
  RunResult result =
      run(schemagate({"wait", "--max-retries", "3", "--retry-interval=200ms"}), options);
  CHECK(result.exit_code == 69);
  CHECK(lines_with(result.err, " WARN  attempt ").size() == 3);
  CHECK(lines_with(result.err, "attempt 3/3 failed").size() == 1);
  CHECK(result.seconds >= 0.4);
}

TEST_CASE("a wrong password is refused after exactly one attempt, naming 28P01") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  RunResult result = refused_at_once(cluster.url(db, "postgres", kCanaryPassword));
  CHECK(contains(result.err, " ERROR postgres@127.0.0.1:" + std::to_string(cluster.port()) + "/" +
                                 db + " refused the credentials (attempt 1/5, not retried): "));
  CHECK(contains(result.err, "28P01"));
  CHECK(contains(result.err, "password authentication failed for user \"postgres\""));
  CHECK(result.seconds < 30);
}

TEST_CASE("a role that does not exist is refused after one attempt") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  RunResult result = refused_at_once(cluster.url(db, "no_such_role", kCanaryPassword));
  // With scram-sha-256 the server does not reveal whether the role exists: 28P01 either way.
  CHECK(contains(result.err, "no_such_role@127.0.0.1:" + std::to_string(cluster.port()) + "/" + db +
                                 " refused the credentials (attempt 1/5, not retried): "));
  CHECK(contains(result.err, "28P01"));
}

TEST_CASE("a role that may not log in is refused after one attempt, naming 28000") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  cluster.psql("postgres", "CREATE ROLE wait_nologin NOLOGIN PASSWORD '" + kCanaryPassword + "'");
  RunResult result = refused_at_once(cluster.url(db, "wait_nologin", kCanaryPassword));
  CHECK(contains(result.err, "refused the credentials (attempt 1/5, not retried): "));
  CHECK(contains(result.err, "28000"));
  CHECK(contains(result.err, "role \"wait_nologin\" is not permitted to log in"));
}

TEST_CASE("a role that pg_hba.conf rejects is refused after one attempt, naming 28000") {
  PgCluster cluster;
  cluster.create_role("hba_blocked", kCanaryPassword);
  // Edited while the server is down, so the rule is in force when it starts (no reload race).
  cluster.stop();
  const std::string hba = cluster.socket_dir() + "/data/pg_hba.conf";
  write_text_file(hba, "host all hba_blocked 127.0.0.1/32 reject\n" + read_text_file(hba));
  cluster.start();
  RunResult result = refused_at_once(cluster.url("postgres", "hba_blocked"));
  CHECK(contains(result.err, "hba_blocked@127.0.0.1:" + std::to_string(cluster.port()) +
                                 "/postgres refused the credentials (attempt 1/5, not retried): "));
  CHECK(contains(result.err, "28000"));
  CHECK(contains(result.err, "pg_hba.conf rejects connection"));
  // The superuser still gets in: the rule is specific to the role.
  CHECK(run(schemagate({"wait"}), five_slow_attempts(cluster.url("postgres"))).exit_code == 0);
}

TEST_CASE("a database that does not exist yet is retried until it is created") {
  PgCluster& cluster = PgCluster::shared();
  const std::string db = unused_database_name();
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", cluster.url(db)}, {"DB_MAX_RETRIES", "600"}, {"DB_RETRY_INTERVAL", "0.1"}};
  Child child = spawn(schemagate({"wait"}), options);
  REQUIRE(child.wait_for_stderr("attempt 1/600 failed", 30s));
  CHECK(contains(child.err(), "3D000"));
  CHECK(contains(child.err(), "database \"" + db + "\" does not exist"));
  cluster.psql("postgres", "CREATE DATABASE " + db);
  RunResult result = child.finish();
  CHECK(result.exit_code == 0);
  auto ready = lines_with(result.err, "database ready");
  REQUIRE(ready.size() == 1);
  CHECK(contains(ready[0], ready_line_for(cluster, "postgres", db)));
  CHECK_FALSE(contains(ready[0], "attempts=1 "));
  CHECK_FALSE(contains(result.err, " ERROR "));
}

TEST_CASE("a database that never appears is retried until the attempts run out") {
  PgCluster& cluster = PgCluster::shared();
  const std::string db = unused_database_name();
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", cluster.url(db)}, {"DB_MAX_RETRIES", "3"}, {"DB_RETRY_INTERVAL", "0.1"}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 69);
  CHECK(lines_with(result.err, " WARN  attempt ").size() == 3);
  CHECK(lines_with(result.err, "3D000").size() == 4);
  CHECK(contains(result.err, "not ready after 3 attempts"));
}

TEST_CASE("a role at its connection limit is retried until a slot frees") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  // Not a superuser: superusers are exempt from connection limits.
  cluster.psql("postgres",
               "CREATE ROLE wait_limited LOGIN PASSWORD '" + kCanaryPassword + "' CONNECTION LIMIT 0");
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", cluster.url(db, "wait_limited", kCanaryPassword)},
                 {"DB_MAX_RETRIES", "600"},
                 {"DB_RETRY_INTERVAL", "0.1"}};
  Child child = spawn(schemagate({"wait"}), options);
  REQUIRE(child.wait_for_stderr("attempt 1/600 failed", 30s));
  CHECK(contains(child.err(), "53300"));
  CHECK(contains(child.err(), "too many connections for role \"wait_limited\""));
  cluster.psql("postgres", "ALTER ROLE wait_limited CONNECTION LIMIT 5");
  RunResult result = child.finish();
  CHECK(result.exit_code == 0);
  CHECK(lines_with(result.err, "database ready").size() == 1);
  CHECK_FALSE(contains(result.err, " ERROR "));
}

TEST_CASE("a server started after the wait began is reached") {
  PgCluster cluster;
  cluster.stop();
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", cluster.url("postgres")},
                 {"DB_MAX_RETRIES", "600"},
                 {"DB_RETRY_INTERVAL", "0.1"}};
  Child child = spawn(schemagate({"wait"}), options);
  REQUIRE(child.wait_for_stderr("attempt 1/600 failed", 30s));
  CHECK(contains(child.err(), "Connection refused"));
  cluster.start();
  RunResult result = child.finish();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  auto ready = lines_with(result.err, "database ready");
  REQUIRE(ready.size() == 1);
  CHECK(contains(ready[0], ready_line_for(cluster, "postgres", "postgres")));
}

TEST_CASE("wait reaches the server through libpq's PG* variables without DATABASE_URL") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  cluster.create_role("wait_pg_env", kQuotingCanaryPassword);
  RunOptions options = gate_options();
  options.env = cluster.pg_env(db, "wait_pg_env");
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 0);
  auto ready = lines_with(result.err, "database ready");
  REQUIRE(ready.size() == 1);
  CHECK(contains(ready[0], ready_line_for(cluster, "wait_pg_env", db)));
}

TEST_CASE("PG* variables pointing at a refused port are retried and named") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {{"PGHOST", "127.0.0.1"}, {"PGPORT", std::to_string(closed.port())},
                 {"PGUSER", "someone"},   {"PGDATABASE", "somedb"},
                 {"DB_MAX_RETRIES", "2"}, {"DB_RETRY_INTERVAL", "0.1"}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 69);
  auto attempts = lines_with(result.err, " WARN  attempt ");
  REQUIRE(attempts.size() == 2);
  CHECK(contains(attempts[0], "db=someone@127.0.0.1:" + std::to_string(closed.port()) + "/somedb"));
}

TEST_CASE("an invalid PG* value fails at once as configuration, not as attempts") {
  ClosedPort closed;
  for (const auto& [variable, value] : std::map<std::string, std::string>{
           {"PGSSLMODE", "bogus"}, {"PGPORT", "99999"}, {"PGCONNECT_TIMEOUT", "soon"}}) {
    CAPTURE(variable);
    RunOptions options = gate_options();
    options.env = {{"PGHOST", "127.0.0.1"},
                   {"PGPORT", std::to_string(closed.port())},
                   {"DB_MAX_RETRIES", "5"},
                   {"DB_RETRY_INTERVAL", "30"}};
    options.env[variable] = value;
    RunResult result = run(schemagate({"wait"}), options);
    CHECK(result.exit_code == 78);
    auto lines = lines_of(result.err);
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines[0], " ERROR database.url "));
    CHECK(contains(lines[0], "(from " + variable + ") \"" + value + "\""));
    CHECK_FALSE(contains(result.err, "attempt"));
  }
}

TEST_CASE("JSON logs: every line is an object with time, level and msg") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", closed.url()},
                 {"DB_MAX_RETRIES", "2"},
                 {"DB_RETRY_INTERVAL", "0.1"},
                 {"LOG_FORMAT", "json"}};
  RunResult failed = run(schemagate({"wait"}), options);
  CHECK(failed.exit_code == 69);

  PgCluster& cluster = PgCluster::shared();
  options.env["DATABASE_URL"] = cluster.url(cluster.create_database());
  options.env.erase("LOG_FORMAT");
  RunResult ready = run(schemagate({"wait", "--log-format", "json"}), options);
  CHECK(ready.exit_code == 0);

  for (const RunResult* result : {&failed, &ready}) {
    auto lines = lines_of(result->err);
    CHECK_FALSE(lines.empty());
    for (const auto& line : lines) {
      CAPTURE(line);
      CHECK(line.starts_with("{\"time\":\""));
      CHECK(line.ends_with("}"));
      CHECK(contains(line, "Z\",\"level\":\""));
      CHECK(contains(line, ",\"msg\":\""));
    }
  }
  auto attempts = lines_of(failed.err);
  REQUIRE(attempts.size() == 3);
  CHECK(contains(attempts[0], "\"level\":\"warn\",\"msg\":\"attempt 1/2 failed: "));
  CHECK(contains(attempts[1], "\"level\":\"warn\",\"msg\":\"attempt 2/2 failed: "));
  CHECK(contains(attempts[0],
                 "\"db\":\"postgres@127.0.0.1:" + std::to_string(closed.port()) + "/postgres\""));
  CHECK(contains(attempts[2], "\"level\":\"error\",\"msg\":\"postgres@127.0.0.1:"));
  REQUIRE(lines_of(ready.err).size() == 1);
  CHECK(contains(ready.err, "\"level\":\"info\",\"msg\":\"database ready\""));
}

// A hot standby answers queries but cannot take migrations: it is retried, never "ready".
TEST_CASE("a read-only standby is not ready") {
  PgCluster primary;
  const std::string standby_dir = primary.socket_dir() + "/standby";
  const std::string standby_log = primary.socket_dir() + "/standby.log";
  RunOptions server_options;
  server_options.cwd = primary.socket_dir();
  server_options.timeout = 120s;
  RunResult backup = run(as_server_user({pg_bin("pg_basebackup"), "-D", standby_dir, "-R", "-X",
                                         "stream", "-h", primary.socket_dir(), "-p",
                                         std::to_string(primary.port()), "-U", "postgres"}),
                         server_options);
  REQUIRE_MESSAGE(backup.exit_code == 0, backup.err);
  auto pg_ctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{pg_bin("pg_ctl"), "-D", standby_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(as_server_user(argv), server_options);
  };
  // A port picked free may be taken before the server binds it; then pick another.
  int standby_port = 0;
  for (int attempt = 1;; ++attempt) {
    standby_port = ClosedPort().port();
    RunResult started = pg_ctl(
        {"-l", standby_log, "-w", "-t", "60", "-o", "-p " + std::to_string(standby_port), "start"});
    if (started.exit_code == 0) break;
    std::string log = read_text_file(standby_log);
    REQUIRE_MESSAGE((attempt < 3 && contains(log, "Address already in use")), (started.err + log));
  }
  struct StopStandby {
    std::function<RunResult(std::vector<std::string>)> pg_ctl;
    ~StopStandby() {
      try {
        pg_ctl({"-m", "immediate", "-w", "stop"});
      } catch (...) {
      }
    }
  } stop_standby{pg_ctl};

  const std::string standby_url =
      "postgresql://postgres:" + percent_encode(primary.superuser_password()) +
      "@127.0.0.1:" + std::to_string(standby_port) + "/postgres";
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", standby_url}, {"DB_MAX_RETRIES", "3"}, {"DB_RETRY_INTERVAL", "0.1"}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 69);
  auto attempts = lines_with(result.err, " WARN  attempt ");
  REQUIRE(attempts.size() == 3);
  for (const auto& line : attempts)
    CHECK(contains(line, "the server is a read-only standby (in recovery)"));
  CHECK(contains(result.err, "not ready after 3 attempts"));

  // The primary it follows is ready.
  options.env["DATABASE_URL"] = primary.url("postgres");
  CHECK(run(schemagate({"wait"}), options).exit_code == 0);
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
