// SPEC §1 step 4: replicas that start together migrate one at a time through the advisory lock,
// every migration is applied exactly once (also two hundred of several shapes under sixteen
// runners), and a CREATE INDEX CONCURRENTLY run by the lock holder does not deadlock with the
// replicas polling for the lock.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("race");

using namespace std::chrono_literals;

constexpr int kMigrations = 30;

// Thirty migrations: each creates a table of its own and logs itself in applied_log, which the
// first creates; with_index, the tenth instead creates an index concurrently (outside a
// transaction) and logs itself too. A migration run twice would fail (the table exists) or leave
// two log rows.
void write_thirty(const Project& p, bool with_index, const std::string& first_extra = "") {
  p.write("001_log.sql",
          migration(first_extra + "create table applied_log (version int, at timestamptz default clock_timestamp());\n"
                                  "create table r1 (x int);\ninsert into applied_log (version) values (1);"));
  for (int i = 2; i <= kMigrations; ++i) {
    std::string n = std::to_string(i);
    if (i == 10 && with_index) {
      p.write("010_r1_x.up.sql", "insert into applied_log (version) values (10);\n"
                                 "create index concurrently r1_x on r1 (x);\n");
      p.write("010_r1_x.down.sql", "drop index concurrently r1_x;\n");
      continue;
    }
    p.write((i < 10 ? "00" : "0") + n + "_r" + n + ".sql",
            migration("create table r" + n + " (x int);\ninsert into applied_log (version) values (" + n + ");",
                      "drop table r" + n + ";"));
  }
}

// Every migration there exactly once, in the tracking table and in the schema.
void check_applied_once(const Project& p, bool with_index) {
  CHECK(p.psql("select count(*), count(distinct version), count(*) filter (where dirty) from schema_migrations") ==
        std::to_string(kMigrations) + "|" + std::to_string(kMigrations) + "|0");
  CHECK(p.psql("select count(*), count(distinct version), min(version), max(version) from applied_log") ==
        std::to_string(kMigrations) + "|" + std::to_string(kMigrations) + "|1|" + std::to_string(kMigrations));
  CHECK(p.psql("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
               "where n.nspname = 'public' and c.relkind = 'r' and c.relname ~ '^r[0-9]+$'") ==
        std::to_string(with_index ? kMigrations - 1 : kMigrations));
  if (with_index) CHECK(p.psql("select indisvalid from pg_index where indexrelid = 'r1_x'::regclass") == "t");
}

std::vector<Child> start_replicas(const Project& p, int count, const std::map<std::string, std::string>& extra) {
  std::vector<Child> replicas;
  for (int i = 0; i < count; ++i) replicas.push_back(p.spawn({}, extra));
  return replicas;
}

// Waits until `count` of the replicas have written `needle` to stderr; their indexes.
std::vector<size_t> wait_for_replicas(std::vector<Child>& replicas, const std::string& needle, size_t count,
                                      std::chrono::milliseconds max) {
  std::vector<size_t> seen;
  auto until = std::chrono::steady_clock::now() + max;
  while (seen.size() < count && std::chrono::steady_clock::now() < until) {
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (std::find(seen.begin(), seen.end(), i) != seen.end()) continue;
      if (replicas[i].wait_for_stderr(needle, 20ms)) seen.push_back(i);
    }
  }
  return seen;
}

// Waits for every replica to exit; their runs, in the same order.
std::vector<RunResult> finish_all(std::vector<Child>& replicas) {
  std::vector<RunResult> results;
  for (auto& r : replicas) results.push_back(r.finish());
  return results;
}

// Checks that each run exited 0 without an ERROR line.
void check_all_succeeded(const std::vector<RunResult>& results) {
  for (const auto& r : results) {
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.err, " ERROR "));
  }
}

// How many migrations the runs applied together, by their log lines.
int applied_in_all(const std::vector<RunResult>& results) {
  int applied_lines = 0;
  for (const auto& r : results)
    applied_lines += static_cast<int>(lines_with(r.err, " INFO  applied ").size());
  return applied_lines;
}

// Whether a session (the test's Holder) holds advisory lock `key`.
bool holds_advisory_lock(const Project& p, int key) {
  return p.psql("select count(*) from pg_locks where locktype = 'advisory' and granted and objid = " +
                std::to_string(key)) == "1";
}

// The one backend waiting for advisory lock `key` (held by the test), or 0.
std::string blocked_on(const Project& p, int key) {
  return p.psql("select coalesce(min(pid), 0) from pg_locks where locktype = 'advisory' and not granted and objid = " +
                std::to_string(key));
}

int count_with(const std::vector<RunResult>& results, const std::string& needle) {
  int n = 0;
  for (const auto& r : results) n += contains(r.err, needle) ? 1 : 0;
  return n;
}

TEST_CASE("eight replicas started together apply every migration exactly once") {
  Project p;
  // No non-transactional migration here: a replica whose lock-free first look lands while another
  // runs one sees its dirty mark and exits 65 (see the report; the gated case below covers it).
  write_thirty(p, false);
  std::vector<Child> replicas = start_replicas(p, 8, {{"MIGRATION_TIMEOUT_SECONDS", "60"}});
  std::vector<RunResult> results = finish_all(replicas);

  check_all_succeeded(results);
  CHECK(applied_in_all(results) == kMigrations);
  check_applied_once(p, false);
  CHECK(p.advisory_locks() == 0);
}

constexpr int kMany = 200;

// Two hundred small migrations of several shapes, each creating table m_NNN and logging itself
// once in applied_log; every 50th runs outside a transaction (an index built concurrently),
// which splits the run into several batches. A migration applied twice would fail (its table
// exists) or log itself twice.
void write_many(const Project& p) {
  p.psql("create table applied_log (version int not null, at timestamptz default clock_timestamp());");
  for (int i = 1; i <= kMany; ++i) {
    const std::string v = three_digits(i), t = "m_" + v, file = v + "_" + t + ".sql";
    const std::string log = "insert into applied_log (version) values (" + std::to_string(i) + ");\n";
    const std::string table = "create table " + t + " (x int);\n";
    if (i % 50 == 0) {
      p.write(file, "-- migrate:up transaction:false\n" + table + "create index concurrently " + t +
                        "_x on " + t + " (x);\n" + log);
      continue;
    }
    switch (i % 4) {
      case 0:
        p.write(file, migration("create table " + t + " (x int primary key);\ninsert into " + t +
                                " select generate_series(1, 10);\n" + log));
        break;
      case 1:
        p.write(file, migration(table + "create index on " + t + " (x);\n" + log));
        break;
      case 2:
        p.write(file, migration(table + "create view " + t + "_v as select x from " + t + ";\n" + log));
        break;
      default:
        p.write(file, migration(table + "create function " + t +
                                "_f() returns int language sql as $$ select 1; $$;\n" + log));
        break;
    }
  }
}

TEST_CASE("sixteen runs started together on one database apply 200 migrations exactly once") {
  Project p;
  write_many(p);
  auto started = std::chrono::steady_clock::now();
  std::vector<Child> runs = start_replicas(p, 16, {{"MIGRATION_TIMEOUT_SECONDS", "60"}});
  std::vector<RunResult> results = finish_all(runs);
  double wall = seconds_since(started);
  MESSAGE(("16 concurrent runs, 200 migrations: " + fixed(wall) + " s wall time"));

  check_all_succeeded(results);
  // One run took the lock and applied everything; the others found it done.
  CHECK(applied_in_all(results) == kMany);
  CHECK(count_with(results, "migrations done applied=200 skipped=0") == 1);
  // Tracking rows, rows the migrations inserted, and what they created.
  const std::string tracking =
      "select count(*), count(distinct version), count(*) filter (where dirty) "
      "from schema_migrations";
  CHECK(p.psql(tracking) == "200|200|0");
  CHECK(p.psql("select count(*), count(distinct version), min(version), max(version) from applied_log") ==
        "200|200|1|200");
  CHECK(p.psql("select count(*) from pg_tables where schemaname = 'public' and tablename ~ '^m_[0-9]{3}$'") ==
        "200");
  CHECK(p.psql("select count(*) from pg_views where schemaname = 'public' and viewname ~ '^m_[0-9]{3}_v$'") ==
        "48");
  CHECK(p.psql("select count(*) from pg_proc where proname ~ '^m_[0-9]{3}_f$'") == "50");
  CHECK(p.psql("select count(*), bool_and(indisvalid) from pg_index where indexrelid::regclass::text ~ "
               "'^m_[0-9]{3}_x$'") == "4|t");
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
}

TEST_CASE("replicas wait for the lock holder, say who holds it, and then find nothing to do") {
  Project p;
  // The first migration cannot finish until the test lets go of advisory lock 4242, so whichever
  // replica takes the migration lock keeps it while the seven others poll.
  write_thirty(p, true, "select pg_advisory_xact_lock(4242);\n");
  Holder gate(p, "select pg_advisory_lock(4242); select pg_sleep(60);", "race_gate");
  REQUIRE(wait_until([&] { return holds_advisory_lock(p, 4242); }, 10s));

  std::vector<Child> replicas =
      start_replicas(p, 8, {{"MIGRATION_TIMEOUT_SECONDS", "60"}, {"MIGRATION_LOCK_TIMEOUT", "60s"}});
  std::string holder_pid;
  REQUIRE(wait_until([&] { return (holder_pid = blocked_on(p, 4242)) != "0"; }, 20s));
  std::vector<size_t> waiting = wait_for_replicas(replicas, "waiting for the migration lock", 7, 30s);
  CHECK(waiting.size() == 7);
  for (size_t i : waiting) {
    auto lines = lines_with(replicas[i].err(), "waiting for the migration lock");
    REQUIRE(!lines.empty());
    CHECK(contains(lines[0],
                   " INFO  waiting for the migration lock, held by pid " + holder_pid + " (schemagate, connected "));
  }
  CHECK(p.versions() == "");  // nothing committed while the holder is stuck
  gate.release();

  std::vector<RunResult> results = finish_all(replicas);
  check_all_succeeded(results);
  CHECK(count_with(results, "migrations done applied=30 skipped=0") == 1);
  CHECK(count_with(results, "another runner applied the migrations") == 7);
  CHECK(count_with(results, "migration lock taken") == 7);
  check_applied_once(p, true);
  CHECK(p.advisory_locks() == 0);
}

TEST_CASE("CREATE INDEX CONCURRENTLY in one replica while three others poll for the lock does not deadlock") {
  Project p;
  p.psql("create table big as select g as id, md5(g::text) as s from generate_series(1, 200000) g;");
  p.write("1_gate.sql", migration("select pg_advisory_xact_lock(4243);\ncreate table before_index (x int);"));
  p.write("2_big_s.up.sql", "create index concurrently big_s on big (s);\n");
  p.write("2_big_s.down.sql", "drop index concurrently big_s;\n");
  p.write("3_after.sql", migration("create table after_index (x int);"));

  Holder gate(p, "select pg_advisory_lock(4243); select pg_sleep(60);", "cic_gate");
  REQUIRE(wait_until([&] { return holds_advisory_lock(p, 4243); }, 10s));
  // An open transaction with a snapshot: the index build has to wait for it, which keeps it
  // running (and waiting on transactions) while the other replicas poll.
  Holder snapshot(p, "begin isolation level repeatable read; select count(*) from big; select pg_sleep(60);",
                  "cic_snapshot");
  REQUIRE(snapshot.wait_running("%pg_sleep(60)%", 10s));

  std::vector<Child> replicas =
      start_replicas(p, 4, {{"MIGRATION_TIMEOUT_SECONDS", "60"}, {"MIGRATION_LOCK_TIMEOUT", "60s"}});
  REQUIRE(wait_until([&] { return blocked_on(p, 4243) != "0"; }, 20s));
  CHECK(wait_for_replicas(replicas, "waiting for the migration lock", 3, 30s).size() == 3);
  gate.release();

  // The index build is under way and waiting for the old snapshot, with three replicas polling.
  CHECK(wait_until([&] {
    return p.backends("application_name = 'schemagate' and query ilike 'create index concurrently%' "
                      "and wait_event_type = 'Lock' and wait_event = 'virtualxid'") == 1;
  }, 20s));
  // The others poll; none of them sits blocked on the advisory lock (which would deadlock).
  CHECK(p.backends("application_name = 'schemagate' and wait_event_type = 'Lock' and wait_event = 'advisory'") == 0);
  snapshot.release();

  std::vector<RunResult> results = finish_all(replicas);
  for (const auto& r : results) {
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.err, " ERROR "));
    CHECK(r.seconds < 60);
  }
  CHECK(count_with(results, "running 2 big_s outside a transaction") == 1);
  CHECK(count_with(results, "migrations done applied=3") == 1);
  CHECK(count_with(results, "another runner applied the migrations") == 3);
  CHECK(p.versions() == "1,2,3");
  CHECK(p.psql("select indisvalid, indisready from pg_index where indexrelid = 'big_s'::regclass") == "t|t");
  CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
  CHECK(p.advisory_locks() == 0);
}

TEST_CASE("a replica that cannot get the lock within the migration timeout exits 75") {
  Project p;
  p.write("1_gate.sql", migration("select pg_advisory_xact_lock(4245);\ncreate table gated (x int);"));
  Holder gate(p, "select pg_advisory_lock(4245); select pg_sleep(60);", "timeout_gate");
  REQUIRE(wait_until([&] { return holds_advisory_lock(p, 4245); }, 10s));
  Child holder = p.spawn({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "60s"}});
  std::string holder_pid;
  REQUIRE(wait_until([&] { return (holder_pid = blocked_on(p, 4245)) != "0"; }, 20s));

  RunResult late = p.run({"up"}, {{"MIGRATION_TIMEOUT_SECONDS", "1"}});
  CHECK(late.exit_code == 75);
  CHECK(late.seconds < 10);
  CHECK(contains(late.err, " INFO  waiting for the migration lock, held by pid " + holder_pid));
  CHECK(contains(error_line(late), "timed out waiting for the migration lock (held by pid " + holder_pid + " (schemagate"));
  CHECK_FALSE(contains(late.err, " INFO  applied "));

  gate.release();
  CHECK(holder.finish().exit_code == 0);
  CHECK(p.versions() == "1");
  CHECK(p.exists("gated"));
  CHECK(p.advisory_locks() == 0);
}

TEST_CASE("a replica that starts while another runs a non-transactional migration waits instead of failing") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);"));
  p.write("2_t_x.sql",
          "-- migrate:up transaction:false\nselect pg_advisory_lock(4244);\nselect pg_advisory_unlock(4244);\n"
          "create index concurrently t_x on t (x);\n");
  Holder gate(p, "select pg_advisory_lock(4244); select pg_sleep(60);", "dirty_gate");
  REQUIRE(wait_until([&] { return holds_advisory_lock(p, 4244); }, 10s));
  Child first = p.spawn({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "60s"}});
  REQUIRE(wait_until([&] { return blocked_on(p, 4244) != "0"; }, 20s));
  CHECK(p.psql("select dirty from schema_migrations where version = '2'") == "t");  // mid-way, as designed

  Child second = p.spawn({"up"});
  CHECK(second.wait_for_stderr("waiting for the migration lock", 10s));
  gate.release();
  RunResult first_done = first.finish();
  RunResult second_done = second.finish();
  CHECK(first_done.exit_code == 0);
  CHECK(second_done.exit_code == 0);
  CHECK(contains(second_done.err, "another runner applied the migrations"));
  CHECK(p.versions() == "1,2");
  CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
