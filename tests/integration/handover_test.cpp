// SPEC §1 step 8 (hand over), step 2 (skip) and permissive mode through `schemagate run -- app`:
// the app replaces schemagate (same PID, clean signal state, no leftover connection), learns the
// outcome from SCHEMAGATE_STATUS, and its exit code is the container's.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <map>
#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("handover");

using namespace std::chrono_literals;

// `schemagate [flags] -- app...`
std::vector<std::string> gate_then(const std::vector<std::string>& flags, const std::vector<std::string>& app) {
  std::vector<std::string> argv = schemagate(flags);
  argv.push_back("--");
  argv.insert(argv.end(), app.begin(), app.end());
  return argv;
}

const std::vector<std::string> kPrintStatus = {"/bin/sh", "-c",
                                               "echo \"status=$SCHEMAGATE_STATUS\""};

TEST_CASE("the app is exec'd in schemagate's place, keeping its PID") {
  Child child = spawn(gate_then({}, {"/bin/sh", "-c", "echo pid=$$"}), ready_database());
  pid_t pid = child.pid();
  RunResult result = child.finish();
  CHECK(result.exit_code == 0);
  CHECK(result.out == "pid=" + std::to_string(pid) + "\n");
  auto starting = lines_with(result.err, "starting app");
  REQUIRE(starting.size() == 1);
  CHECK(starting[0].ends_with(" INFO  starting app app=/bin/sh status=ok"));
}

TEST_CASE("the default command is run, and an explicit run behaves the same") {
  RunOptions options = ready_database();
  RunResult implicit = run(gate_then({}, kPrintStatus), options);
  RunResult explicit_run = run(gate_then({"run"}, kPrintStatus), options);
  CHECK(implicit.exit_code == 0);
  CHECK(explicit_run.exit_code == 0);
  CHECK(implicit.out == "status=ok\n");
  CHECK(explicit_run.out == "status=ok\n");
}

TEST_CASE("the app is looked up in PATH and gets its arguments verbatim, without a shell") {
  RunResult result =
      run(gate_then({}, {"printf", "[%s]\\n", "two words", "$HOME", "*", "a;b"}), ready_database());
  CHECK(result.exit_code == 0);
  CHECK(result.out == "[two words]\n[$HOME]\n[*]\n[a;b]\n");
}

TEST_CASE("the app starts with an empty signal mask and no ignored signals") {
  RunOptions options = ready_database();
  // A parent such as nohup hands schemagate ignored signals; exec would pass them on.
  options.ignored_signals = {SIGHUP, SIGPIPE};
  const std::vector<std::string> show = {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"};
  // Control: without schemagate in between, the app would inherit them (bits 1 and 13).
  CHECK(run(show, options).out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000001001\n");

  RunResult result = run(gate_then({}, show), options);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

// The descriptor numbers `ls -l /proc/self/fd/` shows, but for ls's own directory handle.
std::vector<std::string> open_descriptors(const std::string& listing) {
  std::vector<std::string> numbers;
  for (const auto& line : lines_with(listing, " -> ")) {
    if (contains(line, " -> /proc/")) continue;
    std::string before_arrow = line.substr(0, line.find(" -> "));
    numbers.push_back(before_arrow.substr(before_arrow.rfind(' ') + 1));
  }
  return numbers;
}

TEST_CASE("the app inherits no descriptor from schemagate: no socket, no signalfd") {
  const std::vector<std::string> list = {"ls", "-l", "/proc/self/fd/"};
  RunOptions options = ready_database();
  // Control: what the app gets without schemagate (the test runner may pass on a few of its own).
  RunResult direct = run(list, options);
  RunResult result = run(gate_then({}, list), options);
  CHECK(result.exit_code == 0);
  INFO(result.out);
  CHECK(contains(result.out, " 0 -> /dev/null"));
  CHECK_FALSE(contains(result.out, "socket:"));
  CHECK_FALSE(contains(result.out, "anon_inode:"));
  CHECK(open_descriptors(result.out) == open_descriptors(direct.out));
}

TEST_CASE("the app's exit code is schemagate's") {
  RunResult result = run(gate_then({}, {"/bin/sh", "-c", "echo ran; exit 7"}), ready_database());
  CHECK(result.exit_code == 7);
  CHECK(result.out == "ran\n");
}

TEST_CASE("the app's death by a signal is reported as the container's") {
  RunResult result = run(gate_then({}, {"/bin/sh", "-c", "kill -TERM $$"}), ready_database());
  CHECK(result.exit_code == 128 + SIGTERM);
}

TEST_CASE("schemagate's session has ended, cleanly, by the time the app runs") {
  // A cluster of its own, so its log holds only this case's sessions.
  PgCluster cluster;
  // The server reports a client that vanished without saying goodbye only at DEBUG1.
  cluster.psql("postgres", "ALTER DATABASE postgres SET log_min_messages = 'debug1'");
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", cluster.url("postgres")}, {"CRITICAL_TABLES", "pg_class"}};
  // A session leaves pg_stat_activity when its backend exits, a moment after the client hung up,
  // so a non-zero count is read again (for up to 10 s) before it is believed.
  const std::string query =
      "select count(*) from pg_stat_activity where application_name = 'schemagate'";
  const std::string psql = kPsql + " -X -A -t -w -d \"$CHECK_URL\" -c \"" + query + "\"";
  const std::string count_sessions = "for i in $(seq 100); do n=$(" + psql + ") || exit 99; " +
                                     "[ \"$n\" = 0 ] && break; sleep 0.1; done; echo sessions=$n";
  options.env["CHECK_URL"] = cluster.url("postgres");
  RunResult result = run(gate_then({}, {"/bin/sh", "-c", count_sessions}), options);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "critical tables present"));
  CHECK(result.out == "sessions=0\n");
  // exec(2) would close libpq's socket too (it is close-on-exec), but without a goodbye: the
  // server would log the lost client. Closed properly, the session ends without a word.
  std::string text = read_text_file(cluster.log_path());
  INFO(text);
  CHECK_FALSE(contains(text, "unexpected EOF on client connection"));
  CHECK_FALSE(contains(text, "could not receive data from client"));
}

TEST_CASE("an app that does not exist exits 127") {
  RunResult result = run(gate_then({}, {"no-such-app-schemagate-test", "arg"}), ready_database());
  CHECK(result.exit_code == 127);
  CHECK(result.out == "");
  CHECK(error_line(result).ends_with(
      " ERROR cannot start app \"no-such-app-schemagate-test\": No such file or directory"));

  RunResult by_path = run(gate_then({}, {"/nonexistent/dir/app"}), ready_database());
  CHECK(by_path.exit_code == 127);
}

TEST_CASE("an app that is not executable exits 126") {
  const std::string path = PgCluster::shared().socket_dir() + "/not-executable.sh";
  write_text_file(path, "#!/bin/sh\necho should not run\n");
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  RunResult result = run(gate_then({}, {path}), ready_database());
  CHECK(result.exit_code == 126);
  CHECK(result.out == "");
  CHECK(error_line(result).ends_with(" ERROR cannot start app \"" + path + "\": Permission denied"));

  RunResult directory = run(gate_then({}, {"/usr"}), ready_database());
  CHECK(directory.exit_code == 126);
}

TEST_CASE("without an app, run exits 0 after saying there is none") {
  RunResult result = run(schemagate({}), ready_database());
  CHECK(result.exit_code == 0);
  CHECK(result.out == "");
  auto done = lines_with(result.err, "no app");
  REQUIRE(done.size() == 1);
  CHECK(done[0].ends_with(" INFO  done; no app to start status=ok"));
  CHECK(contains(result.err, "database ready"));
}

TEST_CASE("run stops with exit 2 before the app when a critical table is missing") {
  RunOptions options = ready_database();
  options.env["CRITICAL_TABLES"] = "pg_class,no_such_table";
  RunResult result = run(gate_then({}, kPrintStatus), options);
  CHECK(result.exit_code == 2);
  CHECK(result.out == "");
  CHECK(contains(result.err, " ERROR critical table missing: no_such_table"));
  CHECK_FALSE(contains(result.err, "starting app"));
}

TEST_CASE("run stops with exit 69 before the app when the database is unreachable") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {
      {"DATABASE_URL", closed.url()}, {"DB_MAX_RETRIES", "2"}, {"DB_RETRY_INTERVAL", "0.1"}};
  RunResult result = run(gate_then({}, kPrintStatus), options);
  CHECK(result.exit_code == 69);
  CHECK(result.out == "");
  CHECK_FALSE(contains(result.err, "starting app"));
}

TEST_CASE("--skip and SCHEMAGATE_SKIP start the app at once without contacting the database") {
  struct Way {
    std::string name;
    std::vector<std::string> flags;
    std::map<std::string, std::string> env;
    std::string source;
  };
  for (const Way& way :
       {Way{"flag", {"--skip"}, {}, "flag --skip"},
        Way{"environment", {}, {{"SCHEMAGATE_SKIP", "true"}}, "environment SCHEMAGATE_SKIP"},
        Way{"environment yes", {}, {{"SCHEMAGATE_SKIP", "yes"}}, "environment SCHEMAGATE_SKIP"}}) {
    CAPTURE(way.name);
    Listener listener;
    RunOptions options = gate_options();
    options.env = way.env;
    options.env["DATABASE_URL"] = listener.url();
    options.env["DB_MAX_RETRIES"] = "1";
    options.env["CRITICAL_TABLES"] = "users";
    RunResult result = run(gate_then(way.flags, kPrintStatus), options);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "status=skipped\n");
    auto warnings = lines_with(result.err, " WARN ");
    REQUIRE(warnings.size() == 1);
    CHECK(contains(warnings[0],
                   " WARN  skip requested (" + way.source +
                       "): waiting, migrations and checks are bypassed; no database contact"));
    CHECK_FALSE(contains(result.err, "attempt"));
    CHECK_FALSE(contains(result.err, " ERROR "));
    CHECK_FALSE(listener.was_contacted());
  }
}

TEST_CASE("--skip without an app exits 0") {
  Listener listener;
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", listener.url()}};
  RunResult result = run(schemagate({"--skip"}), options);
  CHECK(result.exit_code == 0);
  CHECK(lines_with(result.err, " WARN ").size() == 1);
  CHECK(contains(result.err, "done; no app to start status=skipped"));
  CHECK_FALSE(listener.was_contacted());
}

TEST_CASE("permissive mode starts the app degraded when the database is unreachable") {
  for (bool by_flag : {true, false}) {
    CAPTURE(by_flag);
    ClosedPort closed;
    RunOptions options = gate_options();
    options.env = {
        {"DATABASE_URL", closed.url()}, {"DB_MAX_RETRIES", "2"}, {"DB_RETRY_INTERVAL", "0.1"}};
    if (!by_flag) options.env["FAIL_ON_MIGRATION_ERROR"] = "false";
    std::vector<std::string> flags;
    if (by_flag) flags.push_back("--permissive");
    RunResult result = run(
        gate_then(flags, {"/bin/sh", "-c", "echo \"status=$SCHEMAGATE_STATUS\"; exit 5"}), options);
    CHECK(result.exit_code == 5);
    CHECK(result.out == "status=degraded\n");
    CHECK(lines_with(result.err, " WARN  attempt ").size() == 2);
    CHECK(contains(error_line(result), "not ready after 2 attempts"));
    std::string source = by_flag ? "flag --permissive" : "environment FAIL_ON_MIGRATION_ERROR";
    CHECK(contains(result.err,
                   " WARN  starting degraded: FAIL_ON_MIGRATION_ERROR=false (" + source + ")"));
    CHECK(contains(result.err, "starting app app=/bin/sh status=degraded"));
  }
}

TEST_CASE("permissive mode starts the app degraded when a critical table is missing") {
  RunOptions options = ready_database();
  options.env["CRITICAL_TABLES"] = "no_such_table";
  options.env["FAIL_ON_MIGRATION_ERROR"] = "false";
  RunResult result = run(gate_then({}, kPrintStatus), options);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "status=degraded\n");
  CHECK(contains(result.err, " ERROR critical table missing: no_such_table"));
  CHECK(contains(result.err, "starting degraded"));
}

TEST_CASE("permissive mode without an app exits 0 on failure") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", closed.url()}, {"DB_MAX_RETRIES", "1"}};
  RunResult result = run(schemagate({"--permissive"}), options);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "done; no app to start status=degraded"));

  RunOptions missing = ready_database();
  missing.env["CRITICAL_TABLES"] = "no_such_table";
  RunResult verify_failed = run(schemagate({"--permissive"}), missing);
  CHECK(verify_failed.exit_code == 0);
  CHECK(contains(verify_failed.err, "done; no app to start status=degraded"));
}

TEST_CASE("permissive mode is ok when nothing fails") {
  RunOptions options = ready_database();
  options.env["CRITICAL_TABLES"] = "pg_class";
  RunResult result = run(gate_then({"--permissive"}, kPrintStatus), options);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "status=ok\n");
  CHECK_FALSE(contains(result.err, " ERROR "));
  CHECK_FALSE(contains(result.err, " WARN "));
}

TEST_CASE("permissive mode does not excuse configuration errors") {
  struct Case {
    std::string name;
    std::map<std::string, std::string> env;
    std::string message;
  };
  ClosedPort closed;
  for (const Case& c : {Case{"bad retry count",
                             {{"DB_MAX_RETRIES", "abc"}},
                             "DB_MAX_RETRIES=\"abc\" (environment): not a non-negative integer"},
                        Case{"bad sslmode",
                             {{"DATABASE_URL", closed.url("db") + "?sslmode=bogus"}},
                             "sslmode \"bogus\""},
                        Case{"unparsable conninfo",
                             {{"DATABASE_URL", "host=127.0.0.1 no_such_option=1"}},
                             "no_such_option"}}) {
    CAPTURE(c.name);
    RunOptions options = gate_options();
    options.env = c.env;
    if (!options.env.contains("DATABASE_URL")) options.env["DATABASE_URL"] = closed.url();
    options.env["FAIL_ON_MIGRATION_ERROR"] = "false";
    RunResult result = run(gate_then({}, kPrintStatus), options);
    CHECK(result.exit_code == 78);
    CHECK(result.out == "");
    CHECK(contains(result.err, c.message));
    CHECK_FALSE(contains(result.err, "starting app"));
    CHECK_FALSE(contains(result.err, "attempt"));

    RunResult flag = run(gate_then({"--permissive"}, kPrintStatus), options);
    CHECK(flag.exit_code == 78);
    CHECK(flag.out == "");
  }
}

// A runtime or a shell (`1>&- 2>&-`) may start schemagate without its standard descriptors. The
// first descriptors it opens would then take their numbers: a log line written to "stderr" would
// go into the signalfd or the database connection.
TEST_CASE(
    "started with standard descriptors closed, the run migrates and starts the app with /dev/null on them") {
  for (const std::vector<int>& closed :
       {std::vector<int>{1, 2}, std::vector<int>{0, 2}, std::vector<int>{0, 1, 2}}) {
    std::string which;
    for (int fd : closed) which += std::to_string(fd) + "<&- ";
    CAPTURE(which);
    Project p;
    p.write("1_a.sql", migration("create table a (x int);"));
    TempDir aux("fds");
    RunOptions options = p.options();
    options.closed_fds = closed;
    // What the app's shell has on its descriptors 0-2, written to a file: stdout may be closed.
    // Read before any redirection, which sh may apply to itself when it execs the last command.
    const std::string show =
        "a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1); c=$(readlink /proc/$$/fd/2); "
        "printf '%s\\n' \"$a\" \"$b\" \"$c\" > " +
        aux.file("fds");
    RunResult result = run(gate_then({}, {"/bin/sh", "-c", show}), options);
    CHECK(result.exit_code == 0);
    CHECK(p.versions() == "1");
    std::vector<std::string> targets = lines_of(aux.read("fds"));
    REQUIRE(targets.size() == 3);
    for (int fd : closed) CHECK(targets[static_cast<size_t>(fd)] == "/dev/null");
  }
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
