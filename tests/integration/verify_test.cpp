// SPEC §1 step 7 (verify) through `schemagate verify`: every critical table exists, or exit 2
// naming each missing one, in the order given, in one line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("verify");

// A fresh database holding ordinary, schema-qualified, quoted, mixed-case and non-table relations.
std::string database_with_tables() {
  PgCluster& cluster = PgCluster::shared();
  std::string db = cluster.create_database();
  cluster.psql(db,
               "CREATE TABLE users (id int);\n"
               "CREATE TABLE orders (id int);\n"
               "CREATE SCHEMA audit;\n"
               "CREATE TABLE audit.log_entries (id int);\n"
               "CREATE TABLE \"Order Items\" (id int);\n"
               "CREATE TABLE \"we\"\"ird\" (id int);\n"
               "CREATE TABLE \"MixedCase\" (id int);\n"
               "CREATE TABLE \"a,b\" (id int);\n"
               "CREATE TABLE \"back\\slash\" (id int);\n"
               "CREATE TABLE \"{braces}\" (id int);\n"
               "CREATE VIEW active_users AS SELECT * FROM users;\n"
               "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) FROM users;\n"
               "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
               "CREATE INDEX users_id_idx ON users (id);\n"
               "CREATE SEQUENCE order_numbers;\n");
  return db;
}

RunResult verify_tables(const std::string& db, const std::string& critical_tables,
                        std::vector<std::string> extra_args = {}) {
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", PgCluster::shared().url(db)},
                 {"CRITICAL_TABLES", critical_tables}};
  std::vector<std::string> argv = schemagate({"verify"});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return run(argv, options);
}

bool ends_with_missing(const std::string& line, const std::string& list) {
  return line.ends_with(" missing: " + list);
}

TEST_CASE("verify passes when every critical table is present") {
  std::string db = database_with_tables();
  RunResult result = verify_tables(db, "users,orders");
  CHECK(result.exit_code == 0);
  CHECK(result.out == "");
  auto present = lines_with(result.err, "critical tables present");
  REQUIRE(present.size() == 1);
  CHECK(present[0].ends_with(" INFO  critical tables present tables=2"));
  CHECK_FALSE(contains(result.err, " ERROR "));
}

TEST_CASE("verify with no critical tables passes") {
  std::string db = database_with_tables();
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", PgCluster::shared().url(db)}};
  RunResult result = run(schemagate({"verify"}), options);
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, " ERROR "));
}

TEST_CASE("verify names every missing table in one line, in the order given, and exits 2") {
  std::string db = database_with_tables();
  RunResult result = verify_tables(db, "zeta, users, alpha ,orders,mid");
  CHECK(result.exit_code == 2);
  CHECK(result.out == "");
  std::string line = error_line(result);
  CHECK(contains(line, " ERROR critical tables missing: "));
  CHECK(ends_with_missing(line, "zeta, alpha, mid"));
  CHECK_FALSE(contains(result.err, "critical tables present"));
}

TEST_CASE("verify names a single missing table in the singular") {
  std::string db = database_with_tables();
  RunResult result = verify_tables(db, "users,zeta");
  CHECK(result.exit_code == 2);
  CHECK(error_line(result).ends_with(" ERROR critical table missing: zeta"));
}

TEST_CASE("--require-table flags are checked like CRITICAL_TABLES") {
  std::string db = database_with_tables();
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", PgCluster::shared().url(db)}};
  RunResult ok =
      run(schemagate({"verify", "--require-table", "users", "--require-table=audit.log_entries"}),
          options);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.err, "critical tables present tables=2"));
  RunResult missing =
      run(schemagate({"verify", "--require-table", "nope", "--require-table", "users",
                      "--require-table", "\"Order Items\"", "--require-table", "audit.nope"}),
          options);
  CHECK(missing.exit_code == 2);
  CHECK(ends_with_missing(error_line(missing), "nope, audit.nope"));
}

TEST_CASE("a schema-qualified table is found in its schema only") {
  std::string db = database_with_tables();
  CHECK(verify_tables(db, "audit.log_entries,public.users,PUBLIC.Orders").exit_code == 0);
  RunResult result = verify_tables(db, "audit.log_entries,audit.users,nope.log_entries,audit.nope");
  CHECK(result.exit_code == 2);
  CHECK(ends_with_missing(error_line(result), "audit.users, nope.log_entries, audit.nope"));
}

TEST_CASE("an unqualified name is missing when its schema is not on the search_path") {
  std::string db = database_with_tables();
  RunResult result = verify_tables(db, "log_entries");
  CHECK(result.exit_code == 2);
  CHECK(ends_with_missing(error_line(result), "log_entries"));

  // The session's search_path decides, as it would for the app's unqualified queries.
  PgCluster::shared().psql("postgres", "ALTER DATABASE " + db + " SET search_path = public, audit");
  CHECK(verify_tables(db, "log_entries").exit_code == 0);
}

TEST_CASE("quoted names with spaces, double quotes, commas, backslashes and braces are found") {
  std::string db = database_with_tables();
  RunResult result =
      verify_tables(db, "\"Order Items\", \"we\"\"ird\", \"a,b\", \"back\\slash\", \"{braces}\"");
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "critical tables present tables=5"));

  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", PgCluster::shared().url(db)}};
  RunResult flags =
      run(schemagate({"verify", "--require-table", "\"Order Items\"", "--require-table",
                      "\"we\"\"ird\"", "--require-table", "public.\"a,b\""}),
          options);
  CHECK(flags.exit_code == 0);
  CHECK(contains(flags.err, "critical tables present tables=3"));
}

TEST_CASE("quoted names are exact: a different case or spelling is missing") {
  std::string db = database_with_tables();
  RunResult result =
      verify_tables(db, "\"order items\",\"Users\",\"we\"\"IRD\",\"a\",\"b\",\"braces\"");
  CHECK(result.exit_code == 2);
  CHECK(ends_with_missing(error_line(result),
                          "\"order items\", \"Users\", \"we\"\"IRD\", \"a\", \"b\", \"braces\""));
}

TEST_CASE("an unquoted mixed-case name matches the lower-case table") {
  std::string db = database_with_tables();
  RunResult result = verify_tables(db, "Users,ORDERS,Audit.Log_Entries");
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "critical tables present tables=3"));
}

TEST_CASE("views, materialized views and partitioned tables count; indexes and sequences do not") {
  std::string db = database_with_tables();
  RunResult present = verify_tables(db, "active_users,user_count,events");
  CHECK(present.exit_code == 0);
  CHECK(contains(present.err, "critical tables present tables=3"));
  RunResult result = verify_tables(db, "users_id_idx,order_numbers");
  CHECK(result.exit_code == 2);
  CHECK(ends_with_missing(error_line(result), "users_id_idx, order_numbers"));
}

TEST_CASE("SQL in a table name is only a name that is missing") {
  PgCluster& cluster = PgCluster::shared();
  std::string db = database_with_tables();
  RunResult result = verify_tables(
      db,
      "users; drop table users,x') or true --,\"users\"\"; drop table orders; --\",x' or '1'='1");
  CHECK(result.exit_code == 2);
  CHECK(ends_with_missing(error_line(result),
                          "users; drop table users, x') or true --, "
                          "\"users\"\"; drop table orders; --\", x' or '1'='1"));
  CHECK(cluster.psql(db,
                     "SELECT to_regclass('public.users') IS NOT NULL, "
                     "to_regclass('public.orders') IS NOT NULL") == "t|t");
}

TEST_CASE("verify of an unreachable database exits 69 without checking tables") {
  ClosedPort closed;
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", closed.url()},
                 {"CRITICAL_TABLES", "users"},
                 {"DB_MAX_RETRIES", "2"},
                 {"DB_RETRY_INTERVAL", "0.1"}};
  RunResult result = run(schemagate({"verify"}), options);
  CHECK(result.exit_code == 69);
  CHECK(lines_with(result.err, " WARN  attempt ").size() == 2);
  CHECK_FALSE(contains(result.err, "critical"));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
