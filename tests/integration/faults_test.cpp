// SPEC §1 steps 3-6 under faults the runner has no say in: a runner SIGKILLed at random moments
// (no handler runs, so what is shown is what the server is left with, as after a crash), the
// server stopped mid-apply or late to start, the network cut, stalled or slowed by a proxy, a host
// list whose first host hangs, and a table held locked past lock_timeout. After every fault the
// database must be consistent, judged from the schema and not only from the tracking table: a
// recorded version is fully applied, nothing is applied but unrecorded, at most one migration is
// left dirty and only a non-transactional one, and no session or advisory lock of the runner
// outlives it. The signals schemagate handles mid-statement are in signals_test.cpp, many runners
// at once in race_test.cpp.
//
// Random choices come from one seed, printed with MESSAGE; SCHEMAGATE_FAULT_SEED=<n> replays it.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/tcp_proxy.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("faults");

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The seed for this process's random choices: SCHEMAGATE_FAULT_SEED, else a fresh one.
std::uint64_t fault_seed() {
  static const std::uint64_t seed = [] {
    const char* given = std::getenv("SCHEMAGATE_FAULT_SEED");
    if (given != nullptr && *given) return static_cast<std::uint64_t>(std::stoull(given));
    std::random_device random;
    return (static_cast<std::uint64_t>(random()) << 32) | random();
  }();
  return seed;
}

// Whether the child has exited, without reaping it (finish() still collects it).
bool has_exited(const Child& child) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == child.pid();
}

// The project's DATABASE_URL, but through 127.0.0.1:port (a proxy) instead of the server's port.
std::string url_via(const Project& p, int port) {
  std::string url = p.cluster().url(p.db());
  std::string server = ":" + std::to_string(p.cluster().port()) + "/";
  size_t at = url.rfind(server);
  REQUIRE(at != std::string::npos);
  return url.replace(at, server.size(), ":" + std::to_string(port) + "/");
}

// ---------------------------------------------------------------------------------------------
// SIGKILL at random moments

constexpr int kKillMigrations = 200;
constexpr int kKills = 30;

// Every 20th migration builds an index concurrently, outside a transaction; the others create
// table f_NNN and log themselves in fault.applied_log. Each first bumps fault.ticks, a sequence,
// which other sessions see at once even inside an uncommitted batch: the test's clock for
// choosing a moment to kill. Each also sleeps a little, so that a moment lands mid-run.
//
// A killed client's batch normally runs to its COMMIT: the server notices a vanished client only
// when it writes to it or when a statement outlasts client_connection_check_interval. So that
// kills also land where the server must roll a batch back, every migration numbered 25n+5 sleeps
// for 30 s while fault.hold has a row, which the test puts there for such a kill.
constexpr int kHoldEvery = 25, kHoldAt = 5;

void write_killable(const Project& p) {
  p.psql(
      "create schema fault; create sequence fault.ticks;"
      "create table fault.applied_log (version int not null); create table fault.hold ();");
  for (int i = 1; i <= kKillMigrations; ++i) {
    const std::string v = three_digits(i), tick = "select nextval('fault.ticks');\n";
    if (i % 20 == 0) {
      const std::string index =
          "create index concurrently i_" + v + " on f_" + three_digits(i - 1) + " (id);\n";
      p.write(v + "_i_" + v + ".sql",
              "-- migrate:up transaction:false\n" + tick + "select pg_sleep(0.004);\n" + index);
      continue;
    }
    // 5, 30, 55, ... but not 180, which builds an index.
    const std::string hold =
        i % kHoldEvery == kHoldAt
            ? "select pg_sleep(case when exists (select from fault.hold) then 30 else 0 end);\n"
            : "";
    const std::string log = "insert into fault.applied_log values (" + std::to_string(i) + ");\n";
    p.write(v + "_f_" + v + ".sql", migration(tick + "create table f_" + v + " (id int);\n" + log + hold +
                                              "select pg_sleep(0.002);"));
  }
}

struct KillState {
  int recorded = 0;  // non-dirty rows
  int dirty = 0;     // the dirty version, or 0
  int dirty_rows = 0;
  int rows = 0;
  int newest = 0;  // the highest version with a row
  std::string problems;
};

// Reads the database as a person would after a crash: for each version, its tracking row against
// the object it creates (table f_NNN, or a valid index i_NNN) and the rows it logged.
KillState inspect(const Project& p) {
  KillState s;
  if (!p.exists("public.schema_migrations")) {
    s.problems = p.psql(R"SQL(
select concat_ws('; ',
  (select 'applied without a tracking table: ' || string_agg(relname, ',') from pg_class
   where relnamespace = 'public'::regnamespace and relname ~ '^[fi]_[0-9]{3}$' having count(*) > 0),
  (select count(*) || ' rows logged without a tracking table' from fault.applied_log having count(*) > 0))
)SQL");
    return s;
  }
  std::string row = p.psql(R"SQL(
with v as (
  select g as version, g % 20 = 0 as nontx,
         case when g % 20 = 0 then 'i_' else 'f_' end || lpad(g::text, 3, '0') as obj
  from generate_series(1, 200) g),
s as (
  select v.version, v.nontx, m.version is not null as recorded, coalesce(m.dirty, false) as dirty,
         c.oid is not null as present, coalesce(i.indisvalid, true) as valid,
         (select count(*) from fault.applied_log a where a.version = v.version) as logged
  from v
  left join public.schema_migrations m on m.version = lpad(v.version::text, 3, '0')
  left join pg_class c on c.relname = v.obj and c.relnamespace = 'public'::regnamespace
  left join pg_index i on i.indexrelid = c.oid)
select (select count(*) from s where recorded and not dirty),
       coalesce((select min(version) from s where dirty), 0),
       (select count(*) from s where dirty),
       (select count(*) from public.schema_migrations),
       coalesce((select max(version) from s where recorded), 0),
       coalesce((select string_agg(version || ' ' || problem, '; ' order by version) from (
         select version, case
           when recorded and not dirty and not present then 'is recorded but its object is missing'
           when recorded and not dirty and not valid then 'is recorded but its index is invalid'
           when not recorded and present then 'is applied but not recorded'
           when dirty and not nontx then 'is transactional but dirty'
           when not nontx and logged <> case when recorded then 1 else 0 end then 'logged itself ' || logged || ' times'
         end as problem from s) x where problem is not null), '')
)SQL");
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t bar; fields.size() < 5 && (bar = row.find('|', start)) != std::string::npos; start = bar + 1)
    fields.push_back(row.substr(start, bar - start));
  fields.push_back(row.substr(start));  // the problems, last
  REQUIRE_MESSAGE(fields.size() == 6, row);
  s.recorded = std::stoi(fields[0]);
  s.dirty = std::stoi(fields[1]);
  s.dirty_rows = std::stoi(fields[2]);
  s.rows = std::stoi(fields[3]);
  s.newest = std::stoi(fields[4]);
  s.problems = fields[5];
  return s;
}

// What the consistency promise means for one state.
void check_consistent(const KillState& s) {
  CHECK_MESSAGE(s.problems == "", s.problems);
  CHECK(s.dirty_rows <= 1);
  CHECK(s.rows == s.recorded + s.dirty_rows);    // no row for a version that has no file
  CHECK(s.newest == s.recorded + s.dirty_rows);  // applied in order: versions 1..newest, nothing skipped
  if (s.dirty) CHECK(s.dirty % 20 == 0);         // only a non-transactional migration is left dirty
}

// Finishes by hand what a SIGKILL left half done in non-transactional migration `version`, as
// the exit-65 message asks: an index build that never ran or left an invalid index is redone.
void finish_by_hand(const Project& p, int version) {
  const std::string index = "i_" + three_digits(version), table = "f_" + three_digits(version - 1);
  if (p.psql("select count(*) from pg_index where indexrelid = to_regclass('" + index +
             "') and not indisvalid") == "1")
    p.psql("drop index " + index + ";");
  p.psql("create index concurrently if not exists " + index + " on " + table + " (id);");
}

// "valid", "invalid" or "no": the index non-transactional migration `version` builds.
std::string index_state(const Project& p, int version) {
  return p.psql(
      "select coalesce((select case when indisvalid then 'valid' else 'invalid' end from pg_index "
      "where indexrelid = to_regclass('i_" +
      three_digits(version) + "')), 'no')");
}

// After a kill mid non-transactional migration `dirty`: when it landed in the index build, the
// next run takes the build up again (resume.h) and completes; elsewhere in the migration it stops
// with 65 and names the way out, which a person takes (finish the migration by hand, then
// `schemagate repair`).
// Returns whether the build was taken up again.
bool take_the_way_out(const Project& p, int dirty) {
  if (p.psql("select resume_at is not null from schema_migrations where version = '" + three_digits(dirty) + "'") ==
      "t") {
    RunResult resumed = p.run({"up"});
    CAPTURE(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(contains(resumed.err, " INFO  resuming "));
    KillState after = inspect(p);
    check_consistent(after);
    CHECK(after.dirty_rows == 0);
    CHECK(after.recorded == kKillMigrations);
    return true;
  }
  RunResult next = p.run({"up"});
  CHECK(next.exit_code == 65);
  std::string error = error_line(next);
  CHECK(contains(error, "version " + three_digits(dirty)));
  CHECK(contains(error, "is marked dirty"));
  CHECK(contains(error, "`schemagate repair`"));
  finish_by_hand(p, dirty);
  RunResult repaired = p.run({"repair"});
  CHECK(repaired.exit_code == 0);
  CHECK(contains(repaired.err, "clearing the dirty mark"));
  KillState after = inspect(p);
  check_consistent(after);
  CHECK(after.dirty_rows == 0);
  CHECK(after.recorded == dirty);
  return false;
}

enum class Moment { ticks, held, connected, locked, dirty, index };
const char* name_of(Moment m) {
  switch (m) {
    case Moment::ticks:
      return "after N migration starts";
    case Moment::held:
      return "mid long statement";
    case Moment::connected:
      return "once connected";
    case Moment::locked:
      return "once the lock is held";
    case Moment::dirty:
      return "mid non-transactional migration";
    case Moment::index:
      return "mid index build";
  }
  return "?";
}

long ticks(const Project& p) {
  return std::stol(p.psql("select case when is_called then last_value else 0 end from fault.ticks"));
}

// Whether the moment came (false: the run exited first, or 20 s passed and the caller's checks
// of the run fail). Polls without pausing: each psql round trip is the interval. Once the
// moment's condition holds, `extra` more looks at the database pass before it is the moment.
bool wait_for_moment(const Project& p, const Child& run, Moment moment, long target_ticks, int extra) {
  auto until = Clock::now() + 20s;
  bool seen = false;
  while (Clock::now() < until) {
    if (has_exited(run)) return false;
    if (seen) {
      if (extra-- == 0) return true;
      (void)p.backends("application_name = 'schemagate'");
      continue;
    }
    switch (moment) {
      case Moment::ticks:
        if (ticks(p) >= target_ticks) seen = true;
        break;
      case Moment::held:
        if (ticks(p) >= target_ticks && schemagate_sleeping(p)) seen = true;
        break;
      case Moment::connected:
        if (p.backends("application_name = 'schemagate'") > 0) seen = true;
        break;
      case Moment::locked:
        if (p.advisory_locks() > 0) seen = true;
        break;
      case Moment::dirty:
        if (p.exists("public.schema_migrations") && dirty_count(p) != "0") seen = true;
        break;
      case Moment::index:
        if (p.backends("application_name = 'schemagate' and query ilike '%create index concurrently%' and "
                       "wait_event_type = 'Lock'") == 1)
          seen = true;
        break;
    }
  }
  return false;
}

TEST_CASE("SIGKILL at 30 random moments of a 200-migration apply never leaves the database inconsistent") {
  Project p;
  write_killable(p);
  const std::uint64_t seed = fault_seed();
  MESSAGE(
      ("seed " + std::to_string(seed) + " (replay with SCHEMAGATE_FAULT_SEED=" + std::to_string(seed) + ")"));
  std::mt19937_64 random(seed);
  auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };

  auto started = Clock::now();
  int kills = 0, repairs = 0, resumes = 0, completions = 0, resets = 0, iterations = 0, mid_batch = 0;
  std::map<std::string, int> by_moment;
  std::map<std::string, int> left_behind;  // by a kill mid non-transactional migration: its index
  while (kills < kKills) {
    REQUIRE(++iterations < 200);
    CAPTURE(iterations);
    KillState state = inspect(p);
    check_consistent(state);
    REQUIRE(state.problems == "");

    if (state.dirty) {
      ++left_behind[index_state(p, state.dirty)];
      ++(take_the_way_out(p, state.dirty) ? resumes : repairs);
      continue;
    }
    if (state.recorded == kKillMigrations) {
      // All applied: start over on an empty schema, keeping the clock.
      p.psql("drop schema public cascade; create schema public; truncate fault.applied_log;");
      ++resets;
      continue;
    }

    Moment moment = Moment::ticks;
    int roll = static_cast<int>(random() % 100);
    if (roll < 8) {
      moment = Moment::connected;
    } else if (roll < 16) {
      moment = Moment::locked;
    } else if (roll < 32) {
      moment = Moment::dirty;
    } else if (roll < 46) {
      moment = Moment::held;
    } else if (roll < 54) {
      moment = Moment::index;
    }
    // The rarer kinds of moment a few times at least, whatever the draws.
    if (kills >= kKills - 8 && by_moment[name_of(Moment::held)] < 3) moment = Moment::held;
    if (kills >= kKills - 4 && by_moment[name_of(Moment::index)] < 2) moment = Moment::index;
    // Each pending migration bumps the clock once when it starts, in order.
    long target =
        ticks(p) + 1 + static_cast<long>(random() % static_cast<unsigned>(kKillMigrations - state.recorded));
    int held = 0;  // for Moment::held, the first pending migration that sleeps while held
    if (moment == Moment::held) {
      held = state.recorded + 1;
      while (held % kHoldEvery != kHoldAt || held % 20 == 0) ++held;
      if (held > kKillMigrations) {
        moment = Moment::ticks;
      } else {
        target = ticks(p) + (held - state.recorded);
        p.psql("insert into fault.hold default values;");
      }
    }
    // For Moment::index: an old snapshot that the next index build has to wait for, so that the
    // build is under way (its index already in the catalog, not yet valid) when the kill comes.
    std::optional<Holder> snapshot;
    if (moment == Moment::index) {
      snapshot.emplace(p,
                       "begin isolation level repeatable read; select count(*) from fault.applied_log; "
                       "select pg_sleep(60);",
                       "fault_snapshot");
      REQUIRE(snapshot->wait_running("%pg_sleep(60)%", 10s));
    }
    // For Moment::dirty: a few more looks at the database after the mark, to land anywhere in
    // the migration (before, during or after its index build).
    int extra = moment == Moment::dirty ? static_cast<int>(random() % 5) : 0;
    std::string moment_name = name_of(moment);
    CAPTURE(moment_name);
    CAPTURE(target);
    CAPTURE(extra);

    long ticks_before = ticks(p);
    Child run = p.spawn({"up"});
    bool came = wait_for_moment(p, run, moment, target, extra);
    if (!came) {
      // The run ended before the moment was seen (a dirty window between two looks, or the last
      // migration's start): then it must have completed.
      RunResult finished = run.finish();
      if (moment == Moment::held) p.psql("delete from fault.hold;");
      CAPTURE(finished.err);
      CHECK(finished.exit_code == 0);
      CHECK(inspect(p).recorded == kKillMigrations);
      ++completions;
      continue;
    }
    run.signal(SIGKILL);
    RunResult killed = run.finish();
    if (killed.exit_code == 0 && contains(killed.err, "migrations done")) {
      ++completions;  // the moment was the last migration's start, and the run was quicker
      continue;
    }
    CHECK(killed.exit_code == 128 + SIGKILL);
    ++kills;
    ++by_moment[moment_name];
    // The server notices the vanished client (client_connection_check_interval) and ends its
    // statement, its session and with them the migration lock.
    CHECK(wait_until([&] { return runner_gone(p); }, 5s));
    if (moment == Moment::held) p.psql("delete from fault.hold;");
    snapshot.reset();

    KillState after = inspect(p);
    check_consistent(after);
    CHECK(after.recorded >= state.recorded);
    if (moment == Moment::held) CHECK(after.newest < held);           // its batch was rolled back
    if (moment == Moment::index) CHECK(after.dirty == after.newest);  // left dirty, as it should be
    // Migrations that started but left no trace: the kill landed inside a batch.
    if (ticks(p) - ticks_before > after.recorded + after.dirty_rows - state.recorded) ++mid_batch;

    // Now and then let the next run go to the end: it must complete.
    if (!after.dirty && chance(15)) {
      RunResult next = p.run({"up"});
      CAPTURE(next.err);
      CHECK(next.exit_code == 0);
      CHECK((contains(next.err, "migrations done") || contains(next.err, "database is up to date")));
      KillState done = inspect(p);
      check_consistent(done);
      CHECK(done.recorded == kKillMigrations);
      ++completions;
    }
  }
  // And finally: whatever the last kill left, the way out leads to a complete schema.
  if (KillState last = inspect(p); last.dirty) take_the_way_out(p, last.dirty);
  RunResult final_run = p.run({"up"});
  CHECK(final_run.exit_code == 0);
  KillState done = inspect(p);
  check_consistent(done);
  CHECK(done.recorded == kKillMigrations);

  std::string behind;
  for (const auto& [index, count] : left_behind)
    behind += (behind.empty() ? "" : ", ") + index + " index: " + std::to_string(count);
  std::string moments;
  for (const auto& [name, count] : by_moment)
    moments += (moments.empty() ? "" : ", ") + name + ": " + std::to_string(count);
  MESSAGE(("SIGKILL x" + std::to_string(kills) + " (" + moments + "; " + std::to_string(mid_batch) +
           " inside a batch that was rolled back), " + std::to_string(resumes + repairs) + " left dirty (" + behind +
           "): " + std::to_string(resumes) + " index builds taken up again by the next run, " +
           std::to_string(repairs) + " repaired after exit 65, " + std::to_string(completions) +
           " completed runs, " + std::to_string(resets) +
           " fresh starts, " + fixed(seconds_since(started), 1) + " s"));
}

// ---------------------------------------------------------------------------------------------
// The server stopped mid-apply

// A database of its own on a private cluster, for the cases that stop the server. Its sessions
// commit durably (synchronous_commit, off in test clusters for speed, is on as in production):
// otherwise a crash may lose the last commits of a run and the case would test the setting.
class PrivateProject : public Project {
 public:
  explicit PrivateProject(PgCluster& cluster) : Project(cluster) {
    psql("alter database " + db() + " set synchronous_commit = on;");
  }
};

// Stops the server (immediate) once a schemagate statement sleeps; the run's result. With no
// retries the run ends as soon as the connection is lost.
RunResult stop_server_mid_statement(const Project& p) {
  Child run = p.spawn({"up"}, {{"MIGRATION_RETRY_ATTEMPTS", "0"}});
  REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
  p.cluster().stop();
  auto stopped = Clock::now();
  RunResult result = run.finish();
  CHECK(seconds_since(stopped) < 2.0);
  p.cluster().start();
  return result;
}

TEST_CASE(
    "the server stopped with -m immediate mid-apply and no retries left: exit 69, nothing half-applied, the "
    "next run completes") {
  PgCluster cluster;
  {
    INFO("mid-batch: the batch is lost with the server's crash, the batches before it stay");
    PrivateProject p(cluster);
    p.write("1_a.sql", migration("create table a (x int);"));
    p.write("2_a_x.sql", "-- migrate:up transaction:false\ncreate index concurrently a_x on a (x);\n");
    p.write("3_b.sql", migration("create table b (x int);\nselect pg_sleep(30);"));
    p.write("4_c.sql", migration("create table c (x int);"));
    RunResult stopped = stop_server_mid_statement(p);
    // With no retry left the lost connection ends the run as "unreachable" (69), not as a failed
    // migration (1). The server's goodbye is a notice, so no SQLSTATE reaches the run.
    CHECK(stopped.exit_code == 69);
    CHECK(contains(error_line(stopped), "lost the connection"));
    CHECK(p.versions() == "1,2");
    CHECK(p.exists("a_x"));
    CHECK_FALSE(p.exists("b"));
    CHECK_FALSE(p.exists("c"));
    CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");

    p.write("3_b.sql", migration("create table b (x int);\nselect pg_sleep(0);"));
    RunResult next = p.run({"up"});
    CHECK(next.exit_code == 0);
    CHECK(contains(next.err, "migrations done applied=2 skipped=2"));
    CHECK(p.versions() == "1,2,3,4");
  }
  {
    INFO(
        "mid non-transactional migration: it stays dirty, 65 names the way out, repair and the next run "
        "complete");
    PrivateProject p(cluster);
    p.write("1_a.sql", migration("create table a (x int);"));
    p.write(
        "2_a_x.sql",
        "-- migrate:up transaction:false\nselect pg_sleep(30);\ncreate index concurrently a_x on a (x);\n");
    p.write("3_b.sql", migration("create table b (x int);"));
    RunResult stopped = stop_server_mid_statement(p);
    CHECK(stopped.exit_code == 69);
    CHECK(p.versions() == "1,2");
    CHECK(p.psql("select string_agg(version, ',') from schema_migrations where dirty") == "2");
    CHECK_FALSE(p.exists("a_x"));
    CHECK_FALSE(p.exists("b"));

    RunResult next = p.run({"up"});
    CHECK(next.exit_code == 65);
    CHECK(contains(error_line(next), "version 2 (" + p.file("2_a_x.sql") + ") is marked dirty"));
    CHECK(contains(error_line(next), "`schemagate repair`"));
    CHECK_FALSE(p.exists("b"));
    p.psql("create index concurrently a_x on a (x);");  // finished by hand
    CHECK(p.run({"repair"}).exit_code == 0);
    RunResult after = p.run({"up"});
    CHECK(after.exit_code == 0);
    CHECK(p.versions() == "1,2,3");
    CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
    CHECK(p.exists("b"));
  }
}

TEST_CASE("a server that comes up 5 seconds after schemagate starts: the run waits, migrates and hands over") {
  PgCluster cluster;
  PrivateProject p(cluster);
  p.write("1_a.sql", migration("create table a (x int);"));
  cluster.stop();
  auto started = Clock::now();
  Child run = p.spawn({"--", "/bin/sh", "-c", "echo app started"},
                      {{"DB_MAX_RETRIES", "100"}, {"DB_RETRY_INTERVAL", "0.5"}, {"CRITICAL_TABLES", "a"}});
  // Ten refused attempts half a second apart: the server has been down for about five seconds.
  REQUIRE(run.wait_for_stderr("attempt 10/100 failed", 30s));
  CHECK(seconds_since(started) >= 4.5);
  cluster.start();
  RunResult result = run.finish();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.out, "app started"));
  auto ready = lines_with(result.err, "database ready");
  REQUIRE(ready.size() == 1);
  size_t at = ready[0].find("waited=");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(ready[0].substr(at + 7)) >= 4.5);
  CHECK(contains(result.err, "applied 1 a"));
  CHECK(p.versions() == "1");
}

// Stops the server (immediate) once a schemagate statement sleeps and starts it again once the
// run has noticed; the run, with retries to spare, reconnects. Its result.
RunResult restart_server_mid_statement(const Project& p) {
  Child run = p.spawn({"up"}, {{"MIGRATION_RETRY_ATTEMPTS", "300"}, {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
  REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
  p.cluster().stop();
  REQUIRE(run.wait_for_stderr("reconnecting in", 10s));
  p.cluster().start();
  return run.finish();
}

TEST_CASE("the server stopped with -m immediate mid-apply and back within the retries: the run reconnects") {
  PgCluster cluster;
  {
    INFO("mid-batch: the lost batch runs again on a new session and the run completes, nothing twice");
    PrivateProject p(cluster);
    // Migration 3 sleeps only on the server as first started, so that it is still running when
    // the server is stopped, and does not sleep again after the restart.
    const std::string first_start = p.psql("select pg_postmaster_start_time()");
    p.psql("create table applied_log (version int not null);");
    auto log = [](int v) { return "\ninsert into applied_log values (" + std::to_string(v) + ");"; };
    p.write("1_a.sql", migration("create table a (x int);" + log(1)));
    p.write("2_n.sql", "-- migrate:up transaction:false\ncreate table n (x int);" + log(2) + "\n");
    p.write("3_b.sql", migration("create table b (x int);" + log(3) +
                                 "\nselect pg_sleep(case when pg_postmaster_start_time() = '" + first_start +
                                 "' then 30 else 0 end);"));
    p.write("4_c.sql", migration("create table c (x int);" + log(4)));
    RunResult result = restart_server_mid_statement(p);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, "lost the connection"));
    CHECK(lines_with(result.err, "database ready").size() == 2);  // at the start, and again after the restart
    CHECK(contains(result.err, "migrations done applied=2 skipped=2"));
    CHECK(p.versions() == "1,2,3,4");
    CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,2,3,4");
    CHECK(p.exists("b"));
    CHECK(p.exists("c"));
    CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
  }
  {
    INFO("mid non-transactional migration: the new session finds it dirty and names the way out (65)");
    PrivateProject p(cluster);
    const std::string first_start = p.psql("select pg_postmaster_start_time()");
    p.write("1_a.sql", migration("create table a (x int);"));
    p.write("2_n.sql", "-- migrate:up transaction:false\ncreate table n (x int);\nselect pg_sleep(30);\n"
                       "create table n2 (x int);\n");
    p.write("3_b.sql", migration("create table b (x int);"));
    RunResult result = restart_server_mid_statement(p);
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), "version 2 (" + p.file("2_n.sql") + ") is marked dirty"));
    CHECK(contains(error_line(result), "`schemagate repair`"));
    CHECK(p.exists("n"));
    CHECK_FALSE(p.exists("n2"));
    CHECK_FALSE(p.exists("b"));
    CHECK(first_start != p.psql("select pg_postmaster_start_time()"));
  }
}

// ---------------------------------------------------------------------------------------------
// The network: a proxy between schemagate and the server

TEST_CASE(
    "a connection cut mid-apply with no retries left: exit 69, the session and lock end, nothing "
    "half-applied, the next run completes") {
  Project p;
  TcpProxy proxy(p.cluster().port());
  const std::map<std::string, std::string> via = {{"DATABASE_URL", url_via(p, proxy.port())},
                                                  {"MIGRATION_RETRY_ATTEMPTS", "0"}};
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_a_x.sql", "-- migrate:up transaction:false\ncreate index concurrently a_x on a (x);\n");
  p.write("3_b.sql", migration("create table b (x int);\nselect pg_sleep(30);"));
  p.write("4_c.sql", migration("create table c (x int);"));

  {
    INFO("cut mid-batch");
    Child run = p.spawn({"up"}, via);
    REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
    proxy.cut();
    auto cut = Clock::now();
    RunResult result = run.finish();
    CHECK(seconds_since(cut) < 2.0);
    CHECK(result.exit_code == 69);
    CHECK(contains(error_line(result), "lost the connection"));
    CHECK(wait_until([&] { return runner_gone(p); }, 5s));
    CHECK(sleeps_running(p) == 0);
    CHECK(p.versions() == "1,2");
    CHECK_FALSE(p.exists("b"));
    CHECK_FALSE(p.exists("c"));
    CHECK(dirty_count(p) == "0");

    p.write("3_b.sql", migration("create table b (x int);\nselect pg_sleep(0);"));
    RunResult next = p.run({"up"}, via);
    CHECK(next.exit_code == 0);
    CHECK(p.versions() == "1,2,3,4");
  }
  {
    INFO("cut mid non-transactional migration");
    p.write("5_d.sql", "-- migrate:up transaction:false\nselect pg_sleep(30);\ncreate table d (x int);\n");
    p.write("6_e.sql", migration("create table e (x int);"));
    Child run = p.spawn({"up"}, via);
    REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
    proxy.cut();
    RunResult result = run.finish();
    CHECK(result.exit_code == 69);
    CHECK(wait_until([&] { return runner_gone(p); }, 5s));
    CHECK(sleeps_running(p) == 0);
    CHECK(p.versions() == "1,2,3,4,5");
    CHECK(p.psql("select string_agg(version, ',') from schema_migrations where dirty") == "5");
    CHECK_FALSE(p.exists("d"));

    RunResult next = p.run({"up"}, via);
    CHECK(next.exit_code == 65);
    CHECK(contains(error_line(next), "`schemagate repair`"));
    p.psql("create table d (x int);");  // finished by hand
    CHECK(p.run({"repair"}, via).exit_code == 0);
    CHECK(p.run({"up"}, via).exit_code == 0);
    CHECK(p.versions() == "1,2,3,4,5,6");
    CHECK(dirty_count(p) == "0");
    CHECK(p.exists("e"));
  }
  CHECK(proxy.accepted() >= 6);
}

TEST_CASE("a connection cut mid-apply with retries left: the run reconnects and completes, nothing twice") {
  Project p;
  TcpProxy proxy(p.cluster().port());
  // Migration 3 sleeps on its first try only (a sequence does not roll back), so it is running
  // when the link is cut and runs through on the new session.
  p.psql("create table applied_log (version int not null); create sequence tries;");
  auto log = [](int v) { return "\ninsert into applied_log values (" + std::to_string(v) + ");"; };
  p.write("1_a.sql", migration("create table a (x int);" + log(1)));
  p.write("2_n.sql", "-- migrate:up transaction:false\ncreate table n (x int);" + log(2) + "\n");
  p.write("3_b.sql", migration("create table b (x int);" + log(3) +
                               "\nselect pg_sleep(case when nextval('tries') = 1 then 30 else 0 end);"));
  p.write("4_c.sql", migration("create table c (x int);" + log(4)));

  Child run = p.spawn({"up"}, {{"DATABASE_URL", url_via(p, proxy.port())},
                               {"MIGRATION_RETRY_ATTEMPTS", "100"},
                               {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
  REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
  proxy.cut();
  RunResult result = run.finish();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "lost the connection"));
  CHECK(lines_with(result.err, "database ready").size() == 2);
  CHECK(contains(result.err, "migrations done applied=2 skipped=2"));
  CHECK(p.psql("select last_value from tries") == "2");  // the lost batch, then the one that committed
  CHECK(p.versions() == "1,2,3,4");
  CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,2,3,4");
  CHECK(dirty_count(p) == "0");
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  CHECK(proxy.accepted() >= 2);
}

TEST_CASE(
    "migrations that commit while their answers are held up, then the link cut: the new session finds them "
    "applied and runs nothing twice") {
  Project p;
  TcpProxy proxy(p.cluster().port());
  p.psql("create table applied_log (version int not null);");
  auto log = [](int v) { return "\ninsert into applied_log values (" + std::to_string(v) + ");"; };
  p.write("1_a.sql", migration("create table a (x int);" + log(1)));
  // Migration 2 waits for a lock the test holds, so it and 3 are on the server, unfinished, when
  // the link stops forwarding; released, they commit, and their answers never reach the run.
  p.write("2_b.sql", migration("create table b (x int);" + log(2) + "\nselect pg_advisory_xact_lock(4242);"));
  p.write("3_c.sql", migration("create table c (x int);" + log(3)));
  Holder holder(p, "select pg_advisory_lock(4242); select pg_sleep(60);");
  REQUIRE(holder.wait_running("%pg_sleep%", 10s));

  Child run = p.spawn({"up"}, {{"DATABASE_URL", url_via(p, proxy.port())},
                               {"MIGRATION_LOCK_TIMEOUT", "60s"},
                               {"MIGRATION_RETRY_ATTEMPTS", "100"},
                               {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
  REQUIRE(wait_until([&] { return p.backends("application_name = 'schemagate' and wait_event_type = 'Lock'") == 1; },
                     20s));
  proxy.stall_open();
  holder.release();
  REQUIRE(wait_until([&] { return p.versions() == "1,2,3"; }, 20s));
  CHECK_FALSE(has_exited(run));
  proxy.cut();
  RunResult result = run.finish();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "lost the connection"));
  CHECK(contains(result.err, "database is up to date: the migrations were committed before the connection was lost"));
  CHECK(contains(result.err, "applied 1 a"));  // its answer came before the link stalled
  CHECK_FALSE(contains(result.err, "applied 2 b"));  // never heard of: the commit's answer was lost
  CHECK(p.versions() == "1,2,3");
  CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,2,3");
  CHECK(dirty_count(p) == "0");
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
}

TEST_CASE(
    "a connection stalled mid-apply ends with 75 within the migration timeout and leaves nothing "
    "half-applied") {
  Project p;
  TcpProxy proxy(p.cluster().port());
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_a_x.sql", "-- migrate:up transaction:false\ncreate index concurrently a_x on a (x);\n");
  p.write("3_b.sql", migration("create table b (x int);\nselect pg_sleep(30);"));
  p.write("4_c.sql", migration("create table c (x int);"));
  constexpr int kTimeout = 3;

  Child run = p.spawn({"up"}, {{"DATABASE_URL", url_via(p, proxy.port())},
                               {"MIGRATION_TIMEOUT_SECONDS", std::to_string(kTimeout)}});
  REQUIRE(wait_until([&] { return schemagate_sleeping(p); }, 20s));
  // The run's connection stops mid-statement; new connections (the cancel request) still pass.
  proxy.stall_open();
  RunResult result = run.finish();
  // Within the budget plus the two seconds the run gives a cancel to be answered.
  CHECK(result.seconds < kTimeout + 3.0);
  CHECK(result.exit_code == 75);
  CHECK(contains(error_line(result), "out of time (migrations.timeout)"));
  // The cancel reached the server: the statement is over and its batch aborted. The session
  // itself lives on behind the stalled connection, holding the migration lock, until the network
  // lets go of it (here: the stalled connections are reset).
  CHECK(sleeps_running(p) == 0);
  CHECK(p.versions() == "1,2");
  CHECK(p.advisory_locks() == 1);
  proxy.cut();
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  CHECK(p.versions() == "1,2");
  CHECK_FALSE(p.exists("b"));
  CHECK_FALSE(p.exists("c"));
  CHECK(dirty_count(p) == "0");

  proxy.pass();
  p.write("3_b.sql", migration("create table b (x int);\nselect pg_sleep(0);"));
  RunResult next = p.run({"up"}, {{"DATABASE_URL", url_via(p, proxy.port())}});
  CHECK(next.exit_code == 0);
  CHECK(p.versions() == "1,2,3,4");
}

// The project's DATABASE_URL with the host list `hosts` ("127.0.0.1:1,127.0.0.1:5432") in place
// of its one host.
std::string url_with_hosts(const Project& p, const std::string& hosts) {
  std::string url = p.cluster().url(p.db());
  size_t at = url.find('@') + 1;
  size_t end = url.find('/', at);
  return url.replace(at, end - at, hosts);
}

TEST_CASE("a host list whose first host accepts but never answers: the next host is reached in time") {
  Project p;
  TcpProxy proxy(p.cluster().port());
  proxy.stall();  // connections are accepted and then hear nothing: a hung server
  const std::string real = "127.0.0.1:" + std::to_string(p.cluster().port());
  const std::string url = url_with_hosts(p, "127.0.0.1:" + std::to_string(proxy.port()) + "," + real);
  {
    INFO("connect_timeout=2: the first host has two seconds");
    RunResult result = p.run({"wait"}, {{"DATABASE_URL", url + "?connect_timeout=2"}, {"DB_MAX_RETRIES", "1"}});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.seconds >= 2.0);
    CHECK(result.seconds < 8.0);
    CHECK(contains(result.err, "database ready db=postgres@" + real + "/"));
  }
  {
    INFO("no connect_timeout: the hosts share the attempt's ten seconds");
    RunResult result = p.run({"wait"}, {{"DATABASE_URL", url}, {"DB_MAX_RETRIES", "1"}});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.seconds >= 4.5);
    CHECK(result.seconds < 10.0);
    CHECK(contains(result.err, "database ready db=postgres@" + real + "/"));
  }
  {
    INFO("the first host refuses the password: as libpq, the list ends there, and it is not retried");
    const std::string wrong = url_with_hosts(p, real + ",127.0.0.1:" + std::to_string(proxy.port()));
    const std::string prefix = "postgresql://postgres:";
    REQUIRE(wrong.starts_with(prefix));
    RunResult result = p.run({"wait"}, {{"DATABASE_URL", prefix + "wrong" + wrong.substr(wrong.find('@'))},
                                        {"DB_MAX_RETRIES", "3"}, {"DB_RETRY_INTERVAL", "0.1"}});
    CHECK(result.exit_code == 69);
    CHECK(result.seconds < 4.0);
    std::string error = error_line(result);
    CHECK(contains(error, "refused the credentials (attempt 1/3, not retried)"));
    CHECK(contains(error, real + ": "));
    CHECK_FALSE(contains(error, "127.0.0.1:" + std::to_string(proxy.port()) + ": "));
  }
  {
    INFO("no host answers: exit 69, one line naming each");
    RunResult result = p.run({"wait"}, {{"DATABASE_URL", url_with_hosts(p, "127.0.0.1:1,127.0.0.1:2")},
                                        {"DB_MAX_RETRIES", "1"}});
    CHECK(result.exit_code == 69);
    std::string error = error_line(result);
    CHECK(contains(error, "127.0.0.1:1: "));
    CHECK(contains(error, "; 127.0.0.1:2: "));
  }
  CHECK(proxy.accepted() >= 2);
}

TEST_CASE("a slow connection (every chunk held 20 ms each way) still completes") {
  Project p;
  TcpProxy proxy(p.cluster().port());
  proxy.slow(20ms);
  for (int i = 1; i <= 30; ++i) {
    std::string v = std::to_string(i);
    if (i % 10 == 0) {
      p.write(v + "_s" + v + ".sql", "-- migrate:up transaction:false\ncreate index concurrently s" +
                                         std::to_string(i - 1) + "_x on s" + std::to_string(i - 1) +
                                         " (x);\n");
    } else {
      p.write(v + "_s" + v + ".sql", migration("create table s" + v + " (x int);"));
    }
  }
  RunResult result = p.run({"up"}, {{"DATABASE_URL", url_via(p, proxy.port())}});
  MESSAGE(("30 migrations through a 20 ms-per-chunk link: " + fixed(result.seconds) + " s"));
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, " WARN "));
  CHECK(contains(result.err, "migrations done applied=30"));
  CHECK(result.seconds > 0.4);  // the delay was really in the path: 10+ round trips each way
  CHECK(p.psql("select count(*), count(*) filter (where dirty) from schema_migrations") == "30|0");
  CHECK(
      p.psql(
          "select count(*) from pg_index where indexrelid::regclass::text ~ '^s[0-9]+_x$' and indisvalid") ==
      "3");
  CHECK(proxy.accepted() >= 1);
}

// ---------------------------------------------------------------------------------------------
// A table held locked by another session

// 1 and 2 in one batch, 3 outside a transaction, 4 needs table t, 5 after it; each logs itself.
void write_behind_t(const Project& p) {
  p.psql("create table t (x int); create table applied_log (version int not null);");
  auto log = [](int v) { return "insert into applied_log values (" + std::to_string(v) + ");"; };
  p.write("1_a.sql", migration("create table a (x int);\n" + log(1)));
  p.write("2_b.sql", migration("create table b (x int);\n" + log(2)));
  p.write("3_n.sql", "-- migrate:up transaction:false\ncreate table n (x int);\n" + log(3) + "\n");
  p.write("4_alter_t.sql", migration("alter table t add column y int;\n" + log(4)));
  p.write("5_c.sql", migration("create table c (x int);\n" + log(5)));
}

bool t_has_y(const Project& p) {
  return p.psql(
             "select count(*) from information_schema.columns where table_name = 't' and column_name = "
             "'y'") == "1";
}

TEST_CASE(
    "lock_timeout hit on a held table: retried from the blocked migration, earlier ones kept, nothing twice") {
  Project p;
  write_behind_t(p);
  Holder holder(p, kLockTableT);
  REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
  const std::string holder_pid = p.psql("select pid from pg_stat_activity where application_name = 'test_holder'");

  Child run = p.spawn({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "1s"},
                               {"MIGRATION_RETRY_ATTEMPTS", "50"},
                               {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
  REQUIRE(run.wait_for_stderr("retrying in", 20s));
  // The session that names the holder opens during the first wait and answers on a later one;
  // how many waits that takes depends on the machine's load.
  REQUIRE(run.wait_for_stderr("blocked by pid", 40s));
  // While 4 waits, what came before it is committed and 4 and 5 are not.
  CHECK(p.versions() == "1,2,3");
  CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,2,3");
  holder.release();
  RunResult result = run.finish();
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, " ERROR "));
  auto retries = lines_with(result.err, " WARN  ");
  REQUIRE(retries.size() >= 2);
  CHECK(contains(retries[0], p.file("4_alter_t.sql") + ":"));
  CHECK(contains(retries[0], "55P03: canceling statement due to lock timeout; "));
  CHECK(contains(retries[0], "; retrying in"));
  auto named = lines_with(result.err, "blocked by pid");
  REQUIRE_FALSE(named.empty());
  CHECK(contains(named[0], "55P03: canceling statement due to lock timeout; blocked by pid " + holder_pid +
                               " (test_holder, user postgres, active since "));
  CHECK(contains(result.err, "the migration waits for a lock held by pid " + holder_pid));
  CHECK(contains(result.err, "migrations done applied=5 skipped=0"));
  CHECK(p.versions() == "1,2,3,4,5");
  CHECK(p.psql("select count(*), count(distinct version) from applied_log") == "5|5");
  CHECK(t_has_y(p));
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
}

TEST_CASE(
    "lock_timeout inside a non-transactional migration: the statement is retried where it stands, or the "
    "migration stays dirty naming the blocking pid") {
  Project p;
  p.psql("create table t (x int); create table applied_log (version int not null);");
  p.write("1_n.sql",
          "-- migrate:up transaction:false\ncreate table n (x int);\ninsert into applied_log values (1);\n"
          "alter table t add column y int;\ninsert into applied_log values (11);\n");
  const std::map<std::string, std::string> quick = {{"MIGRATION_LOCK_TIMEOUT", "1s"},
                                                     {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}};
  {
    INFO("released while retrying: the migration completes, its first statements run once");
    Holder holder(p, kLockTableT);
    REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
    auto env = quick;
    env["MIGRATION_RETRY_ATTEMPTS"] = "50";
    Child run = p.spawn({"up"}, env);
    REQUIRE(run.wait_for_stderr("retrying in", 20s));
    REQUIRE(run.wait_for_stderr("(2/50)", 20s));
    // Some retry names the holder: how many waits the naming session takes depends on the load.
    REQUIRE(run.wait_for_stderr("; blocked by pid ", 40s));
    CHECK(p.psql("select string_agg(version::text, ',') from applied_log") == "1");
    CHECK(dirty_count(p) == "1");
    holder.release();
    RunResult result = run.finish();
    CHECK(result.exit_code == 0);
    auto retries = lines_with(result.err, " WARN  ");
    REQUIRE(retries.size() >= 2);
    CHECK(contains(retries[0], p.file("1_n.sql") + ":4:1: 55P03: canceling statement due to lock timeout; "));
    CHECK_FALSE(lines_with(result.err, "; blocked by pid ").empty());
    CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,11");
    CHECK(p.versions() == "1");
    CHECK(dirty_count(p) == "0");
    CHECK(t_has_y(p));
  }
  p.write("2_n.sql",
          "-- migrate:up transaction:false\ncreate table n2 (x int);\ninsert into applied_log values (2);\n"
          "alter table t add column z int;\ninsert into applied_log values (22);\n");
  {
    INFO("held past the retries: exit 1, dirty, the message names the holder");
    Holder holder(p, kLockTableT);
    REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
    const std::string holder_pid = p.psql("select pid from pg_stat_activity where application_name = 'test_holder'");
    auto env = quick;
    // 3 s: the session that names the holder (opened after 1 s) has time to answer under load.
    env["MIGRATION_LOCK_TIMEOUT"] = "3s";
    env["MIGRATION_RETRY_ATTEMPTS"] = "1";
    RunResult result = p.run({"up"}, env);
    CHECK(result.exit_code == 1);
    CHECK(lines_with(result.err, " WARN  ").size() == 1);
    std::string error = error_line(result);
    CHECK(contains(error, p.file("2_n.sql") + ":4:1: migration 2 n failed part-way and is marked dirty"));
    CHECK(contains(error, "blocked by pid " + holder_pid));
    CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,2,11");
    CHECK(p.psql("select string_agg(version, ',') from schema_migrations where dirty") == "2");
  }
  // Finished by hand, as the message says.
  p.psql("alter table t add column z int; insert into applied_log values (22);");
  REQUIRE(p.run({"repair"}).exit_code == 0);
  p.write("3_blocks.sql",
          "-- migrate:up transaction:false\nbegin;\ninsert into applied_log values (3);\n"
          "alter table t add column w int;\ncommit;\n");
  {
    INFO("inside the file's own transaction block: not retried (the block is already aborted); 55P03 reported");
    Holder holder(p, kLockTableT);
    REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
    auto env = quick;
    env["MIGRATION_RETRY_ATTEMPTS"] = "5";
    RunResult result = p.run({"up"}, env);
    CHECK(result.exit_code == 1);
    CHECK(lines_with(result.err, " WARN  ").empty());
    std::string error = error_line(result);
    CHECK(contains(error, p.file("3_blocks.sql") + ":4:1: migration 3 blocks failed part-way and is marked dirty"));
    CHECK(contains(error, "55P03: canceling statement due to lock timeout"));
    CHECK(p.psql("select string_agg(version::text, ',' order by version) from applied_log") == "1,2,11,22");
    CHECK(p.psql("select string_agg(version, ',') from schema_migrations where dirty") == "3");
  }
}

TEST_CASE("a table held past the retries fails with exit 1 and one past the migration timeout with 75") {
  Project p;
  write_behind_t(p);
  Holder holder(p, kLockTableT);
  REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
  const std::string holder_pid = p.psql("select pid from pg_stat_activity where application_name = 'test_holder'");
  {
    INFO("retries run out: exit 1 naming the file and the lock timeout");
    // A 3 s lock timeout: the session that names the blocker opens after 1 s and has 2 s to
    // answer, time enough on a loaded machine under ASan (at 1 s it had only half a second).
    RunResult result = p.run({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "3s"},
                                      {"MIGRATION_RETRY_ATTEMPTS", "1"},
                                      {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
    CHECK(result.exit_code == 1);
    CHECK(lines_with(result.err, " WARN  ").size() == 1);
    std::string error = error_line(result);
    CHECK(contains(error, p.file("4_alter_t.sql") + ":"));
    CHECK(contains(error, "migration 4 alter_t failed: 55P03"));
    CHECK(contains(error, "55P03: canceling statement due to lock timeout; blocked by pid " + holder_pid));
    CHECK(result.seconds < 12);
    CHECK(p.versions() == "1,2,3");
    CHECK_FALSE(t_has_y(p));
    CHECK_FALSE(p.exists("c"));
    CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  }
  {
    INFO("the migration timeout comes first: exit 75 in time");
    RunResult result = p.run({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "500ms"},
                                      {"MIGRATION_RETRY_ATTEMPTS", "1000"},
                                      {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"},
                                      {"MIGRATION_TIMEOUT_SECONDS", "2"}});
    CHECK(result.exit_code == 75);
    CHECK(result.seconds < 5);
    CHECK(contains(error_line(result), "out of time (migrations.timeout) while applying"));
    CHECK(contains(error_line(result), "blocked by pid " + holder_pid));
    CHECK(p.versions() == "1,2,3");
    CHECK_FALSE(t_has_y(p));
    CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  }
  holder.release();
  RunResult after = p.run({"up"});
  CHECK(after.exit_code == 0);
  CHECK(p.versions() == "1,2,3,4,5");
  CHECK(p.psql("select count(*), count(distinct version) from applied_log") == "5|5");
}

// ---------------------------------------------------------------------------------------------
// An interrupted CREATE INDEX CONCURRENTLY

// The index build of `p`'s migration 2 (tables t and u, index t_x) waits for an older transaction,
// and SIGTERM stops the run there: the build is cancelled, its INVALID index stays, and so does
// the dirty mark. Returns the stopped run's result.
RunResult interrupt_index_build(const Project& p, const std::string& before_index) {
  p.write("1_t.sql", migration("create table t (x int);\ninsert into t select generate_series(1, 1000);"));
  REQUIRE(p.run({"up"}).exit_code == 0);
  p.write("2_t_x.sql", "-- migrate:up transaction:false\n" + before_index +
                           "create index concurrently t_x on t (x);\ninsert into u values (1);\n");
  // CREATE INDEX CONCURRENTLY waits for transactions older than it; this one waits for the test.
  Holder old(p, "begin; select count(*) from t; select pg_sleep(60);", "old_transaction");
  REQUIRE(old.wait_running("begin;%", 10s));
  Child run = p.spawn({"up"});
  REQUIRE(wait_until([&] { return p.backends("query like '%create index concurrently t_x%' and wait_event_type = 'Lock'") == 1; },
                     20s));
  run.signal(SIGTERM);
  RunResult stopped = run.finish();
  CHECK(stopped.exit_code == 143);
  CHECK(p.psql("select indisvalid from pg_index where indexrelid = 't_x'::regclass") == "f");
  CHECK(p.psql("select dirty from schema_migrations where version = '2'") == "t");
  return stopped;
}

TEST_CASE("an interrupted CREATE INDEX CONCURRENTLY is taken up by the next run: invalid index dropped, rest run once") {
  Project p;
  RunResult stopped = interrupt_index_build(p, "create table u (y int);\n");
  CAPTURE(stopped.err);
  RunResult next = p.run({"up"});
  CAPTURE(next.err);
  CHECK(next.exit_code == 0);
  CHECK(in_order(next.err, {" INFO  dropping the invalid index public.t_x that the interrupted CREATE INDEX "
                            "CONCURRENTLY at " + p.file("2_t_x.sql") + ":3:1 left behind\n",
                            " INFO  resuming " + p.file("2_t_x.sql") +
                                " from its interrupted CREATE INDEX CONCURRENTLY at " + p.file("2_t_x.sql") + ":3:1\n",
                            " INFO  applied 2 t_x "}));
  CHECK(p.psql("select indisvalid from pg_index where indexrelid = 't_x'::regclass") == "t");
  CHECK(p.psql("select count(*) from u") == "1");  // create table u ran once: it would fail twice
  CHECK(p.psql("select dirty, resume_at is null from schema_migrations where version = '2'") == "f|t");
}

TEST_CASE("an interrupted CREATE INDEX CONCURRENTLY after a SET stays dirty: the new session would lack the setting") {
  Project p;
  RunResult stopped = interrupt_index_build(p, "create table u (y int);\nset search_path = public;\n");
  CAPTURE(stopped.err);
  RunResult next = p.run({"up"});
  CAPTURE(next.err);
  CHECK(next.exit_code == 65);
  CHECK(contains(error_line(next), "version 2 (" + p.file("2_t_x.sql") + ") is marked dirty"));
  CHECK(p.psql("select indisvalid from pg_index where indexrelid = 't_x'::regclass") == "f");
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
