// SPEC §1 step 4 through a real PgBouncer (Debian's 1.18) in front of a throwaway cluster: in
// transaction pooling a session-level advisory lock lands on whichever server session the pooler
// picked, so MIGRATIONS_LOCK=auto takes a lease row that holds through it; session pooling keeps a
// client on one server session and is treated as a direct connection. The lease's takeover after
// a runner dies, and its fence, are here too.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pgbouncer.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

using namespace std::chrono_literals;

TEST_SUITE_BEGIN("pooler");

const std::string kTransactionPooler = "connected through a transaction-mode pooler (two connections share one server "
                                       "backend): the migration lease is the lock";

// `count` migrations, each creating its table and writing its version into `ran`: a migration
// applied twice leaves its version there twice (or fails on its table).
void write_counted(const Project& p, int count) {
  p.psql("create table ran (version int not null)");
  for (int i = 1; i <= count; ++i)
    p.write(std::to_string(i) + "_m.sql",
            migration("create table t" + std::to_string(i) + " (x int);\ninsert into ran values (" + std::to_string(i) +
                      ");"));
}

std::vector<Child> start_runners(const Project& p, int count, const std::map<std::string, std::string>& env) {
  std::vector<Child> runners;
  for (int i = 0; i < count; ++i) runners.push_back(p.spawn({"up"}, env));
  return runners;
}

TEST_CASE("through a transaction-mode PgBouncer, eight runners started together apply 50 migrations, each once") {
  PgCluster cluster;
  // PgBouncer's default pool size: idle server sessions to spare.
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction, "pooled", "pooled-pw", 20);
  Project p(cluster);
  write_counted(p, 50);
  auto runners = start_runners(p, 8, {{"DATABASE_URL", bouncer.url(p.db())}});
  int detected = 0;
  for (auto& r : runners) {
    RunResult result = r.finish();
    CHECK_MESSAGE(result.exit_code == 0, result.err);
    if (contains(result.err, kTransactionPooler)) ++detected;
  }
  CHECK(detected >= 1);
  CHECK(p.scalar("select count(*) || ' ' || count(distinct version) from ran") == "50 50");
  CHECK(p.scalar("select count(*) from schema_migrations") == "50");
  CHECK(p.scalar("select count(*) from schema_migrations_lock") == "0");  // given back
  // Busy with the others, the pooler can hand a runner's second connection another backend, as
  // session mode would: no advisory lock may be taken on that say-so and left on a server session.
  CHECK(p.advisory_locks() == 0);
}

TEST_CASE("a CREATE INDEX CONCURRENTLY migration through the pooler while other runners wait: no deadlock") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction);
  Project p(cluster);
  p.write("1_big.sql", migration("create table big (x int);\ninsert into big select g from generate_series(1, 20000) g;"));
  p.write("2_index.sql", "-- migrate:up transaction:false\ncreate index concurrently big_x on big (x);\n");
  p.write("3_after.sql", migration("create table after_index (x int);"));
  auto runners = start_runners(p, 4, {{"DATABASE_URL", bouncer.url(p.db())}});
  for (auto& r : runners) {
    RunResult result = r.finish();
    CHECK_MESSAGE(result.exit_code == 0, result.err);
  }
  CHECK(p.scalar("select indisvalid from pg_index where indexrelid = 'big_x'::regclass") == "t");
  CHECK(p.versions() == "1,2,3");
}

TEST_CASE("a runner killed while it holds the lease: the next one takes over once the lease has run out") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction);
  Project p(cluster);
  p.write("1_slow.sql", migration("select pg_advisory_xact_lock(4251);\ncreate table slow (x int);"));
  p.write("2_next.sql", migration("create table next_one (x int);"));
  const std::map<std::string, std::string> env = {{"DATABASE_URL", bouncer.url(p.db())}};
  Holder gate(p, "select pg_advisory_lock(4251); select pg_sleep(60);", "pooler_gate");
  REQUIRE(gate.wait_running("%pg_sleep(60)%", 10s));
  Child first = p.spawn({"up"}, env);
  REQUIRE(wait_until([&] { return p.backends("wait_event_type = 'Lock' and wait_event = 'advisory'") == 1; }, 20s));
  first.signal(SIGKILL);
  first.finish();
  REQUIRE(p.scalar("select count(*) from schema_migrations_lock") == "1");

  // The next runner waits for the lease nobody renews any more, then takes it over; what the
  // killed runner had sent may still be waiting on the server, and its fence no longer passes.
  Child next = p.spawn({"up"}, env);
  CHECK(next.wait_for_stderr(" INFO  waiting for the migration lock, held by pid ", 10s));
  REQUIRE_MESSAGE(next.wait_for_stderr(" WARN  took over the migration lock from pid ", 30s), next.err());
  CHECK(contains(next.err(), "whose lease had run out (it stopped without giving it back)"));
  gate.release();
  RunResult result = next.finish();
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(p.versions() == "1,2");
  CHECK(p.scalar("select count(*) from schema_migrations_lock") == "0");
}

TEST_CASE("a runner whose lease was taken over records nothing: its migration rolls back at the fence") {
  Project p;
  p.write("1_slow.sql", migration("select pg_advisory_xact_lock(4252);\ncreate table slow (x int);"));
  Holder gate(p, "select pg_advisory_lock(4252); select pg_sleep(60);", "fence_gate");
  REQUIRE(gate.wait_running("%pg_sleep(60)%", 10s));
  Child runner = p.spawn({"up"}, {{"MIGRATIONS_LOCK", "table"}});
  REQUIRE(wait_until([&] { return p.backends("wait_event_type = 'Lock' and wait_event = 'advisory'") == 1; }, 20s));
  // Another runner took it over (as after this one's lease ran out unrenewed).
  p.psql("update schema_migrations_lock set holder = 'another', held_by = 'another runner', "
         "expires_at = now() + interval '1 minute'");
  gate.release();
  RunResult result = runner.finish();
  CHECK(result.exit_code == 1);
  CHECK(contains(error_line(result), "this runner no longer holds the migration lease on "
                                     "\"public\".\"schema_migrations_lock\": it expired or another runner took it "
                                     "over; nothing more is recorded"));
  CHECK(p.versions() == "");
  CHECK_FALSE(p.exists("slow"));
}

// What a client of the pooler sees, as the app would: `sql` through `url` with psql.
std::string through(const std::string& url, const std::string& sql) {
  RunResult result = run({kPsql, "-X", "-A", "-t", "-q", "-d", url, "-c", sql});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  while (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
  return result.out;
}

TEST_CASE("through a transaction-mode pooler, every migration carries schemagate's settings, and nothing SET "
          "stays on the server session the app is handed next") {
  PgCluster cluster;
  // One server session: whatever a client leaves on it, the next client gets.
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction, "pooled", "pooled-pw", 1);
  Project p(cluster);
  const std::string url = bouncer.url(p.db());
  const std::string before = through(url, "show lock_timeout; show search_path; show statement_timeout");
  // Each kind of migration says what it ran under; the first ends as pg_dump's header begins, with
  // session SETs of the search_path and timeouts.
  auto record = [&](const std::string& what) {
    return "insert into public.seen values ('" + what +
           "', current_setting('lock_timeout'), current_setting('client_connection_check_interval'));";
  };
  p.write("1_dump.sql", migration("create table public.seen (what text, lock_timeout text, check_interval text);\n" +
                                  record("transaction") +
                                  "\nselect pg_catalog.set_config('search_path', '', false);\n"
                                  "set statement_timeout = 0;\nset lock_timeout = '42s';"));
  p.write("2_own.sql", migration("BEGIN;\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n" + record("own") +
                                 "\nset search_path = '';\nCOMMIT;"));
  p.write("3_outside.sql", "-- migrate:up transaction:false\ncreate index concurrently seen_what on public.seen (what);\n"
                           "BEGIN;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n" + record("block one") +
                           "\nCOMMIT;\nBEGIN;\n" + record("block two") + "\nCOMMIT;\n");
  p.write("4_after.sql", migration(record("after") + "\nset search_path = '';\nset statement_timeout = '1min';"));
  RunResult result = p.run({"up"}, {{"DATABASE_URL", url}, {"MIGRATION_LOCK_TIMEOUT", "7s"}});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.err, kTransactionPooler));
  CHECK(p.versions() == "1,2,3,4");
  CHECK(p.scalar("select string_agg(what || ' ' || lock_timeout || ' ' || check_interval, ', ' order by what) "
                 "from seen") == "after 7s 1s, block one 7s 1s, block two 7s 1s, own 7s 1s, transaction 7s 1s");
  // The one server session, as the app gets it now.
  CHECK(through(url, "show lock_timeout; show search_path; show statement_timeout") == before);
  CHECK(through(url, "select coalesce(current_setting('schemagate.mark', true), '') = ''") == "t");
  CHECK(through(url, "show client_connection_check_interval") == "0");
}

TEST_CASE("through a pooler, CREATE INDEX CONCURRENTLY waits out an older transaction whatever lock_timeout the "
          "role has, and the role's setting is what the server session keeps") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction);
  Project p(cluster);
  p.psql("alter role pooled set lock_timeout = '1s'; create table big (x int)");
  p.write("1_index.sql", "-- migrate:up transaction:false\ncreate index concurrently big_x on big (x);\n");
  // An older transaction the index build must wait for.
  Holder older(p, "begin; select txid_current(); select pg_sleep(60);");
  REQUIRE(older.wait_running("%pg_sleep%", 10s));
  Child runner = p.spawn({"up"}, {{"DATABASE_URL", bouncer.url(p.db())}});
  // Waiting past the role's lock_timeout, twice over.
  CHECK(wait_until(
      [&] {
        return p.backends("query like 'create index concurrently%' and wait_event_type = 'Lock' and "
                          "now() - query_start > interval '2 s'") == 1;
      },
      20s));
  older.release();
  RunResult result = runner.finish();
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(p.scalar("select indisvalid from pg_index where indexrelid = 'big_x'::regclass") == "t");
  CHECK(through(bouncer.url(p.db()), "show lock_timeout") == "1s");
}

TEST_CASE("MIGRATIONS_LOCK=advisory forced through a transaction-mode pooler: said, and taken as asked") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction);
  Project p(cluster);
  p.write("1_a.sql", migration("create table a (x int);"));
  RunResult result = p.run({"up"}, {{"DATABASE_URL", bouncer.url(p.db())}, {"MIGRATIONS_LOCK", "advisory"}});
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.err, " WARN  connected through a pooler, and MIGRATIONS_LOCK=advisory: a session advisory "
                             "lock holds only while the pooler keeps this client on one server session"));
  CHECK_FALSE(p.exists("schema_migrations_lock"));
}

TEST_CASE("through a session-mode PgBouncer the lease alone, as through any pooler, and the mode said with its doubt") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::session);
  Project p(cluster);
  write_counted(p, 5);
  auto runners = start_runners(p, 3, {{"DATABASE_URL", bouncer.url(p.db())}});
  int said = 0;
  for (auto& r : runners) {
    RunResult result = r.finish();
    CHECK_MESSAGE(result.exit_code == 0, result.err);
    CHECK_FALSE(contains(result.err, "transaction-mode pooler"));
    if (contains(result.err, " INFO  connected through a pooler (a second connection was handed another server "
                             "backend: session mode, or transaction mode busy with other clients): the migration "
                             "lease is the lock"))
      ++said;
  }
  CHECK(said >= 1);
  CHECK(p.scalar("select count(*) || ' ' || count(distinct version) from ran") == "5 5");
  CHECK(p.advisory_locks() == 0);
}

TEST_CASE("a direct connection: no pooler is reported, and both locks are taken and given back") {
  Project p;
  p.write("1_a.sql", migration("select pg_advisory_xact_lock(4253);\ncreate table a (x int);"));
  Holder gate(p, "select pg_advisory_lock(4253); select pg_sleep(60);", "direct_gate");
  REQUIRE(gate.wait_running("%pg_sleep(60)%", 10s));
  Child runner = p.spawn({"up"});
  REQUIRE(wait_until([&] { return p.backends("wait_event_type = 'Lock' and wait_event = 'advisory'") == 1; }, 20s));
  // While it migrates: its lease row, and the advisory lock on its own session.
  CHECK(p.scalar("select count(*) from schema_migrations_lock where expires_at > now()") == "1");
  CHECK(p.backends("application_name = 'schemagate' and pid in (select pid from pg_locks where locktype = "
                   "'advisory' and granted)") == 1);
  gate.release();
  RunResult result = runner.finish();
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK_FALSE(contains(result.err, "pooler"));
  CHECK(p.scalar("select count(*) from schema_migrations_lock") == "0");
}

TEST_CASE("MIGRATIONS_DATABASE_URL direct beside a pooled DATABASE_URL: wait and verify through the pooler, the "
          "migrations direct, and a start with nothing pending never opens it") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction);
  Project p(cluster);
  p.write("1_a.sql", migration("create table a (x int);"));
  const std::string pooler = "127.0.0.1:" + std::to_string(bouncer.port()) + "/" + p.db();
  const std::string direct = "127.0.0.1:" + std::to_string(cluster.port()) + "/" + p.db();
  RunResult first = p.run({}, {{"DATABASE_URL", bouncer.url(p.db())},
                               {"MIGRATIONS_DATABASE_URL", cluster.url(p.db())},
                               {"CRITICAL_TABLES", "a"}});
  CHECK_MESSAGE(first.exit_code == 0, first.err);
  auto ready = lines_with(first.err, " INFO  database ready db=");
  REQUIRE(ready.size() == 2);
  CHECK(contains(ready[0], "db=pooled@" + pooler));  // the wait: the app's URL
  CHECK(contains(first.err, " INFO  connecting for migrations (MIGRATIONS_DATABASE_URL)"));
  CHECK(contains(ready[1], "db=postgres@" + direct));  // lock, plan, apply
  CHECK_FALSE(contains(first.err, "pooler"));  // the lock was taken on the direct session
  CHECK(p.versions() == "1");

  // Nothing pending: only DATABASE_URL is opened (this one leads nowhere and is never tried).
  ClosedPort nowhere;
  p.write("2_b.sql", migration("create table b (x int);"));
  RunResult applied = p.run({"up"}, {{"DATABASE_URL", bouncer.url(p.db())}, {"MIGRATIONS_DATABASE_URL", cluster.url(p.db())}});
  REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  RunResult noop = p.run({}, {{"DATABASE_URL", bouncer.url(p.db())}, {"MIGRATIONS_DATABASE_URL", nowhere.url(p.db())}});
  CHECK_MESSAGE(noop.exit_code == 0, noop.err);
  CHECK_FALSE(contains(noop.err, "connecting for migrations"));
  CHECK(lines_with(noop.err, " INFO  database ready db=").size() == 1);
}

TEST_CASE("MIGRATE_COMMAND is given MIGRATIONS_DATABASE_URL as its DATABASE_URL") {
  PgCluster cluster;
  PgBouncer bouncer(cluster, PgBouncer::Mode::transaction);
  Project p(cluster);
  RunResult result = p.run({}, {{"DATABASE_URL", bouncer.url(p.db())},
                                {"MIGRATIONS_DATABASE_URL", cluster.url(p.db())},
                                {"MIGRATE_COMMAND", "sh -c 'echo \"target ${DATABASE_URL##*@}\"'"}});
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.err, "target 127.0.0.1:" + std::to_string(cluster.port()) + "/" + p.db()));
  CHECK(contains(result.err, " INFO  connecting for migrations (MIGRATIONS_DATABASE_URL)"));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
