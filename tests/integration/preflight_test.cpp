// SPEC §1 step 5b, pre-flight, through the built binary against a real server: sizes from the live
// catalog in the findings, tables created earlier in the run left alone, a SET NOT NULL over NULLs
// predicted to fail (and not after a backfill), MIGRATIONS_PREFLIGHT=block refusing before anything
// is applied, and an acknowledged finding that no longer blocks.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("preflight");

// A table of `rows` rows, analysed, so the catalog knows its size as a live one would.
void big_table(const Project& p, const std::string& name, int rows) {
  p.psql("create table " + name + " (id int primary key, c int, note text); insert into " + name +
         " select g, g % 7, repeat('x', 40) from generate_series(1, " + std::to_string(rows) + ") g; analyze " + name +
         ";");
}

TEST_CASE("a finding names the table's live size; a table created earlier in the run is not flagged") {
  Project p;
  big_table(p, "orders", 200000);
  p.write("1_fresh.sql", migration("create table fresh (a int);"));
  p.write("2_indexes.sql", migration("create index fresh_a on fresh (a);\ncreate index orders_c on orders (c);"));
  RunResult result = p.run({"up"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto lines = lines_with(result.err, "pre-flight: ");
  REQUIRE(lines.size() == 1);
  CHECK(contains(lines[0], " INFO  pre-flight: " + p.file("2_indexes.sql") +
                               ":3:1: create index orders_c on orders (c) blocks writes to orders while the index "
                               "builds (SHARE lock); use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction block) "
                               "[orders: 200.0k rows, "));
  CHECK(contains(lines[0], " MB] [create-index-blocks-writes]"));
  CHECK(p.versions() == "1,2");
}

TEST_CASE("SET NOT NULL over NULLs: block mode refuses before anything is applied, warn mode says so and goes on") {
  auto write = [](const Project& p) {
    p.psql("create table accounts (id int, email text); insert into accounts values (1, 'a'), (2, null), (3, null), "
           "(4, null), (5, 'e');");
    p.write("1_before.sql", migration("create table other (x int);"));
    p.write("2_strict.sql", migration("alter table accounts alter column email set not null;"));
  };
  {
    INFO("block");
    Project p;
    write(p);
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), "pre-flight (MIGRATIONS_PREFLIGHT=block): 1 finding(s) over the line, nothing "
                                       "was applied; the first: " + p.file("2_strict.sql") +
                                       ":2:1: SET NOT NULL on accounts.email will fail: the column holds 3 NULLs"));
    CHECK(p.versions() == "-");
    CHECK_FALSE(p.exists("other"));
  }
  {
    INFO("warn: the prediction is logged, then the statement fails as predicted");
    Project p;
    write(p);
    RunResult result = p.run({"up"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.err, " WARN  pre-flight: " + p.file("2_strict.sql") +
                                   ":2:1: SET NOT NULL on accounts.email will fail: the column holds 3 NULLs"));
    CHECK(contains(error_line(result), "23502"));
    CHECK(p.versions() == "1");
  }
  {
    INFO("a backfill earlier in the run: no prediction, and block mode applies it");
    Project p;
    write(p);
    p.write("1_before.sql", migration("update accounts set email = 'unknown' where email is null;"));
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK_MESSAGE(result.exit_code == 0, result.err);
    CHECK_FALSE(contains(result.err, "set-not-null-fails"));
    CHECK(p.versions() == "1,2");
  }
}

TEST_CASE("UNIQUE over duplicates is predicted to fail, concurrently too; not after the duplicates are deleted") {
  auto write = [](const Project& p) {
    p.psql("create table users (id int, email text); insert into users values (1, 'a'), (2, 'b'), (3, 'a'), "
           "(4, 'c'), (5, 'c'), (6, null), (7, null);");
  };
  {
    INFO("block: 65, nothing applied");
    Project p;
    write(p);
    p.write("1_unique.sql", migration("alter table users add constraint users_email unique (email);"));
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), p.file("1_unique.sql") + ":2:1: alter table users add constraint users_email "
                                       "unique (email) will fail: 2 value(s) of (email) in users appear more than "
                                       "once; clean the data first, in an earlier statement [unique-fails]"));
    CHECK(p.versions() == "-");
  }
  {
    INFO("warn, CREATE UNIQUE INDEX CONCURRENTLY: predicted, then it fails as predicted");
    Project p;
    write(p);
    p.write("1_unique.sql", "-- migrate:up transaction:false\ncreate unique index concurrently users_email on users (email);\n");
    RunResult result = p.run({"up"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.err, " WARN  pre-flight: " + p.file("1_unique.sql") + ":2:1: create unique index "
                               "concurrently users_email on users (email) will fail: 2 value(s) of (email)"));
  }
  {
    INFO("a primary key: duplicates and NULLs; after a cleanup in an earlier migration, nothing");
    Project p;
    write(p);
    p.write("1_pk.sql", migration("alter table users add primary key (email);"));
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), "2 value(s) of (email) in users appear more than once and 2 row(s) hold a NULL key"));
    p.write("0_clean.sql", migration("delete from users where email is null or id in (3, 5);"));
    RunResult cleaned = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK_MESSAGE(cleaned.exit_code == 0, cleaned.err);
    CHECK_FALSE(contains(cleaned.err, "unique-fails"));
    CHECK(p.versions() == "0,1");
  }
}

TEST_CASE("block mode: a blocking lock on a table over MIGRATIONS_PREFLIGHT_MAX_ROWS is 65; acknowledged it runs") {
  Project p;
  big_table(p, "events", 5000);
  p.write("1_first.sql", migration("create table first (x int);"));
  p.write("2_index.sql", migration("create index events_c on events (c);"));
  const std::map<std::string, std::string> block = {{"MIGRATIONS_PREFLIGHT", "block"},
                                                    {"MIGRATIONS_PREFLIGHT_MAX_ROWS", "1k"}};
  // --dry-run shows what a real run would say, and changes nothing.
  RunResult dry = p.run({"up", "--dry-run"}, block);
  CHECK(dry.exit_code == 65);
  CHECK(contains(error_line(dry), p.file("2_index.sql") + ":2:1: create index events_c on events (c) blocks writes"));
  CHECK(dry.out == "");
  RunResult dry_warn = p.run({"up", "--dry-run"}, {{"MIGRATIONS_PREFLIGHT_MAX_ROWS", "1k"}});
  CHECK(dry_warn.exit_code == 0);
  CHECK(contains(dry_warn.err, " WARN  pre-flight: " + p.file("2_index.sql") + ":2:1: create index events_c"));
  CHECK(contains(dry_warn.out, "-- 2 pending migration(s); nothing is applied (--dry-run)\n"));
  CHECK(p.versions() == "-");

  RunResult refused = p.run({"up"}, block);
  CHECK(refused.exit_code == 65);
  CHECK(contains(error_line(refused), "the first: " + p.file("2_index.sql") + ":2:1: create index events_c on events (c) "
                                      "blocks writes to events"));
  CHECK(contains(error_line(refused), "[events: 5.0k rows, "));
  CHECK(p.versions() == "-");

  p.write("2_index.sql", migration("-- schemagate:ack create-index-blocks-writes\ncreate index events_c on events (c);"));
  RunResult acked = p.run({"up"}, block);
  CHECK_MESSAGE(acked.exit_code == 0, acked.err);
  CHECK(contains(acked.err, "[create-index-blocks-writes] (acknowledged)"));
  CHECK(p.versions() == "1,2");
}

TEST_CASE("MIGRATIONS_PREFLIGHT=off says nothing; a start with nothing pending runs no pre-flight") {
  Project p;
  big_table(p, "items", 100);
  p.write("1_index.sql", migration("create index items_c on items (c);"));
  RunResult off = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "off"}});
  CHECK(off.exit_code == 0);
  CHECK_FALSE(contains(off.err, "pre-flight"));
  RunResult again = p.run({});
  CHECK(again.exit_code == 0);
  CHECK_FALSE(contains(again.err, "pre-flight"));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
