// Issue 5, external command mode: MIGRATE_COMMAND (`--migrate-command`, `migrations.command`) runs
// as the migrate step. Each case runs the built binary against a real server and checks the exit
// code, what reached the log, what the command saw, and what the database and the process table
// hold afterwards.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support/canary.h"
#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/text.h"
#include "support/workdir_project.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("command");

using namespace std::chrono_literals;

// A command case's project: its scripts, the files they leave and a schemagate.toml go in the
// working directory, and its runs take Project's environment unchanged.
class CommandProject : public WorkdirProject {
 public:
  CommandProject() : WorkdirProject("cmd") {}
};

// The scripts below that wait for the test give up after a minute: a command outlives a
// schemagate killed by a failing test (it has a process group of its own) and must not linger.

// The log line a line of the command's output becomes (text format, without the timestamp).
std::string output_line(const std::string& text, const std::string& command, const std::string& stream) {
  return " INFO  " + text + " command=" + command + " stream=" + stream;
}

// Whether `pid` is a live process (a zombie, left unreaped by an init that does not reap, is not).
bool is_alive(const std::string& pid) {
  std::string stat = read_text_file("/proc/" + pid + "/stat");
  if (stat.empty()) return false;
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// ---------------------------------------------------------------------------------------------
// argv, environment, output

TEST_CASE("the migrate command runs as argv: no shell expands, splits or redirects anything") {
  CommandProject c;
  c.write("only-file", "");  // what a shell would expand * to
  RunResult result =
      c.run({"--", "sh", "-c", "echo app started"},
            {{"MIGRATE_COMMAND", R"(printf '%s\n' 'a b' '$HOME' $HOME '*' * '>out' >out2 ';' |)"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started\n");
  CHECK(contains(result.err,
                 R"( INFO  running the migrate command: printf %s\n a b $HOME $HOME * * >out >out2 ; | )"
                 "attempt=1/4\n"));
  CHECK(
      in_order(result.err, {output_line("a b", "printf", "stdout"), output_line("$HOME", "printf", "stdout"),
                            output_line("$HOME", "printf", "stdout"), output_line("*", "printf", "stdout"),
                            output_line("*", "printf", "stdout"), output_line(">out", "printf", "stdout"),
                            output_line(">out2", "printf", "stdout"), output_line(";", "printf", "stdout"),
                            output_line("|", "printf", "stdout"),
                            " INFO  migrate command done total=", " INFO  starting app app=sh status=ok"}));
  CHECK(lines_with(result.err, " command=printf stream=stdout").size() == 9);
  // Nothing expanded the variable or the glob, and nothing redirected.
  const char* home = std::getenv("HOME");
  CHECK_FALSE(contains(result.err, output_line(home != nullptr ? home : "/", "printf", "stdout")));
  CHECK_FALSE(contains(result.err, "only-file"));
  CHECK(c.work().names() == std::vector<std::string>{"only-file"});
}

TEST_CASE("quotes and backslashes in MIGRATE_COMMAND group words as a shell would, without running one") {
  CommandProject c;
  // The shell here is one the user wrote: it prints the words it was given, one per line.
  RunResult result = c.run(
      {},
      {{"MIGRATE_COMMAND",
        R"(sh -c 'printf "[%s]\n" "$@"' argv0 'single  quoted' "double \"quoted\" \$x" back\ slash e'mb'"ed"ded '')"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(in_order(result.err, {output_line("[single  quoted]", "sh", "stdout"),
                              output_line("[double \"quoted\" $x]", "sh", "stdout"),
                              output_line("[back slash]", "sh", "stdout"),
                              output_line("[embedded]", "sh", "stdout"), output_line("[]", "sh", "stdout")}));
  CHECK(lines_with(result.err, " command=sh stream=stdout").size() == 5);
}

TEST_CASE("the migrate command gets DATABASE_URL: the database schemagate connects to") {
  CommandProject c;
  const std::string url = c.project().cluster().url(c.project().db());
  // Compared inside the command, so the URL (and its password) is never printed.
  const std::string compare =
      R"(sh -c 'if [ "$DATABASE_URL" = "$EXPECTED_URL" ]; then echo DATABASE_URL matches; )"
      R"(elif [ -z "${DATABASE_URL+set}" ]; then echo DATABASE_URL unset; else echo DATABASE_URL differs; fi')";
  const std::string matches = output_line("DATABASE_URL matches", "sh", "stdout");

  SUBCASE("from DATABASE_URL") {
    RunResult result = c.run({}, {{"MIGRATE_COMMAND", compare}, {"EXPECTED_URL", url}});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, matches));
  }
  SUBCASE("from --database-url, over a DATABASE_URL that points elsewhere") {
    ClosedPort nowhere;
    RunResult result =
        c.run({"--database-url", url},
              {{"MIGRATE_COMMAND", compare}, {"EXPECTED_URL", url}, {"DATABASE_URL", nowhere.url()}});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, matches));
  }
  SUBCASE("from DATABASE_URL_FILE, without the file's newline") {
    std::string secret = c.write("database-url", url + "\n");
    RunOptions options =
        c.options({{"MIGRATE_COMMAND", compare}, {"EXPECTED_URL", url}, {"DATABASE_URL_FILE", secret}});
    options.env.erase("DATABASE_URL");
    RunResult result = testing::run(schemagate({}), options);
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, matches));
  }
  SUBCASE("the command connects with it") {
    RunResult result = c.run({}, {{"MIGRATE_COMMAND",
                                   "sh -c '\"$PSQL\" -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -c "
                                   "\"create table made_by_the_command (x int)\"'"},
                                  {"PSQL", kPsql}});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(c.project().exists("made_by_the_command"));
  }
}

TEST_CASE("the command's output reaches the log line by line as it is printed, passwords masked") {
  CommandProject c;
  c.project().cluster().create_role("command_canary", kCanaryPassword);
  const std::string url = c.project().cluster().url(c.project().db(), "command_canary");
  c.write("stream.sh",
          "echo \"connecting to $DATABASE_URL\"\n"
          "printf 'the password is %s\\n' \"$RAW_PASSWORD\"\n"
          "echo first\n"
          "n=0; until [ -f \"$GO\" ] || [ $n -ge 1200 ]; do sleep 0.05; n=$((n + 1)); done\n"
          "echo second >&2\n"
          "printf 'a last line without a newline'\n");
  Child gate = c.spawn({}, {{"DATABASE_URL", url},
                            {"MIGRATE_COMMAND", "sh stream.sh"},
                            {"RAW_PASSWORD", kCanaryPassword},
                            {"GO", c.file("go")}});
  // The command is still running, stopped until the test lets it go: what it printed so far is
  // already in the log.
  REQUIRE_MESSAGE(gate.wait_for_stderr(output_line("first", "sh", "stdout"), 20s), gate.err());
  CHECK_FALSE(contains(gate.err(), "second"));
  c.write("go", "");
  RunResult result = gate.finish();
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(in_order(
      result.err,
      {output_line("connecting to postgresql://command_canary:****@127.0.0.1:" +
                       std::to_string(c.project().cluster().port()) + "/" + c.project().db(),
                   "sh", "stdout"),
       output_line("the password is ****", "sh", "stdout"), output_line("first", "sh", "stdout"),
       output_line("second", "sh", "stderr"), output_line("a last line without a newline", "sh", "stdout"),
       " INFO  migrate command done "}));
  CHECK(canary_leaks(result.err).empty());
  CHECK(canary_leaks(result.out).empty());
}

TEST_CASE("in JSON logs each line of the command's output is a message naming the command and stream") {
  CommandProject c;
  RunResult result = c.run({}, {{"MIGRATE_COMMAND", "sh -c 'echo \"to \\\"stdout\\\"\"; echo to stderr >&2'"},
                                {"LOG_FORMAT", "json"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(
      result.err,
      ",\"level\":\"info\",\"msg\":\"to \\\"stdout\\\"\",\"command\":\"sh\",\"stream\":\"stdout\"}\n"));
  CHECK(contains(result.err,
                 ",\"level\":\"info\",\"msg\":\"to stderr\",\"command\":\"sh\",\"stream\":\"stderr\"}\n"));
}

// ---------------------------------------------------------------------------------------------
// The lock

TEST_CASE("the migrate command runs under the advisory lock: two starts never run it at once") {
  CommandProject c;
  const Project& p = c.project();
  p.psql("create table runs (runner text primary key, entered timestamptz not null, left_at timestamptz)");
  c.write("locked.sh",
          "set -e\n"
          "\"$PSQL\" -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -c "
          "\"insert into runs (runner, entered) values ('$RUNNER', clock_timestamp())\"\n"
          "echo \"$RUNNER entered\"\n"
          "n=0; until [ -f \"$GO\" ] || [ $n -ge 1200 ]; do sleep 0.05; n=$((n + 1)); done\n"
          "\"$PSQL\" -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -c "
          "\"update runs set left_at = clock_timestamp() where runner = '$RUNNER'\"\n");
  std::map<std::string, std::string> env{
      {"MIGRATE_COMMAND", "sh locked.sh"}, {"PSQL", kPsql}, {"GO", c.file("go")}};
  env["RUNNER"] = "a";
  Child a = c.spawn({"--", "sh", "-c", "echo a started"}, env);
  env["RUNNER"] = "b";
  Child b = c.spawn({"--", "sh", "-c", "echo b started"}, env);

  // One of them is inside the command; the other waits for the lock and does not enter.
  REQUIRE(wait_until([&] { return p.psql("select count(*) from runs") == "1"; }, 20s));
  std::string inside = p.psql("select runner from runs");
  Child& waiter = inside == "a" ? b : a;
  REQUIRE_MESSAGE(waiter.wait_for_stderr(" INFO  waiting for the migration lock, held by pid ", 20s),
                  waiter.err());
  CHECK_FALSE(contains(waiter.err(), "running the migrate command"));
  CHECK(p.psql("select count(*) from runs") == "1");
  CHECK(
      p.psql(
          "select count(*) from pg_locks l join pg_stat_activity a using (pid) where l.locktype = 'advisory' "
          "and l.granted and a.application_name = 'schemagate' and a.datname = current_database()") == "1");

  c.write("go", "");
  RunResult done_a = a.finish();
  RunResult done_b = b.finish();
  CAPTURE(done_a.err);
  CAPTURE(done_b.err);
  CHECK(done_a.exit_code == 0);
  CHECK(done_b.exit_code == 0);
  CHECK(done_a.out == "a started\n");
  CHECK(done_b.out == "b started\n");
  // Without Alembic there is no telling whether the command has anything left to do: each start
  // runs it, one after the other.
  CHECK(lines_with(done_a.err, "running the migrate command").size() == 1);
  CHECK(lines_with(done_b.err, "running the migrate command").size() == 1);
  CHECK(p.psql("select count(*), count(left_at) from runs") == "2|2");
  CHECK(p.psql("select count(*) from runs r1 join runs r2 on r1.runner < r2.runner "
               "where r1.entered < r2.left_at and r2.entered < r1.left_at") == "0");
  CHECK(p.advisory_locks() == 0);
}

// ---------------------------------------------------------------------------------------------
// Failure, time, signals

TEST_CASE("a failing command is tried MIGRATION_RETRY_ATTEMPTS more times, then exit 1 without the app") {
  CommandProject c;
  c.write("fail.sh", "echo attempt >> \"$COUNT\"\necho 'failing on purpose' >&2\nexit 3\n");
  RunResult result = c.run({"--", "sh", "-c", "echo app started"}, {{"MIGRATE_COMMAND", "sh fail.sh"},
                                                                    {"COUNT", c.file("count")},
                                                                    {"MIGRATION_RETRY_ATTEMPTS", "2"},
                                                                    {"MIGRATION_RETRY_DELAY_SECONDS", "0"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.out == "");
  CHECK_FALSE(contains(result.err, "starting app"));
  CHECK(c.work().read("count") == "attempt\nattempt\nattempt\n");
  auto running = lines_with(result.err, " INFO  running the migrate command: sh fail.sh ");
  REQUIRE(running.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(running[i].ends_with(" attempt=" + std::to_string(i + 1) + "/3"));
  CHECK(lines_with(result.err, output_line("failing on purpose", "sh", "stderr")).size() == 3);
  auto retries =
      lines_with(result.err, " WARN  the migrate command `sh fail.sh` exited 3; trying again attempt=");
  CHECK(retries.size() == 2);
  CHECK(error_line(result).ends_with(" ERROR the migrate command `sh fail.sh` exited 3 (attempt 3/3)"));
  CHECK(c.project().advisory_locks() == 0);
}

TEST_CASE("a command that fails once and then succeeds starts the app") {
  CommandProject c;
  c.write("flaky.sh",
          "if [ ! -f \"$SEEN\" ]; then touch \"$SEEN\"; echo 'not yet' >&2; exit 1; fi\necho done\n");
  RunResult result = c.run({"--", "sh", "-c", "echo app started"}, {{"MIGRATE_COMMAND", "sh flaky.sh"},
                                                                    {"SEEN", c.file("seen")},
                                                                    {"MIGRATION_RETRY_ATTEMPTS", "3"},
                                                                    {"MIGRATION_RETRY_DELAY_SECONDS", "0"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started\n");
  CHECK(lines_with(result.err, " INFO  running the migrate command: ").size() == 2);
  CHECK(in_order(result.err, {output_line("not yet", "sh", "stderr"),
                              " WARN  the migrate command `sh flaky.sh` exited 1; trying again attempt=1/4",
                              output_line("done", "sh", "stdout"), " INFO  migrate command done ",
                              " INFO  starting app app=sh status=ok"}));
  CHECK_FALSE(contains(result.err, " ERROR "));
}

TEST_CASE("past MIGRATION_TIMEOUT_SECONDS the command's whole process group is stopped: exit 75") {
  CommandProject c;
  // A grandchild in the background, as a wrapper script that starts a helper would leave.
  c.write("slow.sh",
          "echo $$ > shell.pid\n"
          "sleep 300 &\n"
          "echo $! > grandchild.pid\n"
          "echo 'background started'\n"
          "wait\n");
  RunResult result = c.run({"--", "sh", "-c", "echo app started"}, {{"MIGRATE_COMMAND", "sh slow.sh"},
                                                                    {"MIGRATION_TIMEOUT_SECONDS", "1"},
                                                                    {"MIGRATION_RETRY_DELAY_SECONDS", "0"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 75);
  CHECK(result.seconds < 10);
  CHECK(result.out == "");
  CHECK(contains(result.err, output_line("background started", "sh", "stdout")));
  // No retry once the budget is spent.
  CHECK(lines_with(result.err, " INFO  running the migrate command: ").size() == 1);
  CHECK(error_line(result).ends_with(
      " ERROR migrate command: out of time: stopped \"sh\" and its process group"));
  std::string shell = trimmed(c.work().read("shell.pid"));
  std::string grandchild = trimmed(c.work().read("grandchild.pid"));
  REQUIRE_FALSE(shell.empty());
  REQUIRE_FALSE(grandchild.empty());
  CHECK(wait_until([&] { return !is_alive(shell) && !is_alive(grandchild); }, 5s));
  CHECK(c.project().advisory_locks() == 0);
}

TEST_CASE("SIGTERM to schemagate reaches the command, which is waited for: exit 143") {
  CommandProject c;
  c.write("trap.sh",
          "trap 'echo \"got TERM\"; touch \"$MARK\"; exit 0' TERM\n"
          "echo ready\n"
          "n=0; while [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done\n");
  Child gate = c.spawn({"--", "sh", "-c", "echo app started"},
                       {{"MIGRATE_COMMAND", "sh trap.sh"}, {"MARK", c.file("terminated")}});
  REQUIRE_MESSAGE(gate.wait_for_stderr(output_line("ready", "sh", "stdout"), 20s), gate.err());
  CHECK_FALSE(c.has("terminated"));
  gate.signal(SIGTERM);  // to schemagate alone, as a container runtime does; the command has its own group
  RunResult result = gate.finish();
  CAPTURE(result.err);
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(result.seconds < 10);
  CHECK(result.out == "");
  CHECK(c.has("terminated"));
  CHECK(
      in_order(result.err, {output_line("ready", "sh", "stdout"), output_line("got TERM", "sh", "stdout")}));
  CHECK(lines_with(result.err, " INFO  running the migrate command: ").size() == 1);
  CHECK_FALSE(contains(result.err, "starting app"));
  CHECK(wait_until([&] { return c.project().backends("application_name = 'schemagate'") == 0; }, 10s));
  CHECK(c.project().advisory_locks() == 0);
}

TEST_CASE("a migrate command that cannot be started is exit 1 with the reason, not retried") {
  CommandProject c;
  SUBCASE("not found") {
    RunResult result = c.run({"--", "sh", "-c", "echo app started"},
                             {{"MIGRATE_COMMAND", "schemagate-no-such-migrate-tool upgrade head"},
                              {"MIGRATION_RETRY_DELAY_SECONDS", "0"}});
    CAPTURE(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out == "");
    CHECK(lines_with(result.err, " INFO  running the migrate command: ").size() == 1);
    CHECK(
        error_line(result).ends_with(" ERROR migrate command: cannot start "
                                     "\"schemagate-no-such-migrate-tool\": No such file or directory"));
  }
  SUBCASE("not executable") {
    c.write("migrate.sh", "#!/bin/sh\necho never\n");
    RunResult result = c.run({"--", "sh", "-c", "echo app started"},
                             {{"MIGRATE_COMMAND", "./migrate.sh"}, {"MIGRATION_RETRY_DELAY_SECONDS", "0"}});
    CAPTURE(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out == "");
    CHECK(lines_with(result.err, " INFO  running the migrate command: ").size() == 1);
    CHECK(error_line(result).ends_with(
        " ERROR migrate command: cannot start \"./migrate.sh\": Permission denied"));
  }
  CHECK(c.project().advisory_locks() == 0);
}

// ---------------------------------------------------------------------------------------------
// Settings

TEST_CASE("migrations.command in schemagate.toml, MIGRATE_COMMAND over it, --migrate-command over both") {
  CommandProject c;
  c.write("schemagate.toml", "[migrations]\ncommand = \"echo 'from the toml file'\"\n");
  RunOptions options = c.options();
  options.env.erase("MIGRATE_COMMAND");

  RunResult toml = testing::run(schemagate({}), options);
  CAPTURE(toml.err);
  CHECK(toml.exit_code == 0);
  CHECK(contains(toml.err, output_line("from the toml file", "echo", "stdout")));

  options.env["MIGRATE_COMMAND"] = "echo from-the-environment";
  RunResult env = testing::run(schemagate({}), options);
  CAPTURE(env.err);
  CHECK(env.exit_code == 0);
  CHECK(contains(env.err, output_line("from-the-environment", "echo", "stdout")));
  CHECK_FALSE(contains(env.err, "from the toml file"));

  RunResult flag = testing::run(schemagate({"--migrate-command", "printf '%s\\n' 'from the flag'"}), options);
  CAPTURE(flag.err);
  CHECK(flag.exit_code == 0);
  CHECK(contains(flag.err, output_line("from the flag", "printf", "stdout")));
  CHECK(lines_with(flag.err, " command=").size() == 1);
  CHECK(lines_with(flag.err, " INFO  running the migrate command: printf %s\\n from the flag attempt=1/4")
            .size() == 1);

  RunResult up = testing::run(schemagate({"up", "--migrate-command=echo from up"}), options);
  CAPTURE(up.err);
  CHECK(up.exit_code == 0);
  CHECK(contains(up.err, output_line("from up", "echo", "stdout")));
}

TEST_CASE("with MIGRATE_COMMAND the SQL migrations are not read: a file schemagate could not parse stops nothing") {
  CommandProject c;
  // No -- migrate:up marker: read as a schemagate migration, this is exit 65.
  c.project().write("1_setup.sql", "create table t (a int);\n");
  RunResult result = c.run({}, {{"MIGRATE_COMMAND", "true"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, " INFO  migrate command done total="));
  CHECK_FALSE(contains(result.err, "1_setup.sql"));
}

TEST_CASE("with a plain command, check-only does not run it and --await is a configuration error") {
  CommandProject c;
  std::map<std::string, std::string> env{{"MIGRATE_COMMAND", "touch ran"}};
  SUBCASE("check-only") {
    env["AUTO_MIGRATE_ON_STARTUP"] = "false";
    RunResult result = c.run({"--", "sh", "-c", "echo app started"}, env);
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "app started\n");
    CHECK(contains(result.err,
                   " WARN  check-only mode: what the migrate command would apply cannot be known "
                   "without running it; not run\n"));
    CHECK_FALSE(contains(result.err, "running the migrate command"));
  }
  SUBCASE("--await") {
    RunResult result = c.run({"--await", "--", "sh", "-c", "echo app started"}, env);
    CAPTURE(result.err);
    CHECK(result.exit_code == 78);
    CHECK(result.out == "");
    CHECK(contains(error_line(result),
                   " ERROR --await needs SQL migrations or an Alembic project (alembic.ini)"));
  }
  CHECK_FALSE(c.has("ran"));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
