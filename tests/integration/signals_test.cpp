// SPEC §1 "Signals": SIGTERM, SIGINT, SIGQUIT and SIGHUP end a wait at once with 128+N, also when
// schemagate is PID 1 (where the kernel drops signals that have no handler) and when its parent
// left them ignored. Waits use a 30 s retry interval, so only the signal can end them in time.
// Mid-migration, each cancels the running statement on the server and releases the migration
// lock: a transactional batch leaves no trace, a non-transactional migration stays dirty.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("signals");

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr double kPromptly = 2.0;  // seconds, SPEC §1

struct Stopped {
  RunResult result;
  double seconds_after_signal;
};

// Sends `sig` to `pid` (by default the child itself), then collects the exit.
Stopped stop_with(Child& child, int sig, pid_t pid = 0) {
  auto sent = Clock::now();
  if (pid == 0) {
    child.signal(sig);
  } else {
    REQUIRE(kill(pid, sig) == 0);
  }
  RunResult result = child.finish();
  return {result, std::chrono::duration<double>(Clock::now() - sent).count()};
}

RunOptions waiting_forever(const TestPort& port) {
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", port.url()},
                 {"DB_MAX_RETRIES", "1000"},
                 {"DB_RETRY_INTERVAL", "30"},
                 {"CRITICAL_TABLES", "users"}};
  options.timeout = 60s;
  return options;
}

const std::vector<int> kHandled = {SIGTERM, SIGINT, SIGQUIT, SIGHUP};

TEST_CASE("each handled signal ends the wait at once with 128+N") {
  for (int sig : kHandled) {
    CAPTURE(sig);
    ClosedPort closed;
    Child child = spawn(schemagate({"wait"}), waiting_forever(closed));
    REQUIRE(child.wait_for_stderr("attempt 1/1000 failed", 30s));
    Stopped stopped = stop_with(child, sig);
    CHECK(stopped.result.exit_code == 128 + sig);
    CHECK(stopped.seconds_after_signal < kPromptly);
    CHECK(contains(stopped.result.err, " ERROR stopped by signal " + std::to_string(sig)));
    CHECK_FALSE(contains(stopped.result.err, "attempt 2/"));
  }
}

TEST_CASE("a signal during run's wait stops it before the app starts") {
  ClosedPort closed;
  std::vector<std::string> argv = schemagate({"--", "/bin/sh", "-c", "echo app ran"});
  Child child = spawn(argv, waiting_forever(closed));
  REQUIRE(child.wait_for_stderr("attempt 1/1000 failed", 30s));
  Stopped stopped = stop_with(child, SIGTERM);
  CHECK(stopped.result.exit_code == 128 + SIGTERM);
  CHECK(stopped.seconds_after_signal < kPromptly);
  CHECK(stopped.result.out == "");
  CHECK_FALSE(contains(stopped.result.err, "starting app"));
}

TEST_CASE("a signal in permissive mode is a stop, not a degraded start") {
  ClosedPort closed;
  RunOptions options = waiting_forever(closed);
  options.env["FAIL_ON_MIGRATION_ERROR"] = "false";
  Child child = spawn(schemagate({"--", "/bin/sh", "-c", "echo app ran"}), options);
  REQUIRE(child.wait_for_stderr("attempt 1/1000 failed", 30s));
  Stopped stopped = stop_with(child, SIGINT);
  CHECK(stopped.result.exit_code == 128 + SIGINT);
  CHECK(stopped.seconds_after_signal < kPromptly);
  CHECK(stopped.result.out == "");
  CHECK_FALSE(contains(stopped.result.err, "degraded"));
}

TEST_CASE("a signal ends an attempt that hangs on a server that never answers") {
  Listener silent;
  RunOptions options = waiting_forever(silent);
  Child child = spawn(schemagate({"wait"}), options);
  // schemagate is now inside its first attempt, waiting for the server's first byte.
  REQUIRE(silent.wait_for_connection(30s));
  Stopped stopped = stop_with(child, SIGTERM);
  CHECK(stopped.result.exit_code == 128 + SIGTERM);
  CHECK(stopped.seconds_after_signal < kPromptly);
  CHECK_FALSE(contains(stopped.result.err, "attempt 1/"));
}

TEST_CASE("signals the parent left ignored still stop the wait") {
  ClosedPort closed;
  RunOptions options = waiting_forever(closed);
  options.ignored_signals = {SIGTERM, SIGHUP};
  for (int sig : {SIGTERM, SIGHUP}) {
    CAPTURE(sig);
    Child child = spawn(schemagate({"wait"}), options);
    REQUIRE(child.wait_for_stderr("attempt 1/1000 failed", 30s));
    Stopped stopped = stop_with(child, sig);
    CHECK(stopped.result.exit_code == 128 + sig);
    CHECK(stopped.seconds_after_signal < kPromptly);
  }
}

// ---------------------------------------------------------------------------------------------
// Mid-statement: the runner's statement sleeps on the server when the signal comes

// 1, 2 and 3 are applied (each its own transaction) before 4, whose statement sleeps when `sig` arrives.
void signal_mid_statement(int sig) {
  Project p;
  p.write("1_first.sql", migration("create table first (x int);"));
  p.write("2_first_x.sql",
          "-- migrate:up transaction:false\ncreate index concurrently first_x on first (x);\n");
  p.write("3_quick.sql", migration("create table quick (x int);"));
  p.write("4_sleepy.sql", migration("create table sleepy (x int);\nselect pg_sleep(30);"));

  Child run = p.spawn({"up"});
  REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
  CHECK(p.advisory_locks() == 1);
  auto [result, after_signal] = stop_with(run, sig);
  int still_sleeping = sleeps_running(p);  // straight away: the statement was cancelled, not left behind
  CHECK(result.exit_code == 128 + sig);
  CHECK(after_signal < kPromptly);
  CHECK(contains(error_line(result), "stopped by signal " + std::to_string(sig)));
  CHECK(still_sleeping == 0);
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  CHECK(p.versions() == "1,2,3");
  CHECK(p.exists("first_x"));
  CHECK(p.exists("quick"));
  CHECK_FALSE(p.exists("sleepy"));
  CHECK(dirty_count(p) == "0");

  p.write("4_sleepy.sql", migration("create table sleepy (x int);\nselect pg_sleep(0);"));
  RunResult next = p.run({"up"});
  CHECK(next.exit_code == 0);
  CHECK(p.versions() == "1,2,3,4");
}

TEST_CASE("SIGTERM mid-statement: cancelled, rolled back, lock released, 143 within two seconds") {
  signal_mid_statement(SIGTERM);
}
TEST_CASE("SIGINT mid-statement: cancelled, rolled back, lock released, 130 within two seconds") {
  signal_mid_statement(SIGINT);
}
TEST_CASE("SIGHUP mid-statement: cancelled, rolled back, lock released, 129 within two seconds") {
  signal_mid_statement(SIGHUP);
}
TEST_CASE("SIGQUIT mid-statement: cancelled, rolled back, lock released, 131 within two seconds") {
  signal_mid_statement(SIGQUIT);
}

TEST_CASE("a signal mid non-transactional statement leaves it dirty and the next run names the way out") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);"));
  p.write("2_t_x.sql",
          "-- migrate:up transaction:false\nselect pg_sleep(30);\ncreate index concurrently t_x on t (x);\n");
  p.write("3_after.sql", migration("create table after_t (x int);"));
  Child run = p.spawn({"up"});
  REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
  auto [result, after_signal] = stop_with(run, SIGTERM);
  CHECK(after_signal < kPromptly);
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(sleeps_running(p) == 0);
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  CHECK(p.versions() == "1,2");
  CHECK(dirty_count(p) == "1");
  CHECK_FALSE(p.exists("t_x"));

  RunResult next = p.run({"up"});
  CHECK(next.exit_code == 65);
  CHECK(contains(error_line(next), "`schemagate repair`"));
  p.psql("create index concurrently t_x on t (x);");
  CHECK(p.run({"repair"}).exit_code == 0);
  CHECK(p.run({"up"}).exit_code == 0);
  CHECK(p.versions() == "1,2,3");
  CHECK(dirty_count(p) == "0");
}

// ---------------------------------------------------------------------------------------------
// As PID 1

// util-linux unshare, as root: schemagate becomes PID 1 of a new PID namespace, as in a container.
bool can_unshare_pid() {
  RunResult probe = run({"unshare", "--pid", "--fork", "/bin/true"});
  if (probe.exit_code != 0)
    MESSAGE(("unshare --pid is not permitted here; PID 1 cases skipped: " + probe.err));
  return probe.exit_code == 0;
}

// The host PID of the single child of `parent` (unshare --fork's child: schemagate).
pid_t only_child_of(pid_t parent) {
  std::ifstream file("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                     "/children");
  std::vector<pid_t> children;
  for (pid_t pid; file >> pid;) children.push_back(pid);
  REQUIRE(children.size() == 1);
  return children[0];
}

std::vector<std::string> as_pid_1(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"unshare", "--pid", "--fork"});
  return argv;
}

TEST_CASE("as PID 1 of a PID namespace, each handled signal ends the wait with 128+N") {
  if (!can_unshare_pid()) return;
  for (int sig : kHandled) {
    CAPTURE(sig);
    ClosedPort closed;
    Child unshare = spawn(as_pid_1(schemagate({"wait"})), waiting_forever(closed));
    REQUIRE(unshare.wait_for_stderr("attempt 1/1000 failed", 30s));
    pid_t gate = only_child_of(unshare.pid());
    // The gate's own view: it is PID 1 of its namespace.
    std::ifstream status("/proc/" + std::to_string(gate) + "/status");
    std::string line, ns_pid;
    while (std::getline(status, line))
      if (line.starts_with("NSpid:")) ns_pid = line;
    CHECK(ns_pid.ends_with("\t1"));
    Stopped stopped = stop_with(unshare, sig, gate);
    // unshare exits with its child's status.
    CHECK(stopped.result.exit_code == 128 + sig);
    CHECK(stopped.seconds_after_signal < kPromptly);
    CHECK(contains(stopped.result.err, "stopped by signal " + std::to_string(sig)));
  }
}

TEST_CASE("as PID 1, the app exec'd by schemagate is PID 1 with a clean signal state") {
  if (!can_unshare_pid()) return;
  RunOptions options = ready_database();
  options.ignored_signals = {SIGHUP, SIGPIPE};
  RunResult result = run(as_pid_1(schemagate({"--", "/bin/sh", "-c",
                                              "echo pid=$$ status=$SCHEMAGATE_STATUS; "
                                              "exec grep -E '^Sig(Blk|Ign)' /proc/self/status"})),
                         options);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "pid=1 status=ok\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("as PID 1, the app's exit code is unshare's") {
  if (!can_unshare_pid()) return;
  RunOptions options = ready_database();
  RunResult result = run(as_pid_1(schemagate({"--", "/bin/sh", "-c", "exit 9"})), options);
  CHECK(result.exit_code == 9);
}

TEST_CASE("as PID 1, the app exec'd by schemagate receives docker stop's SIGTERM itself") {
  if (!can_unshare_pid()) return;
  RunOptions options = ready_database();
  // The app handles SIGTERM as a server would; it says when its handler is in place.
  Child unshare = spawn(as_pid_1(schemagate({"--", "/bin/sh", "-c",
                                             "trap 'echo app got SIGTERM; exit 7' TERM; echo app ready; "
                                             "while :; do sleep 0.05; done"})),
                        options);
  REQUIRE(unshare.wait_for_stdout("app ready", 30s));
  pid_t app = only_child_of(unshare.pid());  // schemagate's PID, now the app's
  Stopped stopped = stop_with(unshare, SIGTERM, app);
  CHECK(stopped.result.exit_code == 7);
  CHECK(contains(stopped.result.out, "app got SIGTERM"));
  CHECK(stopped.seconds_after_signal < kPromptly);
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
