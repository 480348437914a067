// Part of the migrate suite: SPEC §1 step 6 and §3's COPY data. Each migration is its own
// transaction, so a history applied in one run leaves the same rows, byte for byte, as psql given
// the files one at a time (what dbmate and golang-migrate do); a pg_dump applied as a migration
// gives back the dump it came from; and psql-only input is refused before anything runs, never
// waited on.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("migrate");

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// pg_dump's plain output for `db` of `cluster`, with the two lines that differ on every dump
// (\restrict and \unrestrict carry a random key) left out. `extra` adds pg_dump options.
std::string dump(PgCluster& cluster, const std::string& db, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{pg_bin("pg_dump"), "-h", cluster.socket_dir(), "-p", std::to_string(cluster.port()),
                                "-U", "postgres", "--no-sync", "-d", db};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunResult result = run(argv);
  if (result.exit_code != 0) throw std::runtime_error("pg_dump " + db + ": " + result.err);
  std::istringstream in(result.out);
  std::string line, kept;
  while (std::getline(in, line))
    if (!line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict ")) kept += line + "\n";
  return kept;
}

// Four migrations whose last numbers rows in the order a scan without ORDER BY meets them. The
// updates before it leave dead row versions; whether a later update can reuse their space (and so
// where rows sit in the heap) depends on whether the earlier update had committed. Applied in one
// transaction, the numbering differs from applying the files one by one.
const std::vector<std::pair<std::string, std::string>> kHeapOrderHistory = {
    {"1_items.up.sql",
     "create table items (id int primary key, v int, pad text) with (fillfactor = 100, autovacuum_enabled = false);\n"
     "insert into items select g, 0, repeat('x', 100) from generate_series(1, 300) g;\n"},
    {"2_touch_all.up.sql", "update items set v = v + 1;\n"},
    {"3_touch_some.up.sql", "update items set v = v + 1 where id % 3 = 0;\n"},
    {"4_number.up.sql",
     "create table numbered (n serial primary key, item int);\n"
     "do $$\ndeclare r record;\nbegin\n  for r in select id from items where v > 0 loop\n"
     "    insert into numbered (item) values (r.id);\n  end loop;\nend $$;\n"},
};

TEST_CASE("a history applied in one run leaves the rows psql leaves given the files one at a time") {
  Project p;
  for (const auto& [name, sql] : kHeapOrderHistory) p.write(name, sql);
  RunResult result = p.run({"up"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.err, "migrations done applied=4"));

  PgCluster& cluster = p.cluster();
  const std::string by_psql = cluster.create_database();
  for (const auto& [name, sql] : kHeapOrderHistory) cluster.psql(by_psql, sql);

  const std::string numbering = "select string_agg(item::text, ',' order by n) from numbered";
  CHECK(p.psql(numbering) == cluster.psql(by_psql, numbering));
  // pg_dump writes each table's rows in heap order: the same dump means the same rows in the same
  // places, not only the same set.
  CHECK(dump(cluster, p.db(), {"--data-only", "--exclude-table=schema_migrations", "--exclude-table=schema_migrations_lock"}) ==
        dump(cluster, by_psql, {"--data-only"}));
}

TEST_CASE("now() is each migration's own: a migration starts after the one before it committed") {
  Project p;
  p.write("1_first.up.sql",
          "create table stamps (version int, started timestamptz, finished timestamptz);\n"
          "insert into stamps values (1, now(), clock_timestamp());\n");
  p.write("2_second.up.sql", "insert into stamps values (2, now(), clock_timestamp());\n");
  REQUIRE(p.run({"up"}).exit_code == 0);
  CHECK(p.psql("select b.started > a.started, b.started >= a.finished from stamps a, stamps b "
               "where a.version = 1 and b.version = 2") == "t|t");
  // The tracking rows' applied_at follow the same clocks.
  CHECK(p.psql("select count(distinct applied_at) from schema_migrations") == "2");
}

TEST_CASE("a pg_dump of a database applied as one migration gives back the same dump") {
  Project source;
  source.psql(R"SQL(
create schema shop;
create sequence shop.ticket_seq start 100;
select setval('shop.ticket_seq', 142);
create table shop.customers (id int generated always as identity primary key, name text not null, note text);
create table shop.orders (id bigserial primary key, customer int not null references shop.customers,
                          placed timestamptz not null default '2026-01-02 03:04:05+00', amount numeric(10, 2),
                          tags text[]);
create index orders_customer on shop.orders (customer);
create view shop.totals as select customer, sum(amount) as total from shop.orders group by customer;
create function shop.bump(i int) returns int language plpgsql as $$ begin return i + 1; end $$;
comment on table shop.orders is 'one row per order; amounts in euros';
insert into shop.customers (name, note) values
  ('Zoë', E'tab\there, newline\nthere, backslash \\ and a line \\.'), ('O''Brien', null), ('plain', '');
insert into shop.orders (customer, amount, tags) values (1, 12.50, '{a,"b c"}'), (2, null, null), (1, 0.01, '{}');
)SQL");
  const std::string original = dump(source.cluster(), source.db());
  REQUIRE(contains(original, "COPY shop.customers (id, name, note) FROM stdin;"));
  REQUIRE(contains(original, "\n\\.\n"));

  Project p;
  // pg_dump's own output, with its \restrict line, is what users put in a first migration.
  RunResult raw = run({pg_bin("pg_dump"), "-h", source.cluster().socket_dir(), "-p",
                       std::to_string(source.cluster().port()), "-U", "postgres", "-d", source.db()});
  REQUIRE(raw.exit_code == 0);
  p.write("1_baseline.up.sql", raw.out);
  p.write("2_more.up.sql", "insert into shop.orders (customer, amount) values (3, 7);\n");
  RunResult result = p.run({"up"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(p.versions() == "1,2");
  CHECK(p.psql("select count(*), sum(amount) from shop.orders") == "4|19.51");

  source.psql("insert into shop.orders (customer, amount) values (3, 7);");
  CHECK(dump(p.cluster(), p.db(), {"--exclude-table=schema_migrations", "--exclude-table=schema_migrations_lock"}) == dump(source.cluster(), source.db()));
}

TEST_CASE("psql-only input is 65 naming its file and line before any migration runs") {
  struct Case {
    std::string sql;
    int line;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"create table b (x int);\ncopy b to stdout;\n", 2, ": COPY ... TO STDOUT sends its rows to psql"},
      {"create table b (x int);\n\ncopy b from stdin;\n1\n2\n", 3, ": COPY ... FROM STDIN has no line \\. ending"},
      {"create table b (x int);\n\\set ON_ERROR_STOP on\n", 2, ": psql's \\set is not SQL"},
      {"create table b (x int);\ncopy b from stdin; select 1;\n1\n\\.\n", 2, ": text follows COPY ... FROM STDIN"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.sql);
    Project p;
    p.write("1_a.up.sql", "create table a (x int);\n");
    p.write("2_b.up.sql", c.sql);
    RunResult result = p.run({"up"});
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), p.file("2_b.up.sql") + ":" + std::to_string(c.line) + ":"));
    CHECK(contains(error_line(result), c.why));
    CHECK_FALSE(p.exists("a"));
    CHECK_FALSE(p.exists("b"));
  }
}

TEST_CASE("COPY data waiting for a locked table: the migration timeout (75) and SIGTERM (143) end it") {
  Project p;
  p.psql("create table t (x int);");
  p.write("1_load.up.sql", "copy t (x) from stdin;\n1\n2\n\\.\n");
  {
    INFO("the timeout");
    Holder holder(p, kLockTableT);
    REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
    auto started = Clock::now();
    RunResult result = p.run({"up"}, {{"MIGRATION_TIMEOUT_SECONDS", "2"}, {"MIGRATION_LOCK_TIMEOUT", "60s"}});
    CHECK(result.exit_code == 75);
    CHECK(seconds_since(started) < 4.0);
    CHECK(contains(error_line(result), "out of time (migrations.timeout) while applying 1 load"));
  }
  CHECK(p.psql("select count(*) from t") == "0");
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  {
    INFO("SIGTERM");
    Holder holder(p, kLockTableT);
    REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
    Child child = p.spawn({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "60s"}});
    REQUIRE(wait_until([&] { return p.backends("application_name = 'schemagate' and wait_event_type = 'Lock'") == 1; },
                       20s));
    auto signalled = Clock::now();
    child.signal(SIGTERM);
    RunResult result = child.finish();
    CHECK(result.exit_code == 128 + SIGTERM);
    CHECK(seconds_since(signalled) < 2.0);
    CHECK(contains(error_line(result), "stopped by signal 15"));
  }
  CHECK(wait_until([&] { return runner_gone(p); }, 5s));
  REQUIRE(p.run({"up"}).exit_code == 0);
  CHECK(p.psql("select string_agg(x::text, ',' order by x) from t") == "1,2");
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
