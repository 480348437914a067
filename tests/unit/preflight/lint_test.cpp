// Pre-flight from the SQL alone (preflight/lint.h): findings with their place, rule and
// severity; tables created in the same migration; acknowledgements; what is not analysed.
#include "preflight/lint.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate::preflight {
namespace {

migrate::Migration migration(const std::string& path, const std::string& up, int first_line = 2) {
  migrate::Migration m;
  m.version = "1";
  m.version_text = "1";
  m.name = "m";
  m.up.present = true;
  m.up.path = path;
  m.up.sql = up;
  m.up.first_line = first_line;
  return m;
}

std::vector<std::string> summary(const Report& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    const char* s = f.severity == Severity::blocking ? "blocking" : f.severity == Severity::acknowledged ? "ack" : "warning";
    out.push_back(f.where() + " " + f.rule + " " + s);
  }
  return out;
}

TEST_CASE("findings name file:line:col, rule and severity; size-dependent ones are warnings, drops block") {
  std::vector<migrate::Migration> ms = {migration(
      "2_orders.sql",
      "create index orders_customer on orders (customer_id);\n  alter table orders drop column legacy;\n"
      "truncate audit;\n")};
  Report r = lint(ms);
  CHECK(summary(r) == std::vector<std::string>{"2_orders.sql:2:1 create-index-blocks-writes warning",
                                               "2_orders.sql:3:3 drop-column blocking",
                                               "2_orders.sql:4:1 truncate warning"});
  CHECK(r.blocking() == 1);
  CHECK(r.findings[0].message ==
        "create index orders_customer on orders (customer_id) blocks writes to orders while the index builds "
        "(SHARE lock); use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction block)");
  CHECK(r.findings[0].table == "orders");
  CHECK(r.findings[0].lock == "SHARE");
}

TEST_CASE("a table created earlier in the same migration is empty: nothing about its size") {
  std::vector<migrate::Migration> ms = {
      migration("1_t.sql", "create table t (id int, c int);\ncreate index t_c on t (c);\n"
                           "alter table t alter column c set not null;\nalter table t drop column c;\n")};
  CHECK(summary(lint(ms)) == std::vector<std::string>{});
  // In a later migration the table may have rows by then.
  ms.push_back(migration("2_u.sql", "create index t_id on t (id);\n"));
  CHECK(summary(lint(ms)) == std::vector<std::string>{"2_u.sql:2:1 create-index-blocks-writes warning"});
}

TEST_CASE("-- schemagate:ack <rule-id> right above a statement acknowledges that rule there, and only that") {
  CHECK(acknowledged("\n-- why: reviewed\n  -- schemagate:ack drop-column, rename-column\n-- schemagate:ack drop-table\n"
                     "alter table t drop column c") ==
        std::vector<std::string>{"drop-column", "rename-column", "drop-table"});
  std::vector<migrate::Migration> ms = {
      migration("3_x.sql", "-- schemagate:ack drop-column\nalter table t drop column c;\n"
                           "alter table t drop column d;\n-- schemagate:ack drop-table\nalter table t rename column e to f;\n")};
  Report r = lint(ms);
  CHECK(summary(r) == std::vector<std::string>{"3_x.sql:3:1 drop-column ack", "3_x.sql:4:1 drop-column blocking",
                                               "3_x.sql:6:1 rename-column blocking"});
}

TEST_CASE("an ALTER of several subcommands: a finding each, naming what the first line does not show") {
  std::vector<migrate::Migration> ms = {migration(
      "3_types.sql", "alter table t\n  alter column amount type bigint,\n  alter column total type bigint;\n"
                     "alter table t alter column note type text;\n")};
  Report r = lint(ms);
  REQUIRE(r.findings.size() == 3);
  CHECK(r.findings[0].message.starts_with("alter table t (amount) rewrites t and its indexes"));
  CHECK(r.findings[1].message.starts_with("alter table t (total) rewrites t and its indexes"));
  // Shown already: not said twice.
  CHECK(r.findings[2].message.starts_with("alter table t alter column note type text rewrites t"));
}

TEST_CASE("dropping or renaming a column added earlier in the same migration is no finding") {
  std::vector<migrate::Migration> ms = {
      migration("4_cols.sql", "alter table b add column x text;\nalter table b rename column x to y;\n"
                              "alter table b drop column x;\nalter table b rename column old to newer;\n")};
  Report r = lint(ms);
  CHECK(summary(r) == std::vector<std::string>{"4_cols.sql:5:1 rename-column blocking"});
}

TEST_CASE("statements that only write rows are told by their first word, comments before it skipped") {
  CHECK(only_writes("insert into t values (1)"));
  CHECK(only_writes("-- fill it\n  UPDATE t set c = 0"));
  CHECK(only_writes("/* rows */ delete from t"));
  CHECK(only_writes("copy t from stdin"));
  CHECK(only_writes("MERGE into t using s on true when matched then do nothing"));
  CHECK_FALSE(only_writes("insertx"));
  CHECK_FALSE(only_writes("create index i on t (c)"));
  CHECK_FALSE(only_writes("with x as (delete from t returning *) select 1"));
  CHECK_FALSE(only_writes("select setval('s', 1)"));
}

TEST_CASE("a statement the grammar does not read is listed as not analysed, never a finding") {
  Report r = lint(std::vector<migrate::Migration>{migration("4_new.sql", "alter table t frobnicate;\ndrop table z;\n")});
  REQUIRE(r.not_analysed.size() == 1);
  CHECK(r.not_analysed[0].where() == "4_new.sql:2:1");
  CHECK(summary(r) == std::vector<std::string>{"4_new.sql:3:1 drop-table blocking"});
}

}  // namespace
}  // namespace schemagate::preflight
