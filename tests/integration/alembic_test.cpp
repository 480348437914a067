// Issue 5, Alembic projects: schemagate runs Debian's real `alembic upgrade head` as its migrate
// command (MIGRATE_COMMAND) in a copy of the fixture project (tests/fixtures/alembic), and reads
// the revision files itself, without Python, for the restart path, check-only mode, --await and
// `status`. Every case checks the exit code, the log, and alembic_version and the tables after.
// The project, a copy of the fixture with a database of its own: tests/support/alembic_project.h.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/alembic_project.h"
#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/workdir_project.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("alembic");

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The fixture's revisions, oldest first: 1 creates upgrade_log (each revision logs itself there),
// 2 creates users, 3 inserts the admin user.
const std::string kRev1 = "1a2b3c4d5e6f";
const std::string kRev2 = "2b3c4d5e6f70";
const std::string kHead = "3c4d5e6f7081";
// In extra/, copied in by the cases that want them: a revision that fails (after kHead), a second
// head (after kRev2), and the merge of the two heads.
const std::string kFails = "4d5e6f708192";
const std::string kSecondHead = "5e6f708192a3";
const std::string kMerge = "6f708192a3b4";

const std::vector<std::string> kApp = {"--", "sh", "-c", "echo \"app started $SCHEMAGATE_STATUS\""};

// Alembic's own log line for running `revision`, as schemagate's log carries it.
std::string running_upgrade(const std::string& from, const std::string& to) {
  return "INFO  [alembic.runtime.migration] Running upgrade " + from + " -> " + to + ", ";
}

int count_with(const std::vector<RunResult>& results, const std::string& needle) {
  int n = 0;
  for (const auto& r : results) n += static_cast<int>(lines_with(r.err, needle).size());
  return n;
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("a first start runs alembic upgrade head; the next start does not run alembic at all") {
  AlembicProject a;
  std::vector<std::string> args = {"--status-file", a.path() + "/status.json"};
  args.insert(args.end(), kApp.begin(), kApp.end());

  RunResult first = a.run(args);
  CAPTURE(first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out == "app started ok\n");
  CHECK_FALSE(contains(first.err, " ERROR "));
  CHECK(
      lines_with(first.err, " INFO  running the migrate command: alembic upgrade head attempt=1/4").size() ==
      1);
  // Alembic's log, streamed into schemagate's line by line.
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"", kRev1}, {kRev1, kRev2}, {kRev2, kHead}}) {
    auto lines = lines_with(first.err, running_upgrade(from, to));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].ends_with(" command=alembic stream=stderr"));
  }
  CHECK(lines_with(first.err, " INFO  migrate command done total=").size() == 1);
  CHECK(a.version() == kHead);
  CHECK(a.upgrades() == kRev1 + "," + kRev2 + "," + kHead);
  CHECK(a.project().psql("select id, email from users") == "1|admin@example.com");
  CHECK(a.alembic_current() == kHead);
  CHECK(a.project().advisory_locks() == 0);
  CHECK(read_text_file(a.path() + "/status.json").starts_with("{\"status\":\"ok\",\"time\":\""));
  CHECK(contains(
      read_text_file(a.path() + "/status.json"),
      "\"current_version\":\"" + kHead + "\",\"pending\":[],\"preflight\":[],\"error\":null,\"timings_ms\":{\"wait\":"));

  RunResult second = a.run(kApp);
  CAPTURE(second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.out == "app started ok\n");
  CHECK_FALSE(contains(second.err, "running the migrate command"));
  CHECK_FALSE(contains(second.err, "alembic.runtime"));
  CHECK(lines_with(second.err, " INFO  database is up to date alembic_head=" + kHead).size() == 1);
  CHECK(a.upgrades() == kRev1 + "," + kRev2 + "," + kHead);
  CHECK(a.version() == kHead);
}

TEST_CASE("eight starts at once with pending revisions: alembic runs once, every start starts its app") {
  AlembicProject a;
  // The command holds still until the test lets it go, so all eight are under way while the first
  // to take the lock is inside it. (A script file rather than `sh -c '...'`: see the report on
  // `-c` in MIGRATE_COMMAND hiding alembic.ini.)
  write_text_file(a.path() + "/gated-upgrade.sh",
                  "n=0; until [ -f go ] || [ $n -ge 1200 ]; do sleep 0.05; n=$((n + 1)); done\n"
                  "exec alembic upgrade head\n");
  std::vector<Child> starts;
  for (int i = 0; i < 8; ++i) starts.push_back(a.spawn(kApp, {{"MIGRATE_COMMAND", "sh gated-upgrade.sh"}}));

  int inside = -1;
  REQUIRE(wait_until(
      [&] {
        for (int i = 0; i < 8 && inside < 0; ++i)
          if (starts[i].wait_for_stderr(" INFO  running the migrate command: ", 20ms)) inside = i;
        return inside >= 0;
      },
      30s));
  int waiting = 0;
  for (int i = 0; i < 8; ++i)
    if (i != inside && starts[i].wait_for_stderr(" INFO  waiting for the migration lock, held by pid ", 30s))
      ++waiting;
  CHECK(waiting == 7);
  CHECK(a.version() == "-");
  fs::path go = fs::path(a.path()) / "go";
  write_text_file(go.string(), "");

  std::vector<RunResult> results;
  for (auto& start : starts) results.push_back(start.finish());
  for (const auto& r : results) {
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "app started ok\n");
    CHECK_FALSE(contains(r.err, " ERROR "));
  }
  CHECK(count_with(results, " INFO  running the migrate command: ") == 1);
  CHECK(count_with(results, running_upgrade("", kRev1)) == 1);
  CHECK(count_with(results, " INFO  database is up to date: another runner applied the migrations") == 7);
  // Each revision ran exactly once: a second run would have failed (create table) or logged twice.
  CHECK(a.upgrades() == kRev1 + "," + kRev2 + "," + kHead);
  CHECK(a.project().psql("select count(*) from users") == "1");
  CHECK(a.version() == kHead);
  CHECK(a.project().advisory_locks() == 0);
}

TEST_CASE("a failing revision exits 1 and the app is not started; the revisions before it stay applied") {
  AlembicProject a;
  a.add_revision(kFails + "_fails.py");
  RunResult result = a.run(kApp, {{"MIGRATION_RETRY_ATTEMPTS", "1"}, {"MIGRATION_RETRY_DELAY_SECONDS", "0"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.out == "");
  CHECK_FALSE(contains(result.err, "starting app"));
  CHECK(lines_with(result.err, " INFO  running the migrate command: alembic upgrade head attempt=").size() ==
        2);
  // The second attempt picks up where the first stopped (each revision commits on its own).
  CHECK(lines_with(result.err, running_upgrade("", kRev1)).size() == 1);
  CHECK(lines_with(result.err, running_upgrade(kHead, kFails)).size() == 2);
  CHECK_FALSE(lines_with(result.err, "division by zero").empty());
  CHECK(error_line(result).ends_with(
      " ERROR the migrate command `alembic upgrade head` exited 1 (attempt 2/2)"));
  CHECK(a.version() == kHead);
  CHECK(a.upgrades() == kRev1 + "," + kRev2 + "," + kHead);
  CHECK_FALSE(a.project().exists("never_committed"));
  CHECK(a.project().advisory_locks() == 0);

  RunResult status = a.run({"status"});
  CHECK(status.exit_code == 3);
  CHECK(status.out ==
        "alembic current: " + kHead + "\nalembic head:    " + kFails + "\npending: " + kFails + "\n");
}

TEST_CASE("status agrees with alembic current: exit 3 while behind, 0 when at head") {
  AlembicProject a;
  RunResult fresh = a.run({"status"});
  CAPTURE(fresh.err);
  CHECK(fresh.exit_code == 3);
  CHECK(fresh.out == "alembic current: (none)\nalembic head:    " + kHead + "\npending: " + kRev1 + " " +
                         kRev2 + " " + kHead + "\n");
  CHECK(a.alembic_current() == "");
  CHECK_FALSE(contains(fresh.err, "running the migrate command"));
  CHECK(a.version() == "-");  // status only reads

  a.alembic({"upgrade", kRev2});
  RunResult behind = a.run({"status"});
  CAPTURE(behind.err);
  CHECK(behind.exit_code == 3);
  CHECK(a.alembic_current() == kRev2);
  CHECK(behind.out == "alembic current: " + a.alembic_current() + "\nalembic head:    " + kHead +
                          "\npending: " + kHead + "\n");
  RunResult json = a.run({"status", "--json"});
  CHECK(json.exit_code == 3);
  CHECK(json.out == "{\"alembic\":{\"current\":[\"" + kRev2 + "\"],\"heads\":[\"" + kHead +
                        "\"],\"pending\":[\"" + kHead + "\"]},\"problem\":null}\n");

  a.alembic({"upgrade", "head"});
  RunResult current = a.run({"status"});
  CAPTURE(current.err);
  CHECK(current.exit_code == 0);
  CHECK(a.alembic_current() == kHead);
  CHECK(current.out ==
        "alembic current: " + a.alembic_current() + "\nalembic head:    " + kHead + "\npending: none\n");
  CHECK(a.run({"status", "--json"}).out == "{\"alembic\":{\"current\":[\"" + kHead + "\"],\"heads\":[\"" +
                                               kHead + "\"],\"pending\":[]},\"problem\":null}\n");
}

TEST_CASE("check-only lists the pending revisions and exits 3 without running alembic") {
  AlembicProject a;
  RunResult fresh = a.run(kApp, {{"AUTO_MIGRATE_ON_STARTUP", "false"}});
  CAPTURE(fresh.err);
  CHECK(fresh.exit_code == 3);
  CHECK(fresh.out == "");
  CHECK_FALSE(contains(fresh.err, "running the migrate command"));
  CHECK(error_line(fresh).ends_with(" ERROR 3 pending Alembic revision(s): " + kRev1 + ", " + kRev2 + ", " +
                                    kHead +
                                    "; migrations.auto is off (environment AUTO_MIGRATE_ON_STARTUP)"));
  CHECK(a.version() == "-");
  CHECK(a.upgrades() == "-");

  a.alembic({"upgrade", kRev2});
  RunResult behind = a.run(kApp, {{"DISABLE_AUTO_MIGRATIONS", "true"}});
  CAPTURE(behind.err);
  CHECK(behind.exit_code == 3);
  CHECK(behind.out == "");
  CHECK(contains(error_line(behind),
                 " ERROR 1 pending Alembic revision(s): " + kHead + "; migrations.auto is off"));
  CHECK(a.version() == kRev2);

  // Permissive: the app starts, degraded.
  RunResult permissive =
      a.run(kApp, {{"AUTO_MIGRATE_ON_STARTUP", "false"}, {"FAIL_ON_MIGRATION_ERROR", "false"}});
  CAPTURE(permissive.err);
  CHECK(permissive.exit_code == 0);
  CHECK(permissive.out == "app started degraded\n");
  CHECK(a.version() == kRev2);

  a.alembic({"upgrade", "head"});
  RunResult current = a.run(kApp, {{"AUTO_MIGRATE_ON_STARTUP", "false"}});
  CAPTURE(current.err);
  CHECK(current.exit_code == 0);
  CHECK(current.out == "app started ok\n");
  CHECK(lines_with(current.err, " INFO  database is up to date alembic_head=" + kHead).size() == 1);
}

TEST_CASE("--await waits, read-only, until another runner has upgraded") {
  AlembicProject a;
  std::vector<std::string> args = {"--await"};
  args.insert(args.end(), kApp.begin(), kApp.end());
  Child awaiting = a.spawn(args, {{"MIGRATION_TIMEOUT_SECONDS", "60"}});
  REQUIRE_MESSAGE(
      awaiting.wait_for_stderr(
          " INFO  waiting for another runner to apply the pending Alembic revisions (MIGRATIONS_AWAIT)", 20s),
      awaiting.err());
  CHECK(a.version() == "-");
  CHECK(a.project().advisory_locks() == 0);  // read-only: it does not take the migration lock

  a.alembic({"upgrade", "head"});  // the other runner: a Job, another replica
  RunResult result = awaiting.finish();
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started ok\n");
  CHECK(contains(result.err, " INFO  migrations applied by another runner\n"));
  CHECK_FALSE(contains(result.err, "running the migrate command"));
  CHECK(a.upgrades() == kRev1 + "," + kRev2 + "," + kHead);
}

TEST_CASE("--await past the migration timeout exits 75 naming what is still pending") {
  AlembicProject a;
  a.alembic({"upgrade", kRev1});
  RunResult result = a.run(kApp, {{"MIGRATIONS_AWAIT", "true"}, {"MIGRATION_TIMEOUT_SECONDS", "1"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 75);
  CHECK(result.out == "");
  CHECK(result.seconds < 10);
  CHECK(error_line(result).ends_with(" ERROR timed out waiting for another runner; still pending: " + kRev2 +
                                     ", " + kHead));
  CHECK(a.version() == kRev1);
}

TEST_CASE("upgrade head with two heads is exit 65 naming both, as Alembic refuses; once merged it upgrades") {
  AlembicProject a;
  a.add_revision(kSecondHead + "_second_head.py");
  std::string heads = a.alembic({"heads"}).out;
  CHECK(contains(heads, kHead + " (head)"));
  CHECK(contains(heads, kSecondHead + " (head)"));

  const std::string several =
      " ERROR several Alembic heads: " + kHead + ", " + kSecondHead +
      "; `alembic upgrade head` refuses to choose between them (upgrade them all with "
      "`alembic upgrade heads`, or merge them with `alembic merge heads`)";
  RunResult result = a.run(kApp);
  CAPTURE(result.err);
  CHECK(result.exit_code == 65);
  CHECK(result.out == "");
  CHECK(error_line(result).ends_with(several));
  CHECK_FALSE(contains(result.err, "running the migrate command"));
  CHECK(a.version() == "-");
  // Alembic itself refuses the same.
  RunResult refused = a.alembic_may_fail({"upgrade", "head"});
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.err, "Multiple head revisions are present for given argument 'head'"));

  RunResult check_only = a.run(kApp, {{"AUTO_MIGRATE_ON_STARTUP", "false"}});
  CHECK(check_only.exit_code == 65);
  CHECK(error_line(check_only).ends_with(several));
  RunResult status = a.run({"status"});
  CHECK(status.exit_code == 65);
  CHECK(contains(status.out, "alembic head:    " + kHead + " " + kSecondHead + "\n"));

  a.add_revision(kMerge + "_merge_heads.py");
  RunResult merged = a.run(kApp);
  CAPTURE(merged.err);
  CHECK(merged.exit_code == 0);
  CHECK(merged.out == "app started ok\n");
  CHECK(a.version() == kMerge);
  CHECK(a.alembic_current() == kMerge);
  CHECK(a.project().exists("branch_table"));
  RunResult after = a.run({"status"});
  CHECK(after.exit_code == 0);
  CHECK(after.out == "alembic current: " + kMerge + "\nalembic head:    " + kMerge + "\npending: none\n");
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
