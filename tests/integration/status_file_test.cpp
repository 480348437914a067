// The status file (SCHEMAGATE_STATUS_FILE) while a run is still in progress: a probe reading it
// sees the phase, not only the final state. Each case holds schemagate in a phase by database
// state (an unreachable port, an advisory lock the test holds), reads the file there, then lets
// the run finish and checks the final document.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>

#include "support/gate.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("status_file");

using namespace std::chrono_literals;

// The document as Python's json reads it (so it must parse), one line: its keys, sorted, then
// status, migration and whether since and time are UTC timestamps.
std::string phase_of(const std::string& path) {
  static const std::string kRead = R"PY(
import json, re, sys
d = json.load(open(sys.argv[1]))
utc = lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v) is not None
print(",".join(sorted(d)), d["status"], d.get("migration", "-"),
      "since=" + ("utc" if utc(d.get("since")) else repr(d.get("since"))),
      "time=" + ("utc" if utc(d.get("time")) else repr(d.get("time"))))
)PY";
  RunResult result = run({"/usr/bin/python3", "-c", kRead, path});
  INFO(read_text_file(path));
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return result.out.substr(0, result.out.size() - 1);
}

const std::string kPhaseKeys = "current_version,error,pending,preflight,since,status,time,timings_ms";
const std::string kMigratingKeys = "current_version,error,migration,pending,preflight,since,status,time,timings_ms";
const std::string kFinalKeys = "current_version,error,pending,preflight,status,time,timings_ms";
const std::vector<std::string> kApp = {"--", "sh", "-c", "echo \"app started $SCHEMAGATE_STATUS\""};

TEST_CASE("while schemagate waits for the database the status file says waiting, since when") {
  TempDir out("status");
  const std::string path = out.file("status.json");
  ClosedPort nowhere;
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", nowhere.url("app", "postgres:secret")},
                 {"DB_MAX_RETRIES", "100"},
                 {"DB_RETRY_INTERVAL", "1"},
                 {"SCHEMAGATE_STATUS_FILE", path}};
  std::vector<std::string> args = {};
  args.insert(args.end(), kApp.begin(), kApp.end());
  Child child = spawn(schemagate(args), options);
  REQUIRE(child.wait_for_stderr("attempt 1/100 failed", 20s));
  CHECK(phase_of(path) == kPhaseKeys + " waiting - since=utc time=utc");
  CHECK(out.names() == std::vector<std::string>{"status.json"});
  child.signal(SIGTERM);
  RunResult result = child.finish();
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(result.out == "");
  // The final state replaces the phase.
  CHECK(phase_of(path) == kFinalKeys + " failed - since=None time=utc");
}

TEST_CASE("while a migration runs the status file names it and when it started; then ok") {
  Project p;
  TempDir out("status");
  const std::string path = out.file("status.json");
  p.write("1_users.sql", migration("create table users (id int);"));
  // The second migration waits for an advisory lock the test holds: a long migration, held in
  // place until the test lets it go.
  p.write("2_slow_orders.sql",
          migration("select pg_advisory_xact_lock(4242);\ncreate table orders (id int);"));
  Holder holder(p, "select pg_advisory_lock(4242); select pg_sleep(60);");
  REQUIRE(holder.wait_running("%pg_sleep%", 10s));

  Child child = spawn(schemagate({"--", "sh", "-c", "echo \"app started $SCHEMAGATE_STATUS\""}),
                      p.options({{"SCHEMAGATE_STATUS_FILE", path},
                                 {"CRITICAL_TABLES", "users,orders"},
                                 {"MIGRATION_LOCK_TIMEOUT", "120s"}}));
  REQUIRE(wait_until(
      [&] {
        return p.backends(
                   "application_name = 'schemagate' and wait_event_type = 'Lock' and wait_event = "
                   "'advisory'") == 1;
      },
      20s));
  CHECK(phase_of(path) == kMigratingKeys + " migrating 2_slow_orders since=utc time=utc");
  CHECK(p.versions() == "1");  // 1 is committed; 2 is the one in progress, as the file says

  holder.release();
  RunResult result = child.finish();
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started ok\n");
  CHECK(p.versions() == "1,2");
  CHECK(phase_of(path) == kFinalKeys + " ok - since=None time=utc");
  CHECK(out.names() == std::vector<std::string>{"status.json"});
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
