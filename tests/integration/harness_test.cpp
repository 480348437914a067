// The harness checked against programs whose behaviour is known (sh, psql), so an integration
// test failure points at schemagate rather than at the support code.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "support/canary.h"
#include "support/files.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("harness");

using namespace std::chrono_literals;

TEST_CASE("run captures stdout, stderr and the exit code separately") {
  RunResult result = run({"/bin/sh", "-c", "echo hi; echo err >&2; exit 3"});
  CHECK(result.exit_code == 3);
  CHECK(result.out == "hi\n");
  CHECK(result.err == "err\n");
  CHECK(result.seconds >= 0);
}

TEST_CASE("run reports death by a signal as 128 plus the signal number") {
  CHECK(run({"/bin/sh", "-c", "kill -TERM $$"}).exit_code == 128 + SIGTERM);
}

TEST_CASE("run drains both pipes of a child that writes more than a pipe holds") {
  RunResult result =
      run({"/bin/sh", "-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.size() == 1000000);
  CHECK(result.err.size() == 1000000);
}

TEST_CASE("run gives the child a clean environment plus the requested variables") {
  setenv("SCHEMAGATE_HARNESS_LEAK", "leaked", 1);
  RunOptions options;
  options.env = {{"FOO", "bar baz"}};
  RunResult clean =
      run({"/bin/sh", "-c", "echo \"$FOO|$LANG|${SCHEMAGATE_HARNESS_LEAK-unset}\""}, options);
  options.inherit_env = true;
  RunResult inherited =
      run({"/bin/sh", "-c", "echo \"$FOO|${SCHEMAGATE_HARNESS_LEAK-unset}\""}, options);
  unsetenv("SCHEMAGATE_HARNESS_LEAK");
  CHECK(clean.out == "bar baz|C|unset\n");
  CHECK(inherited.out == "bar baz|leaked\n");
}

TEST_CASE("run starts the child in the requested directory") {
  RunOptions options;
  options.cwd = "/usr";
  CHECK(run({"pwd"}, options).out == "/usr\n");
}

TEST_CASE("run hands the child the requested ignored signals and nothing else") {
  RunOptions options;
  options.ignored_signals = {SIGTERM};
  RunResult ignored = run({"/bin/sh", "-c", "kill -TERM $$; echo survived"}, options);
  CHECK(ignored.exit_code == 0);
  CHECK(ignored.out == "survived\n");
  // Bit N-1 of SigIgn is signal N; only SIGTERM (15) may be set, and nothing blocked.
  RunResult status = run({"/bin/sh", "-c", "grep -E '^Sig(Ign|Blk)' /proc/self/status"}, options);
  CHECK(status.out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000004000\n");
}

TEST_CASE("run throws when the program cannot be executed") {
  CHECK_THROWS_WITH_AS(run({"/nonexistent/schemagate"}),
                       "cannot execute /nonexistent/schemagate: No such file or directory",
                       std::runtime_error);
}

TEST_CASE("run kills a child that outlives its timeout and throws") {
  RunOptions options;
  options.timeout = 1s;
  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(run({"/bin/sh", "-c", "echo started >&2; sleep 30"}, options),
                       doctest::Contains("timed out after 1s, killed: /bin/sh -c"),
                       std::runtime_error);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("spawn lets a test wait for output, signal the process and collect its exit") {
  // The trap interrupts `wait` at once; a foreground sleep would delay it.
  Child child = spawn({"/bin/sh", "-c",
                       "trap 'kill $!; echo got-term >&2; exit 7' TERM; sleep 30 & "
                       "echo ready >&2; wait $!"});
  REQUIRE(child.wait_for_stderr("ready", 10s));
  child.signal(SIGTERM);
  RunResult result = child.finish();
  CHECK(result.exit_code == 7);
  CHECK(result.err == "ready\ngot-term\n");
  CHECK(result.seconds < 10);
}

TEST_CASE("wait_for_stderr finds each occurrence once and gives up when the process exits") {
  Child child = spawn({"/bin/sh", "-c", "echo attempt 1/2 >&2; echo attempt 2/2 >&2; exit 69"});
  CHECK(child.wait_for_stderr("attempt", 10s));
  CHECK(child.wait_for_stderr("attempt", 10s));
  CHECK_FALSE(child.wait_for_stderr("attempt", 10s));
  CHECK(child.finish().exit_code == 69);
}

TEST_CASE("the shared cluster gives each test a database of its own") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  CHECK(db != cluster.create_database());
  CHECK(cluster.psql(db, "select current_database()") == db);
  CHECK(cluster.psql(db,
                     "create table t(x int, y text);\n"
                     "insert into t values (1, 'a'), (2, 'b');\n"
                     "select x, y from t order by x;") == "1|a\n2|b");
  CHECK_THROWS_WITH_AS(cluster.psql(db, "select * from no_such_table"),
                       doctest::Contains("relation \"no_such_table\" does not exist"),
                       std::runtime_error);
  CHECK(&cluster == &PgCluster::shared());
}

TEST_CASE("url reaches the server over TCP with a percent-encoded password") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  cluster.create_role("app user", "p@ss:w/rd%?'#");
  RunResult good = run({kPsql, "-X", "-A", "-t", "-w", "-d", cluster.url(db, "app user"), "-c",
                        "select current_user, current_database(), inet_server_port()"});
  CHECK(good.err == "");
  CHECK(good.out == "app user|" + db + "|" + std::to_string(cluster.port()) + "\n");

  RunResult bad =
      run({kPsql, "-X", "-w", "-d", cluster.url(db, "app user", "wrong"), "-c", "select 1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("password authentication failed for user \"app user\"") != std::string::npos);

  RunOptions options;
  options.env = cluster.pg_env(db);
  CHECK(run({kPsql, "-X", "-A", "-t", "-w", "-c", "select current_user"}, options).out ==
        "postgres\n");
}

TEST_CASE("a private cluster can be stopped and started on the same port") {
  PgCluster cluster;
  CHECK(cluster.port() != PgCluster::shared().port());
  int port = cluster.port();
  cluster.stop();
  CHECK_THROWS_AS(cluster.psql("postgres", "select 1"), std::runtime_error);
  cluster.start();
  CHECK(cluster.port() == port);
  CHECK(cluster.psql("postgres", "select 1") == "1");
}

TEST_CASE("run throws when any spelling of the canary shows in stdout, stderr or the status file") {
  const std::string encoded = percent_encode(kCanaryPassword);
  const std::string in_stdout =
      "canary password leaked from echo (SPEC §6):\n  \"" + encoded + "\" in stdout";
  CHECK_THROWS_WITH_AS(run({"echo", encoded}), doctest::Contains(in_stdout.c_str()), std::runtime_error);
  CHECK_THROWS_WITH_AS(run({"/bin/sh", "-c", "echo a Zeph fragment >&2"}),
                       doctest::Contains("\"Zeph\" in stderr"), std::runtime_error);
  TempDir dir("harness");
  RunOptions options;
  options.env = {{"SCHEMAGATE_STATUS_FILE", dir.file("status.json")}, {"PASSWORD", kQuotingCanaryPassword}};
  CHECK_THROWS_WITH_AS(run({"/bin/sh", "-c", "echo \"$PASSWORD\" > \"$SCHEMAGATE_STATUS_FILE\""}, options),
                       doctest::Contains(("in the status file " + dir.file("status.json")).c_str()),
                       std::runtime_error);
  // A run that prints it on purpose says so.
  options.may_print_canary = true;
  CHECK(run({"echo", kCanaryPassword}, options).out == kCanaryPassword + "\n");
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
