// Issue 11: PostgreSQL's own parser under the file reader. Statement boundaries and "may this run
// in a transaction block" come from PostgreSQL 15's grammar (libpg_query), checked here against
// a real server: every statement the server refuses in a transaction block runs outside one, the
// others inside, whatever the file layout; what the parser cannot read is still sent as written.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("sql");

struct Case {
  std::string setup;      // run first, with psql
  std::string statement;  // the migration: one .up.sql file, a pair file with no marker to say more
  bool outside;           // the server refuses it in a transaction block
};

// The statements PostgreSQL 15 refuses in a transaction block, and near ones it accepts there.
const std::vector<Case> kCases = {
    {"create table t (a int primary key);", "cluster;", true},
    {"create table t (a int primary key);", "cluster t using t_pkey;", false},
    {"create table t (a int);", "vacuum t;", true},
    {"create table t (a int);", "vacuum (analyze) t;", true},
    {"create table t (a int);", "analyze t;", false},
    {"create table t (a int);", "create index concurrently t_a on t (a);", true},
    {"create table t (a int); create index t_a on t (a);", "drop index concurrently t_a;", true},
    {"create table t (a int); create index t_a on t (a);", "reindex table concurrently t;", true},
    {"create table t (a int); create index t_a on t (a);", "reindex (verbose) index concurrently t_a;", true},
    {"create table t (a int); create index t_a on t (a);", "reindex table t;", false},
    {"create schema s; create table s.t (a int primary key);", "reindex schema s;", true},
    {"create table p (a int) partition by range (a); create table p1 partition of p for values from (0) to (10);",
     "alter table p detach partition p1 concurrently;", true},
    {"create table p (a int) partition by range (a); create table p1 partition of p for values from (0) to (10);",
     "alter table p detach partition p1;", false},
    {"", "discard all;", true},
    {"", "discard plans;", false},
    {"create table t (a int); create unique index t_a on t (a); create materialized view mv as select * from t; "
     "create unique index mv_a on mv (a);",
     "refresh materialized view concurrently mv;", false},
    {"create type mood as enum ('ok');", "alter type mood add value 'sad';", false},
};

TEST_CASE("each statement PostgreSQL refuses in a transaction block runs outside one, and only those") {
  for (const Case& c : kCases) {
    CAPTURE(c.statement);
    Project p;
    if (!c.setup.empty()) p.psql(c.setup);
    // The server's own word first: inside a transaction block it refuses exactly these.
    std::string refused;
    try {
      p.psql("begin;\n" + c.statement + "\nrollback;");
    } catch (const std::runtime_error& e) {
      refused = e.what();
    }
    CHECK(contains(refused, "cannot run inside a transaction block") == c.outside);
    p.write("1_change.up.sql", "-- the statement under test\n" + c.statement + "\n");
    RunResult result = p.run({"up"});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, "outside a transaction") == c.outside);
  }
}

TEST_CASE("a database's tablespace moves and databases come and go outside a transaction") {
  Project p;
  const std::string other = p.db() + "_other";
  p.write("1_create.up.sql", "create database " + other + ";\n");
  p.write("2_move.up.sql", "alter database " + other + " set tablespace pg_default;\n");
  p.write("3_drop.up.sql", "drop database " + other + ";\n");
  RunResult result = p.run({"up"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(lines_with(result.err, "outside a transaction").size() == 3);
  CHECK(p.versions() == "1,2,3");
}

TEST_CASE("CREATE RULE with several actions in parentheses is one statement in a transaction:false migration") {
  Project p;
  p.psql("create table t (a int); create table log (n int);");
  p.write("1_rule.sql",
          "-- migrate:up transaction:false\n"
          "create rule r as on insert to t do also (insert into log values (1); insert into log values (2));\n"
          "insert into t values (7);\n");
  RunResult result = p.run({"up"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(p.psql("select string_agg(n::text, ',' order by n) from log") == "1,2");
  CHECK(p.psql("select count(*) from pg_rules where rulename = 'r'") == "1");
}

TEST_CASE("syntax PostgreSQL 15 does not know is sent as written and the server's error is located") {
  Project p;
  p.write("1_ok.sql", migration("create table t (a int);"));
  REQUIRE(p.run({"up"}).exit_code == 0);
  // SQL/JSON constructors came with PostgreSQL 16: the parser here cannot read the statement, so
  // schemagate does not judge it; this server refuses it with its own message and position.
  p.write("2_newer.sql", migration("insert into t values (1);\nselect json_object('a': 1 returning text);"));
  RunResult result = p.run({"up"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.err, "2_newer.sql:3:23: migration 2 newer failed: 42601: syntax error at or near \":\""));
  CHECK(p.versions() == "1");
  CHECK(p.psql("select count(*) from t") == "0");
}

TEST_CASE("a start with nothing pending reads no statement; a pending migration's statements are read once") {
  Project p;
  p.write("1_t.sql", migration("create table t (a int);"));
  RunResult first = p.run({"-v"});
  CHECK(first.exit_code == 0);
  CHECK(lines_with(first.err, "reading the statements of").size() == 1);
  RunResult again = p.run({"-v"});
  CHECK(again.exit_code == 0);
  CHECK(lines_with(again.err, "reading the statements of").empty());
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
