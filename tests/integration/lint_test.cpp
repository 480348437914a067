// SPEC §2 `lint [--json]`: pre-flight from the SQL alone, as CI runs it, through the built binary
// with no database (suite cli). And the acknowledgement lines it asks for, which must not count as
// drift in a migration already applied (suite migrate).
#include <doctest/doctest.h>

#include <string>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

const std::string kOrders =
    "-- migrate:up\n"
    "create index orders_customer on orders (customer_id);\n"
    "create index concurrently orders_placed on orders (placed);\n"
    "alter table orders add column note text default '';\n"
    "alter table orders drop column legacy;\n"
    "-- migrate:down\n"
    "drop index orders_customer;\n";

TEST_CASE("lint reports each finding with file:line:col and its rule, and exits 65 on a blocking one" *
          doctest::test_suite("cli")) {
  TempDir dir("lint");
  dir.write("1_orders.sql", kOrders);
  dir.write("2_fresh.sql", "-- migrate:up\ncreate table fresh (a int);\ncreate index fresh_a on fresh (a);\n");
  // No database is needed, nor contacted.
  Listener db;
  RunOptions options = gate_options();
  options.env = {{"MIGRATIONS_DIR", dir.path()}, {"DATABASE_URL", db.url()}};

  RunResult result = run(schemagate({"lint"}), options);
  CHECK(result.exit_code == 65);
  CHECK(result.out ==
        dir.file("1_orders.sql") +
            ":2:1: warning: create index orders_customer on orders (customer_id) blocks writes to orders while the "
            "index builds (SHARE lock); use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction block) "
            "[create-index-blocks-writes]\n" +
            dir.file("1_orders.sql") +
            ":5:1: blocking: alter table orders drop column legacy drops a column of orders; the release still "
            "running during a rolling update may use it (ACCESS EXCLUSIVE lock); stop using the column in one "
            "release, drop it in the next [drop-column]\n");
  CHECK(contains(result.err, "lint done files=2 findings=2 blocking=1 not_analysed=0"));
  CHECK(contains(error_line(result), "1 blocking finding(s): once reviewed, acknowledge each with a line "
                                     "-- schemagate:ack <rule-id> right above its statement"));
  CHECK_FALSE(db.was_contacted());

  // Acknowledged, it no longer blocks; warnings alone exit 0.
  dir.write("1_orders.sql",
            "-- migrate:up\ncreate index orders_customer on orders (customer_id);\n"
            "-- schemagate:ack drop-column\nalter table orders drop column legacy;\n");
  RunResult acked = run(schemagate({"lint", "--json"}), options);
  CHECK(acked.exit_code == 0);
  dir.write("lint.json", acked.out);
  RunResult parsed = run({"/usr/bin/python3", "-c",
                          "import json, sys; d = json.load(open(sys.argv[1])); "
                          "print(d['blocking'], [(f['line'], f['rule'], f['severity'], f['table'], f['lock']) "
                          "for f in d['findings']], d['not_analysed'])",
                          dir.file("lint.json")});
  CHECK(parsed.exit_code == 0);
  CHECK(parsed.out ==
        "0 [(2, 'create-index-blocks-writes', 'warning', 'orders', 'SHARE'), (4, 'drop-column', "
        "'acknowledged', 'orders', 'ACCESS EXCLUSIVE')] []\n");
}

TEST_CASE("an acknowledgement added to an applied migration is not drift" * doctest::test_suite("migrate")) {
  Project p;
  p.psql("create table orders (id int, legacy int);");
  p.write("1_drop.sql", "-- migrate:up\nalter table orders drop column legacy;\n");
  REQUIRE(p.run({"up"}).exit_code == 0);
  p.write("1_drop.sql", "-- migrate:up\n-- schemagate:ack drop-column\nalter table orders drop column legacy;\n");
  RunResult again = p.run({"up"});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "database is up to date"));
  // Any other edit still is.
  p.write("1_drop.sql", "-- migrate:up\n-- reviewed\nalter table orders drop column legacy;\n");
  RunResult edited = p.run({"up"});
  CHECK(edited.exit_code == 65);
  CHECK(contains(error_line(edited), "checksum differs from the applied version"));
}

}  // namespace
}  // namespace schemagate::testing
