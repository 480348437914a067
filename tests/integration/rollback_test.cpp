// Part of the migrate suite: the two ways back. SPEC §2 `down` over down sections that are present
// but empty (undo nothing, remove the row, as dbmate and golang-migrate do) or missing (65), and
// SPEC §1 step 5's future migrations: the image rolled back to one with fewer files, whose start
// must warn and go on rather than crash-loop.
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

TEST_CASE("a non-transactional down that fails on its first statement leaves the version applied, not dirty") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);", "drop table t;"));
  p.write("2_i.sql", "-- migrate:up transaction:false\ncreate index concurrently t_x on t (x);\n"
                     "-- migrate:down transaction:false\ndrop index concurrently t_nosuch;\n"
                     "drop index concurrently t_x;\n");
  REQUIRE(p.run({"up"}).exit_code == 0);

  RunResult first = p.run({"down"});
  CHECK(first.exit_code == 1);
  CHECK(contains(error_line(first), p.file("2_i.sql") + ":4:1: migration 2 i (down) failed: 42704: index \"t_nosuch\" "
                                    "does not exist"));
  CHECK(p.psql("select string_agg(version || ':' || dirty, ',' order by version) from schema_migrations") ==
        "1:false,2:false");
  CHECK(p.exists("t_x"));
  // Nothing to repair: the next up finds the database up to date.
  RunResult up = p.run({"up"});
  CHECK(up.exit_code == 0);
  CHECK(contains(up.err, "database is up to date"));

  // Failing part-way, the hint is about finishing a rollback, not an up.
  p.write("2_i.sql", "-- migrate:up transaction:false\ncreate index concurrently t_x on t (x);\n"
                     "-- migrate:down transaction:false\ndrop index concurrently t_x;\n"
                     "drop index concurrently t_nosuch;\n");
  REQUIRE(p.run({"repair"}).exit_code == 0);  // the file changed: its checksum is recorded anew
  RunResult part = p.run({"down"});
  CHECK(part.exit_code == 1);
  CHECK(contains(error_line(part), p.file("2_i.sql") + ":5:1: migration 2 i (down) failed part-way and is marked "
                                   "dirty: 42704: index \"t_nosuch\" does not exist. Check the database; if you "
                                   "finish rolling it back by hand, delete its row: "));
  CHECK_FALSE(contains(error_line(part), ".."));
  CHECK(p.psql("select dirty from schema_migrations where version = '2'") == "t");
  CHECK_FALSE(p.exists("t_x"));
}

TEST_CASE("down with MIGRATE_COMMAND set refuses with 64: another tool's migrations roll back with that tool") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);", "drop table t;"));
  REQUIRE(p.run({"up"}).exit_code == 0);
  RunResult refused = p.run({"down"}, {{"MIGRATE_COMMAND", "alembic upgrade head"}});
  CHECK(refused.exit_code == 64);
  CHECK(contains(error_line(refused), "down rolls back migration files run by schemagate itself; MIGRATE_COMMAND "
                                      "(migrations.command) is set, so the migrations belong to alembic: roll back "
                                      "with it (for Alembic: alembic downgrade -1)"));
  CHECK(p.versions() == "1");
  CHECK(p.exists("t"));
}

// ---------------------------------------------------------------------------------------------
// Future migrations: the image rolled back

// Files 0001_t1.sql .. 0043_t43.sql, each creating its table and dropping it on the way down.
void write_43(const Project& p) {
  for (int i = 1; i <= 43; ++i) {
    std::string n = std::to_string(i);
    p.write(std::string(i < 10 ? "000" : "00") + n + "_t" + n + ".sql",
            migration("create table t" + n + " (x int);", "drop table t" + n + ";"));
  }
}

const std::string kFutureWarning =
    " WARN  version 0043 (t43) is applied but newer than every migration file (the newest is 0042): a future "
    "migration, as after rolling back to an older release; it is left applied and the run goes on";

TEST_CASE(
    "after the image is rolled back to fewer files, the run warns about the future migration and hands "
    "over") {
  Project p;
  write_43(p);
  REQUIRE(p.run({}).exit_code == 0);
  p.dir().remove("0043_t43.sql");  // the previous image: files up to 0042

  RunResult bare = p.run({});
  CHECK(bare.exit_code == 0);
  CHECK(lines_with(bare.err, kFutureWarning).size() == 1);
  CHECK_FALSE(contains(bare.err, " ERROR "));

  RunResult app =
      p.run({"--", "/bin/sh", "-c", "echo \"app ran: $SCHEMAGATE_STATUS\""}, {{"CRITICAL_TABLES", "t42"}});
  CHECK(app.exit_code == 0);
  CHECK(app.out == "app ran: ok\n");
  CHECK(contains(app.err, kFutureWarning));
  CHECK(p.run({"up"}).exit_code == 0);
  CHECK(p.exists("t43"));
  CHECK(p.psql("select count(*) from schema_migrations") == "43");

  RunResult status = p.run({"status"});
  CHECK(status.exit_code == 0);
  auto future_rows = lines_with(status.out, "  FUTURE");
  REQUIRE(future_rows.size() == 1);
  CHECK(future_rows[0].starts_with("applied  0043  t43  "));
  CHECK(
      contains(status.out, "\n43 applied, 0 pending, 1 future (applied, newer than every migration file)\n"));
  RunResult json = p.run({"status", "--json"});
  CHECK(json.exit_code == 0);
  CHECK(contains(json.out, "{\"version\":\"0042\",\"name\":\"t42\""));
  size_t at = json.out.find("{\"version\":\"0043\",\"name\":\"t43\"");
  REQUIRE(at != std::string::npos);
  CHECK(json.out.substr(at, json.out.find('}', at) + 1 - at).ends_with(",\"dirty\":false,\"future\":true}"));
  CHECK(json.out.find("\"future\":true") == json.out.rfind("\"future\":true"));
  CHECK(contains(json.out, ",\"dirty\":false,\"future\":false}"));

  // down has no file to roll 0043 back with: it says so and changes nothing.
  RunResult down = p.run({"down"});
  CHECK(down.exit_code == 65);
  CHECK(contains(error_line(down),
                 "version 0043 (t43) has no migration file here: a future migration, applied by a "
                 "newer release; roll it back with that release's files. Nothing was rolled back"));
  CHECK(p.exists("t42"));
  CHECK(p.exists("t43"));

  // repair forgets versions whose files are gone, but not a future one: the newer release would
  // then run it again.
  RunResult repair = p.run({"repair"});
  CHECK(repair.exit_code == 0);
  CHECK(contains(repair.err, " INFO  keeping future version 0043 (t43): newer than every migration file"));
  CHECK(p.psql("select count(*) from schema_migrations where version = '0043'") == "1");

  // Rolled forward again: nothing to do, nothing to warn about.
  write_43(p);
  RunResult forward = p.run({});
  CHECK(forward.exit_code == 0);
  CHECK_FALSE(contains(forward.err, " WARN "));
  CHECK(contains(forward.err, "database is up to date"));
}

TEST_CASE("an applied version whose file is gone below the newest file is still 65, future ones or not") {
  Project p;
  write_43(p);
  REQUIRE(p.run({}).exit_code == 0);
  p.dir().remove("0041_t41.sql");
  for (bool future_too : {false, true}) {
    CAPTURE(future_too);
    if (future_too) p.dir().remove("0043_t43.sql");
    RunResult missing = p.run({});
    CHECK(missing.exit_code == 65);
    CHECK(contains(error_line(missing), "version 0041 (t41) is applied but no migration file has it"));
    CHECK_FALSE(contains(error_line(missing), "0043"));
    CHECK(p.run({"status"}).exit_code == 65);
  }
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
