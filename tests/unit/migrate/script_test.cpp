// How a migration must run, from PostgreSQL's own reading of its statements (sql/statements.h):
// in a transaction, outside one, or in the transaction the file opens itself.
#include "migrate/script.h"

#include <doctest/doctest.h>

#include <string>

namespace schemagate::migrate {
namespace {

Migration parsed(std::string_view name, std::string text) {
  auto m = parse_file(name, name, std::move(text));
  REQUIRE_MESSAGE(m, m.error().message);
  return *m;
}

Section section_of(std::string sql) {
  Section s;
  s.present = true;
  s.path = "migrations/1_x.up.sql";
  s.sql = std::move(sql);
  return s;
}

// The statement that keeps the section out of a transaction, or empty when it runs in one.
std::string outside_because(std::string sql) {
  Script s = analyse(section_of(std::move(sql)));
  CHECK(s.transactional == s.why_not_transactional.empty());
  return s.why_not_transactional;
}

TEST_CASE("transaction:false on a marker makes that section non-transactional") {
  Migration m = parsed("1_idx.sql", "-- migrate:up transaction:false\ncreate index i on t (x);\n-- migrate:down\ndrop index i;\n");
  CHECK_FALSE(analyse(m.up).transactional);
  CHECK(analyse(m.up).why_not_transactional == "transaction:false");
  CHECK(analyse(m.down).transactional);
}

TEST_CASE("a statement PostgreSQL refuses in a transaction block makes the section non-transactional") {
  Migration m = parsed("2_idx.up.sql", "-- build it online\nCREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n");
  CHECK_FALSE(analyse(m.up).transactional);
  CHECK(analyse(m.up).why_not_transactional == "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)");
  CHECK(outside_because("vacuum analyze t") == "vacuum analyze t");
  CHECK(outside_because("select 'create index concurrently'") == "");
  CHECK(outside_because("refresh materialized view concurrently v") == "");
}

TEST_CASE("CLUSTER of every table and moving a database's tablespace run outside a transaction, in pair files too") {
  CHECK(outside_because("cluster;") == "cluster");
  CHECK(outside_because("cluster t using t_pkey;") == "");
  CHECK(outside_because("alter database app set tablespace fast;") == "alter database app set tablespace fast");
  CHECK(outside_because("alter database app set work_mem = '64MB';") == "");
  CHECK(outside_because("analyze t;") == "");
  CHECK(outside_because("discard all;") == "discard all");
  CHECK(outside_because("reindex (verbose) table concurrently t;") == "reindex (verbose) table concurrently t");
  CHECK(outside_because("reindex table t;") == "");
  CHECK(outside_because("alter table p detach partition c concurrently;") ==
        "alter table p detach partition c concurrently");
}

TEST_CASE("a file that opens and commits its own transaction keeps it; several transactions run outside one") {
  Script own = analyse(section_of("BEGIN;\ncreate table t (a int);\nsavepoint s;\nCOMMIT;\n"));
  CHECK(own.transactional);
  CHECK(own.own_transaction);
  CHECK(own.commit_offset == std::string("BEGIN;\ncreate table t (a int);\nsavepoint s;").size());
  Script two = analyse(section_of("begin; create table a (x int); commit; begin; create table b (x int); commit;"));
  CHECK_FALSE(two.transactional);
  CHECK(two.why_not_transactional == "BEGIN/COMMIT inside the migration");
  Script prepared = analyse(section_of("begin; create table a (x int); prepare transaction 'p';"));
  CHECK_FALSE(prepared.own_transaction);
  CHECK_FALSE(prepared.transactional);
}

}  // namespace
}  // namespace schemagate::migrate
