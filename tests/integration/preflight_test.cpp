// SPEC §1 step 5b, pre-flight, through the built binary against a real server: sizes from the live
// catalog in the findings, tables created earlier in the run left alone, a SET NOT NULL over NULLs
// predicted to fail (and not after a backfill), MIGRATIONS_PREFLIGHT=block refusing before anything
// is applied, and an acknowledged finding that no longer blocks.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "support/files.h"
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

TEST_CASE("ADD FOREIGN KEY over orphans is predicted to fail; not once the parents are inserted earlier in the run") {
  auto write = [](const Project& p) {
    p.psql("create table customers (id int primary key); insert into customers values (1), (2);"
           "create table orders (id int, customer_id int); insert into orders values (1, 1), (2, 3), (3, 4), (4, null);");
  };
  {
    INFO("block: 65, naming the orphans; REFERENCES with no columns is the primary key");
    Project p;
    write(p);
    p.write("1_first.sql", migration("create table other (x int);"));
    p.write("2_fk.sql", migration("alter table orders add constraint orders_customer foreign key (customer_id) "
                                  "references customers;"));
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), p.file("2_fk.sql") + ":2:1: alter table orders add constraint orders_customer "
                                       "foreign key (customer_id) r... will fail: 2 row(s) of orders "
                                       "reference no row of customers (customer_id); add the rows they reference, "
                                       "or fix them, in an earlier statement [foreign-key-fails]"));
    CHECK(p.versions() == "-");
    // And in warn mode the statement fails as predicted, the earlier migration applied.
    RunResult warned = p.run({"up"});
    CHECK(warned.exit_code == 1);
    CHECK(contains(warned.err, " WARN  pre-flight: " + p.file("2_fk.sql") + ":2:1: alter table orders"));
    CHECK(contains(error_line(warned), "23503"));
    CHECK(p.versions() == "1");
  }
  {
    INFO("the missing parents inserted by an earlier migration: no prediction, applied in block mode");
    Project p;
    write(p);
    p.write("1_parents.sql", migration("insert into customers values (3), (4);"));
    p.write("2_fk.sql", migration("alter table orders add foreign key (customer_id) references customers (id);"));
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK_MESSAGE(result.exit_code == 0, result.err);
    CHECK_FALSE(contains(result.err, "foreign-key-fails"));
    CHECK(p.versions() == "1,2");
  }
  {
    INFO("NOT VALID checks nothing now; its VALIDATE CONSTRAINT later in the run does");
    Project p;
    write(p);
    p.write("1_fk.sql", migration("alter table orders add constraint o_c foreign key (customer_id) references customers (id) not valid;"));
    p.write("2_validate.sql", migration("alter table orders validate constraint o_c;"));
    RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
    CHECK(result.exit_code == 65);
    CHECK(contains(error_line(result), "the first: " + p.file("2_validate.sql") + ":2:1: alter table orders validate "
                                       "constraint o_c will fail: 2 row(s) of orders reference no row of customers"));
    CHECK_FALSE(contains(result.err, p.file("1_fk.sql") + ":"));
    CHECK(p.versions() == "-");
  }
}

TEST_CASE("VALIDATE CONSTRAINT of a foreign key or a CHECK already in the catalog, over rows that break it") {
  Project p;
  p.psql("create schema shop; create table shop.customers (\"Id\" int primary key); insert into shop.customers values (1);"
         "create table shop.orders (id int, amount int, cust int);"
         "insert into shop.orders values (1, 5, 1), (2, -1, 2), (3, -2, 2), (4, 0, 9);"
         "alter table shop.orders add constraint orders_cust foreign key (cust) references shop.customers not valid;"
         "alter table shop.orders add constraint amount_positive check (amount >= 0) not valid;");
  p.write("1_validate.sql", migration("alter table shop.orders validate constraint orders_cust;\n"
                                      "alter table shop.orders validate constraint amount_positive;"));
  RunResult result = p.run({"up", "--dry-run"});
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, " WARN  pre-flight: " + p.file("1_validate.sql") + ":2:1: alter table shop.orders validate "
                             "constraint orders_cust will fail: 3 row(s) of shop.orders reference no row of "
                             "shop.customers (cust); add the rows they reference, or fix them, in an earlier statement "
                             "[foreign-key-fails]"));
  CHECK(contains(result.err, " WARN  pre-flight: " + p.file("1_validate.sql") + ":3:1: alter table shop.orders validate "
                             "constraint amount_positive will fail: 2 row(s) of shop.orders break CHECK ((amount >= 0)); "
                             "fix them first, in an earlier statement [check-fails]"));
  // Fixed by an earlier migration: nothing said, and it applies.
  p.write("0_fix.sql", migration("update shop.orders set amount = 0 where amount < 0;\n"
                                 "insert into shop.customers values (2), (9);"));
  RunResult fixed = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
  CHECK_MESSAGE(fixed.exit_code == 0, fixed.err);
  CHECK_FALSE(contains(fixed.err, "-fails]"));
  CHECK(p.versions() == "0,1");
}

TEST_CASE("ADD COLUMN NOT NULL with no default is predicted to fail on a table with rows, not on an empty one") {
  Project p;
  p.psql("create table subs (id int); insert into subs values (1), (2); create table empty_subs (id int);");
  p.write("1_required.sql", migration("alter table empty_subs add column product_id text not null;\n"
                                      "alter table subs add column product_id text not null;"));
  RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
  CHECK(result.exit_code == 65);
  CHECK(contains(error_line(result), "1 finding(s) over the line, nothing was applied; the first: " +
                                     p.file("1_required.sql") + ":3:1: alter table subs add column product_id text not "
                                     "null will fail: subs has rows, and the new column product_id would be NULL in "
                                     "each; give it a default, or add it nullable, fill it, then SET NOT NULL "
                                     "[add-column-not-null-fails]"));
  CHECK(p.scalar("select count(*) from information_schema.columns where column_name = 'product_id'") == "0");
  p.write("1_required.sql", migration("alter table empty_subs add column product_id text not null;\n"
                                      "alter table subs add column product_id text not null default 'none';"));
  RunResult fixed = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
  CHECK_MESSAGE(fixed.exit_code == 0, fixed.err);
  CHECK(p.versions() == "1");
}

TEST_CASE("ALTER COLUMN TYPE that PostgreSQL makes in the catalog alone is no finding at start-up; a rewrite is") {
  Project p;
  big_table(p, "docs", 2000);
  p.psql("alter table docs add column title varchar(50), add column price numeric(8, 2), add column body text;");
  p.write("1_types.sql", migration("alter table docs alter column title type varchar(300);\n"
                                   "alter table docs alter column title type text;\n"
                                   "alter table docs alter column price type numeric(12, 2);\n"
                                   "alter table docs alter column body type varchar;\n"
                                   "alter table docs alter column price type numeric(12, 3);\n"
                                   "alter table docs alter column c type bigint;"));
  const std::map<std::string, std::string> strict = {{"MIGRATIONS_PREFLIGHT_MAX_ROWS", "100"}};
  RunResult result = p.run({"up", "--dry-run"}, strict);
  CHECK(result.exit_code == 0);
  auto lines = lines_with(result.err, "[alter-column-type-rewrites]");
  REQUIRE(lines.size() == 2);
  CHECK(contains(lines[0], p.file("1_types.sql") + ":6:1: alter table docs alter column price type numeric(12, 3) rewrites"));
  CHECK(contains(lines[1], p.file("1_types.sql") + ":7:1: alter table docs alter column c type bigint rewrites"));
  // Offline, lint cannot know the column's type now: each is a warning there.
  RunResult offline = p.run({"lint"});
  CHECK(lines_with(offline.out, "[alter-column-type-rewrites]").size() == 6);
  // And the catalog-only changes indeed keep the table's file: no rewrite.
  const std::string before = p.scalar("select pg_relation_filenode('docs')");
  p.write("1_types.sql", migration("alter table docs alter column title type varchar(300);\n"
                                   "alter table docs alter column title type text;\n"
                                   "alter table docs alter column price type numeric(12, 2);\n"
                                   "alter table docs alter column body type varchar;"));
  RunResult applied = p.run({"up"}, strict);
  CHECK_MESSAGE(applied.exit_code == 0, applied.err);
  CHECK_FALSE(contains(applied.err, "[alter-column-type-rewrites]"));
  CHECK(p.scalar("select pg_relation_filenode('docs')") == before);
}

TEST_CASE("ADD CHECK without NOT VALID over rows that break it is predicted to fail; NOT VALID is not") {
  Project p;
  p.psql("create table b (id int primary key, t text); insert into b values (1, 'ok'), (2, 'bad'), (3, null);");
  p.write("1_check.sql", migration("ALTER TABLE b ADD CONSTRAINT b_t CHECK (t IN ('ok'));"));
  RunResult result = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
  CHECK(result.exit_code == 65);
  CHECK(contains(error_line(result), p.file("1_check.sql") + ":2:1: ALTER TABLE b ADD CONSTRAINT b_t CHECK (t IN ('ok')) "
                                     "will fail: 1 row(s) of b break CHECK (t IN ('ok')); fix them first, in an "
                                     "earlier statement [check-fails]"));
  p.write("1_check.sql", migration("ALTER TABLE b ADD CONSTRAINT b_t CHECK (t IN ('ok')) NOT VALID;"));
  RunResult not_valid = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}});
  CHECK_MESSAGE(not_valid.exit_code == 0, not_valid.err);
  CHECK_FALSE(contains(not_valid.err, "check-fails"));
}

TEST_CASE("columns added earlier in the run: their type changes judged by the type they were added with, no "
          "finding for renaming them, and a check that names them says why it is skipped") {
  Project p;
  big_table(p, "task", 3000);
  p.write("1_cols.sql", migration("alter table task add column vendor_type varchar(16);\n"
                                  "alter table task alter column vendor_type type varchar(64);\n"
                                  "alter table task add column n int;\n"
                                  "alter table task alter column n type bigint;\n"
                                  "alter table task rename column vendor_type to vendor_kind;\n"
                                  "alter table task add column ns text not null default 'd';\n"
                                  "alter table task add constraint task_ns unique (ns, id);"));
  RunResult result = p.run({"up", "--dry-run"}, {{"MIGRATIONS_PREFLIGHT_MAX_ROWS", "100"}});
  CHECK(result.exit_code == 0);
  auto types = lines_with(result.err, "[alter-column-type-rewrites]");
  REQUIRE(types.size() == 1);
  CHECK(contains(types[0], p.file("1_cols.sql") + ":5:1: alter table task alter column n type bigint"));
  CHECK_FALSE(contains(result.err, "[rename-column]"));
  CHECK(contains(result.err, " INFO  pre-flight: " + p.file("1_cols.sql") + ":8:1: duplicates in task not checked: it "
                             "names a column that is not there yet (added earlier in the run?)"));
}

TEST_CASE("a data check after a statement that may change the rows is skipped, and the log says so") {
  Project p;
  p.psql("create table s (a int, b int); insert into s values (1, 1), (1, 1);");
  p.write("1_do.sql", migration("DO $$ BEGIN PERFORM 1; END $$;\nALTER TABLE s ADD CONSTRAINT s_ab UNIQUE (a, b);"));
  RunResult result = p.run({"up", "--dry-run"});
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, "unique-fails"));
  CHECK(contains(result.err, " INFO  pre-flight: " + p.file("1_do.sql") + ":3:1: not checked against the data: an "
                             "earlier pending statement may change the rows of s"));
}

TEST_CASE("block mode: a table over MIGRATIONS_PREFLIGHT_MAX_BYTES is over the line, however few its rows") {
  Project p;
  // 40 rows of some 200 kB each, of text that does not compress away.
  p.psql("create table blobs (id int, body text); insert into blobs select g, (select string_agg(md5(g::text || i::text), '') "
         "from generate_series(1, 6000) i) from generate_series(1, 40) g; analyze blobs;");
  p.write("1_type.sql", migration("alter table blobs alter column id type bigint;"));
  RunResult refused = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}, {"MIGRATIONS_PREFLIGHT_MAX_BYTES", "1MB"}});
  CHECK(refused.exit_code == 65);
  CHECK(contains(error_line(refused), p.file("1_type.sql") + ":2:1: alter table blobs alter column id type bigint"));
  CHECK(contains(error_line(refused), "[blobs: 40 rows, "));
  CHECK(p.versions() == "-");
  RunResult under = p.run({"up"}, {{"MIGRATIONS_PREFLIGHT", "block"}, {"MIGRATIONS_PREFLIGHT_MAX_BYTES", "1GB"}});
  CHECK_MESSAGE(under.exit_code == 0, under.err);
  CHECK(contains(under.err, " INFO  pre-flight: " + p.file("1_type.sql")));
  CHECK(p.versions() == "1");
}

TEST_CASE("warn mode: the findings are in the status file, and status shows them before the run") {
  Project p;
  big_table(p, "events", 3000);
  p.write("1_index.sql", migration("create index events_c on events (c);"));
  const std::string finding_start = p.file("1_index.sql") + ":2:1: warning: create index events_c on events (c) blocks writes";
  RunResult text = p.run({"status"});
  CHECK(text.exit_code == 3);
  CHECK(contains(text.out, "pre-flight  " + finding_start));
  CHECK(contains(text.out, "[events: 3.0k rows, "));

  static const std::string kFindings = R"PY(
import json, sys
d = json.load(open(sys.argv[1]))
print(";".join("%s:%d:%d %s %s %s %s" % (f["file"], f["line"], f["column"], f["rule"], f["severity"], f["table"], f["lock"])
               for f in d["preflight"]))
)PY";
  const std::string expected = p.file("1_index.sql") + ":2:1 create-index-blocks-writes warning events SHARE";
  TempDir out("status");
  RunResult json = p.run({"status", "--json"});
  CHECK(json.exit_code == 3);
  out.write("status-json", json.out);
  RunResult parsed = run({"/usr/bin/python3", "-c", kFindings, out.file("status-json")});
  CHECK(parsed.out == expected + "\n");

  RunResult ran = p.run({}, {{"SCHEMAGATE_STATUS_FILE", out.file("status.json")}});
  CHECK_MESSAGE(ran.exit_code == 0, ran.err);
  CHECK(p.versions() == "1");
  RunResult file = run({"/usr/bin/python3", "-c", kFindings, out.file("status.json")});
  CHECK(file.out == expected + "\n");
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
