// Part of the migrate suite: SPEC §2 `down` over down sections that are present but empty (undo
// nothing, remove the row, as dbmate and golang-migrate do) or missing (65).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("migrate");

// ---------------------------------------------------------------------------------------------
// Empty and missing down sections

// The warning `down` logs for version 2, whose down section is empty.
const std::string kUndidNothing =
    " WARN  rolled back 2 fix without undoing anything: its down section is empty; only its tracking row was "
    "removed";

TEST_CASE("an empty .down.sql rolls back by removing the version, undoing nothing, with a warning") {
  for (const std::string down : {"", "-- irreversible: the rows stay\n\n"}) {
    CAPTURE(down);
    Project p;
    p.write("1_a.up.sql", "create table a (x int);\n");
    p.write("1_a.down.sql", "drop table a;\n");
    p.write("2_fix.up.sql", "insert into a values (1), (2);\n");
    p.write("2_fix.down.sql", down);
    REQUIRE(p.run({"up"}).exit_code == 0);

    RunResult dry = p.run({"down", "--dry-run"});
    CHECK(dry.exit_code == 0);
    CHECK(dry.out == "-- 1 migration(s) to roll back; nothing changes (--dry-run)\n\n-- " +
                         p.file("2_fix.down.sql") +
                         " (version 2, down): empty, nothing to undo; only its tracking row is removed\n");
    CHECK(p.versions() == "1,2");

    RunResult down_run = p.run({"down"});
    CHECK(down_run.exit_code == 0);
    CHECK(contains(down_run.err, kUndidNothing));
    CHECK(contains(down_run.err, "rollback done rolled_back=1"));
    CHECK_FALSE(contains(down_run.err, " ERROR "));
    CHECK(p.versions() == "1");
    CHECK(p.psql("select count(*) from a") == "2");

    // The next one down has SQL and runs it.
    REQUIRE(p.run({"down"}).exit_code == 0);
    CHECK(p.versions() == "");
    CHECK_FALSE(p.exists("a"));
  }
}

TEST_CASE("an empty -- migrate:down section rolls back by removing the version, among downs that run") {
  for (const std::string down : {"", "\n-- irreversible: the rows stay\n/* nothing to undo */\n"}) {
    CAPTURE(down);
    Project p;
    p.write("1_a.sql", migration("create table a (x int);", "drop table a;"));
    p.write("2_fix.sql", "-- migrate:up\ninsert into a values (1), (2);\n-- migrate:down\n" + down);
    p.write("3_c.sql", migration("create table c (x int);", "drop table c;"));
    REQUIRE(p.run({"up"}).exit_code == 0);

    RunResult dry = p.run({"down", "--dry-run", "--to", "0"});
    CHECK(dry.exit_code == 0);
    CHECK(in_order(dry.out,
                   {"-- 3 migration(s) to roll back; nothing changes (--dry-run)\n", "drop table c;\n",
                    "-- " + p.file("2_fix.sql") +
                        " (version 2, down): empty, nothing to undo; only its tracking row is removed\n",
                    "drop table a;\n"}));
    CHECK(p.versions() == "1,2,3");

    RunResult two = p.run({"down", "--steps", "2"});
    CHECK(two.exit_code == 0);
    CHECK(in_order(two.err, {" INFO  rolled back 3 c ", kUndidNothing, "rollback done rolled_back=2"}));
    CHECK(p.versions() == "1");
    CHECK_FALSE(p.exists("c"));
    CHECK(p.psql("select count(*) from a") == "2");

    // Up again, then everything down in one run: the empty one in the middle.
    REQUIRE(p.run({"up"}).exit_code == 0);
    RunResult all = p.run({"down", "--to", "0"});
    CHECK(all.exit_code == 0);
    CHECK(in_order(all.err, {" INFO  rolled back 3 c ", kUndidNothing, " INFO  rolled back 1 a ",
                             "rollback done rolled_back=3"}));
    CHECK(p.versions() == "");
    CHECK_FALSE(p.exists("a"));
  }
}

TEST_CASE("a missing down section still refuses with 65, naming what is missing, and rolls nothing back") {
  Project p;
  p.write("1_a.up.sql", "create table a (x int);\n");
  p.write("2_b.sql", migration("create table b (x int);"));
  p.write("3_c.sql", migration("create table c (x int);", "drop table c;"));
  REQUIRE(p.run({"up"}).exit_code == 0);

  for (bool dry_run : {false, true}) {
    CAPTURE(dry_run);
    RunResult no_marker =
        dry_run ? p.run({"down", "--steps", "2", "--dry-run"}) : p.run({"down", "--steps", "2"});
    CHECK(no_marker.exit_code == 65);
    CHECK(contains(error_line(no_marker),
                   p.file("2_b.sql") +
                       ": version 2 has no down section to roll back with (no -- migrate:down "
                       "marker); nothing was rolled back"));
    CHECK(no_marker.out == "");
    CHECK(p.versions() == "1,2,3");
    CHECK(p.exists("c"));
  }

  p.write("2_b.sql", "-- migrate:up\ncreate table b (x int);\n-- migrate:down\n");
  REQUIRE(p.run({"down", "--steps", "2"}).exit_code == 0);
  CHECK(p.versions() == "1");
  RunResult no_file = p.run({"down"});
  CHECK(no_file.exit_code == 65);
  CHECK(contains(error_line(no_file),
                 p.file("1_a.up.sql") +
                     ": version 1 has no down section to roll back with (no .down.sql file); "
                     "nothing was rolled back"));
  CHECK(p.versions() == "1");
  CHECK(p.exists("a"));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
