// SPEC §1 step 5: the files are checked against the tracking table before anything runs; pending
// migrations come in version order, and any dirty, missing or changed migration stops the plan.
#include "migrate/plan.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "util/checksum.h"

namespace schemagate::migrate {
namespace {

const std::string kRepairAdvice =
    ". Nothing was applied. Once a person has checked the database and the files, `schemagate repair` records "
    "the files as they are now";

// A single-file migration as read_dir would read it from migrations/<file_name>.
Migration file(const std::string& file_name, const std::string& up_sql) {
  auto m = parse_file(file_name, "migrations/" + file_name, "-- migrate:up\n" + up_sql + "\n");
  REQUIRE_MESSAGE(m, m.error().message);
  return *m;
}

// A single-file migration with a down section.
Migration file(const std::string& file_name, const std::string& up_sql, const std::string& down_sql) {
  auto m = parse_file(file_name, "migrations/" + file_name,
                      "-- migrate:up\n" + up_sql + "\n-- migrate:down\n" + down_sql);
  REQUIRE_MESSAGE(m, m.error().message);
  return *m;
}

// The tracking row a clean run of `m` leaves.
AppliedRow applied(const Migration& m) {
  AppliedRow row;
  row.version = m.version;
  row.version_text = m.version_text;
  row.name = m.name;
  row.checksum = m.checksum;
  return row;
}

AppliedRow row(const std::string& version, const std::string& version_text, const std::string& name,
               const std::string& checksum, bool is_dirty = false) {
  AppliedRow r;
  r.version = version;
  r.version_text = version_text;
  r.name = name;
  r.checksum = checksum;
  r.is_dirty = is_dirty;
  return r;
}

std::vector<std::string> versions(const std::vector<const Migration*>& migrations) {
  std::vector<std::string> out;
  for (const Migration* m : migrations) out.push_back(m->version_text);
  return out;
}

using Versions = std::vector<std::string>;

std::string error_of(const Result<Plan>& plan) {
  REQUIRE_FALSE(plan);
  CHECK(plan.error().kind == ErrorKind::BadMigrations);
  return plan.error().message;
}

// ---------------------------------------------------------------------------------------------
// Pending migrations

TEST_CASE("with nothing applied every migration is pending, in version order") {
  // read_dir hands the files over in numeric version order, mixed widths included.
  std::vector<Migration> files = {file("0_init.sql", "select 0;"), file("7_a.sql", "select 7;"),
                                  file("36004600_b.sql", "select 1;"),
                                  file("20240101120000_c.sql", "select 2;")};
  auto plan = plan_up(files, {});
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"0", "7", "36004600", "20240101120000"});
  CHECK(plan->unrecorded.empty());
  CHECK(plan->out_of_order.empty());
}

TEST_CASE("applied migrations are not pending again") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;"),
                                  file("0003_c.sql", "select 3;")};
  auto plan = plan_up(files, {applied(files[0]), applied(files[1])});
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"0003"});
  CHECK(plan->out_of_order.empty());
}

TEST_CASE("with every migration applied nothing is pending") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;")};
  auto plan = plan_up(files, {applied(files[0]), applied(files[1])});
  REQUIRE(plan);
  CHECK(plan->pending.empty());
  CHECK(plan->unrecorded.empty());
  CHECK(plan->out_of_order.empty());
}

TEST_CASE("no files and no history is an empty plan") {
  auto plan = plan_up({}, {});
  REQUIRE(plan);
  CHECK(plan->pending.empty());
}

TEST_CASE("the pending migrations point into the files given") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;")};
  auto plan = plan_up(files, {});
  REQUIRE(plan);
  REQUIRE(plan->pending.size() == 1);
  CHECK(plan->pending[0] == &files[0]);
  CHECK(plan->pending[0]->up.path == "migrations/0001_a.sql");
}

// ---------------------------------------------------------------------------------------------
// --to

TEST_CASE("--to stops the plan after that version") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;"),
                                  file("0003_c.sql", "select 3;")};
  auto plan = plan_up(files, {}, "2");
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"0001", "0002"});
}

TEST_CASE("--to between two versions stops before the later one") {
  std::vector<Migration> files = {file("1_a.sql", "select 1;"), file("3_b.sql", "select 3;"),
                                  file("7_c.sql", "select 7;")};
  auto plan = plan_up(files, {}, "5");
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"1", "3"});
}

TEST_CASE("--to compares versions numerically, not as text") {
  std::vector<Migration> files = {file("9_a.sql", "select 9;"), file("10_b.sql", "select 10;"),
                                  file("100_c.sql", "select 100;")};
  auto plan = plan_up(files, {}, "10");
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"9", "10"});
}

TEST_CASE("--to below every version leaves nothing pending") {
  std::vector<Migration> files = {file("0005_a.sql", "select 5;")};
  auto plan = plan_up(files, {}, "4");
  REQUIRE(plan);
  CHECK(plan->pending.empty());
}

TEST_CASE("--to past every version is no limit") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;")};
  auto plan = plan_up(files, {}, "20991231000000");
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"0001", "0002"});
}

TEST_CASE("--to skips what is already applied") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;"),
                                  file("0003_c.sql", "select 3;"), file("0004_d.sql", "select 4;")};
  auto plan = plan_up(files, {applied(files[0])}, "3");
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"0002", "0003"});
}

// ---------------------------------------------------------------------------------------------
// Refusals: exit 65 before anything runs

TEST_CASE("plan refuses a migration left dirty, naming its version and file") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;")};
  AppliedRow dirty = applied(files[1]);
  dirty.is_dirty = true;
  CHECK(error_of(plan_up(files, {applied(files[0]), dirty})) ==
        "version 0002 (migrations/0002_b.sql) is marked dirty: a run stopped part-way through it" + kRepairAdvice);
}

TEST_CASE("plan refuses a dirty row whose file is gone, naming the version") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;")};
  CHECK(error_of(plan_up(files, {applied(files[0]), row("9", "0009", "gone", "", true)})) ==
        "version 0009 is marked dirty: a run stopped part-way through it" + kRepairAdvice);
}

TEST_CASE("plan refuses an applied migration whose file is gone") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0003_c.sql", "select 3;")};
  CHECK(error_of(plan_up(files, {applied(files[0]), row("2", "0002", "add_index", sha256_hex("x"))})) ==
        "version 0002 (add_index) is applied but no migration file has it" + kRepairAdvice);
}

TEST_CASE("plan names an applied version without a file by version alone when the row has no name") {
  // A table adopted from dbmate has versions only.
  CHECK(error_of(plan_up({}, {row("20240101120000", "20240101120000", "", "")})) ==
        "version 20240101120000 is applied but no migration file has it" + kRepairAdvice);
}

TEST_CASE("plan refuses an applied migration whose file changed") {
  std::vector<Migration> files = {file("0003_users.sql", "create table users();")};
  auto plan = plan_up(files, {row("3", "0003", "users", sha256_hex("create table people();\n"))});
  CHECK(error_of(plan) == "migrations/0003_users.sql: checksum differs from the applied version" + kRepairAdvice);
}

TEST_CASE("a checksum is compared with the up-SQL exactly, blank lines and all") {
  Migration edited = file("0003_users.sql", "create table users();\n");
  Migration original = file("0003_users.sql", "create table users();");
  std::vector<Migration> files = {edited};
  CHECK(error_of(plan_up(files, {applied(original)})) ==
        "migrations/0003_users.sql: checksum differs from the applied version" + kRepairAdvice);
}

TEST_CASE("plan names every problem at once, in version order, before anything is applied") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;"),
                                  file("0004_d.sql", "select 4;"), file("0005_e.sql", "select 5;")};
  AppliedRow drifted = applied(files[0]);
  drifted.checksum = sha256_hex("select 'old';\n");
  AppliedRow dirty = applied(files[1]);
  dirty.is_dirty = true;
  CHECK(error_of(plan_up(files, {drifted, dirty, row("3", "0003", "c", sha256_hex("select 3;\n"))})) ==
        "migrations/0001_a.sql: checksum differs from the applied version; "
        "version 0002 (migrations/0002_b.sql) is marked dirty: a run stopped part-way through it; "
        "version 0003 (c) is applied but no migration file has it" +
            kRepairAdvice);
}

TEST_CASE("--to does not hide a problem past it") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;")};
  AppliedRow drifted = applied(files[1]);
  drifted.checksum = sha256_hex("something else");
  CHECK(error_of(plan_up(files, {drifted}, "1")) ==
        "migrations/0002_b.sql: checksum differs from the applied version" + kRepairAdvice);
}

// ---------------------------------------------------------------------------------------------
// Adopted tables and late arrivals

TEST_CASE("applied rows without a checksum are unrecorded, neither pending nor an error") {
  // dbmate's table has no checksum column; its rows get one on first sight (SPEC §3).
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;"),
                                  file("0003_c.sql", "select 3;")};
  auto plan = plan_up(files, {row("1", "0001", "", ""), row("2", "0002", "", "")});
  REQUIRE(plan);
  CHECK(versions(plan->unrecorded) == Versions{"0001", "0002"});
  CHECK(plan->unrecorded[0] == &files[0]);
  CHECK(versions(plan->pending) == Versions{"0003"});
  CHECK(plan->out_of_order.empty());
}

TEST_CASE("a pending migration older than the newest applied one is pending and out of order") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;"), file("0002_b.sql", "select 2;"),
                                  file("0003_c.sql", "select 3;"), file("0004_d.sql", "select 4;")};
  auto plan = plan_up(files, {applied(files[0]), applied(files[2])});
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"0002", "0004"});
  CHECK(versions(plan->out_of_order) == Versions{"0002"});
}

TEST_CASE("out of order compares versions numerically, not as text") {
  std::vector<Migration> files = {file("9_a.sql", "select 9;"), file("10_b.sql", "select 10;"),
                                  file("20240101120000_c.sql", "select 1;")};
  // "9" sorts after "10" as text; numerically 9 is older.
  auto plan = plan_up(files, {applied(files[1])});
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"9", "20240101120000"});
  CHECK(versions(plan->out_of_order) == Versions{"9"});
}

TEST_CASE("the newest applied version counts even when the history is not in order") {
  std::vector<Migration> files = {file("1_a.sql", "select 1;"), file("2_b.sql", "select 2;"),
                                  file("3_c.sql", "select 3;")};
  auto plan = plan_up(files, {applied(files[2]), applied(files[0])});
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"2"});
  CHECK(versions(plan->out_of_order) == Versions{"2"});
}

// ---------------------------------------------------------------------------------------------
// Future migrations: applied by a newer release whose image was rolled back (SPEC §1 step 5)

// Files 0001..00NN, each applied.
std::vector<Migration> numbered(int count) {
  std::vector<Migration> files;
  for (int i = 1; i <= count; ++i) {
    std::string v = (i < 10 ? "000" : "00") + std::to_string(i);
    files.push_back(file(v + "_m" + std::to_string(i) + ".sql", "select " + std::to_string(i) + ";"));
  }
  return files;
}

std::vector<AppliedRow> all_applied(const std::vector<Migration>& files) {
  std::vector<AppliedRow> rows;
  for (const Migration& m : files) rows.push_back(applied(m));
  return rows;
}

TEST_CASE("an applied version newer than every file is a future migration, not an error") {
  std::vector<Migration> newer = numbered(43);
  std::vector<Migration> files(newer.begin(), newer.end() - 1);  // the previous image: up to 0042
  auto plan = plan_up(files, all_applied(newer));
  REQUIRE(plan);
  CHECK(plan->pending.empty());
  CHECK(plan->unrecorded.empty());
  REQUIRE(plan->future.size() == 1);
  CHECK(plan->future[0].version_text == "0043");
  CHECK(future_warning(*plan, files) ==
        "version 0043 (m43) is applied but newer than every migration file (the newest is 0042): a future "
        "migration, as after rolling back to an older release; it is left applied and the run goes on");
}

TEST_CASE("several future migrations are named in one warning, oldest first") {
  std::vector<Migration> newer = numbered(5);
  std::vector<Migration> files(newer.begin(), newer.begin() + 3);
  auto plan = plan_up(files, all_applied(newer));
  REQUIRE(plan);
  CHECK(future_warning(*plan, files) ==
        "versions 0004 (m4), 0005 (m5) are applied but newer than every migration file (the newest is 0003): "
        "future migrations, as after rolling back to an older release; they are left applied and the run "
        "goes on");
}

TEST_CASE("a plan without future migrations has no warning") {
  std::vector<Migration> files = numbered(2);
  auto plan = plan_up(files, all_applied(files));
  REQUIRE(plan);
  CHECK(plan->future.empty());
  CHECK(future_warning(*plan, files) == "");
}

TEST_CASE("a version is future only when it is newer than the newest file, compared numerically") {
  std::vector<Migration> files = {file("9_a.sql", "select 9;"), file("10_b.sql", "select 10;")};
  auto plan = plan_up(files, {applied(files[0]), row("11", "11", "c", sha256_hex("x")),
                              row("20240101120000", "20240101120000", "", "")});
  REQUIRE(plan);
  CHECK(versions(plan->pending) == Versions{"10"});
  REQUIRE(plan->future.size() == 2);
  CHECK(plan->future[0].version_text == "11");
  CHECK(plan->future[1].version_text == "20240101120000");
  CHECK(is_future(files, plan->future[0]));
  CHECK_FALSE(is_future(files, applied(files[1])));
}

TEST_CASE("an applied version missing below the newest file is still refused, future ones beside it or not") {
  std::vector<Migration> newer = numbered(43);
  std::vector<Migration> files(newer.begin(), newer.end() - 1);
  files.erase(files.begin() + 40);  // 0041 removed, 0042 kept
  CHECK(error_of(plan_up(files, all_applied(newer))) ==
        "version 0041 (m41) is applied but no migration file has it" + kRepairAdvice);
}

TEST_CASE("with no files at all an applied version is missing, not future") {
  // An empty directory is far likelier a wrong MIGRATIONS_DIR than an image from before the first migration.
  CHECK_FALSE(is_future({}, row("1", "0001", "a", sha256_hex("x"))));
  CHECK(error_of(plan_up({}, {row("1", "0001", "a", sha256_hex("x"))})) ==
        "version 0001 (a) is applied but no migration file has it" + kRepairAdvice);
}

TEST_CASE("a future migration left dirty is refused: a run stopped part-way through it") {
  std::vector<Migration> files = {file("0001_a.sql", "select 1;")};
  CHECK(error_of(plan_up(files, {applied(files[0]), row("2", "0002", "b", "", true)})) ==
        "version 0002 is marked dirty: a run stopped part-way through it" + kRepairAdvice);
}

TEST_CASE(
    "golang-migrate's single row newer than every file: the files count as applied, the row is future") {
  std::vector<Migration> files = {file("1_a.sql", "select 1;"), file("2_b.sql", "select 2;")};
  AppliedRow single = row("3", "3", "", "");
  single.covers_older = true;
  auto plan = plan_up(files, {single});
  REQUIRE(plan);
  CHECK(plan->pending.empty());
  CHECK(versions(plan->unrecorded) == Versions{"1", "2"});
  REQUIRE(plan->future.size() == 1);
  CHECK(plan->future[0].version_text == "3");
}

// ---------------------------------------------------------------------------------------------
// plan_down (SPEC §2 `down`)

TEST_CASE("down takes the newest applied migration, or --steps of them, or every one above --to") {
  std::vector<Migration> files = {file("1_a.sql", "select 1;", "select -1;"),
                                  file("2_b.sql", "select 2;", "select -2;"),
                                  file("3_c.sql", "select 3;", "select -3;")};
  std::vector<AppliedRow> rows = all_applied(files);
  auto one = plan_down(files, rows, 0, "");
  REQUIRE(one);
  CHECK(versions(*one) == Versions{"3"});
  auto two = plan_down(files, rows, 2, "");
  REQUIRE(two);
  CHECK(versions(*two) == Versions{"3", "2"});
  auto to = plan_down(files, rows, 0, "1");
  REQUIRE(to);
  CHECK(versions(*to) == Versions{"3", "2"});
}

TEST_CASE("a present but empty down section is rolled back like any other") {
  std::vector<Migration> files = {file("1_a.sql", "select 1;", "select -1;"),
                                  file("2_fix.sql", "update t set x = 1;", "-- irreversible\n")};
  auto chosen = plan_down(files, all_applied(files), 2, "");
  REQUIRE(chosen);
  CHECK(versions(*chosen) == Versions{"2", "1"});
  CHECK((*chosen)[0]->down.present);
  CHECK((*chosen)[0]->down.sql.empty());
}

TEST_CASE("down refuses a migration with no down marker, or no .down.sql, naming which is missing") {
  std::vector<Migration> single = {file("1_a.sql", "select 1;")};
  auto no_marker = plan_down(single, all_applied(single), 0, "");
  REQUIRE_FALSE(no_marker);
  CHECK(no_marker.error().kind == ErrorKind::BadMigrations);
  CHECK(no_marker.error().message ==
        "migrations/1_a.sql: version 1 has no down section to roll back with (no -- migrate:down marker); "
        "nothing was rolled back");

  auto up_only = parse_file("0002_b.up.sql", "migrations/0002_b.up.sql", "select 2;");
  REQUIRE(up_only);
  std::vector<Migration> pair = {*up_only};
  auto no_file = plan_down(pair, all_applied(pair), 0, "");
  REQUIRE_FALSE(no_file);
  CHECK(no_file.error().message ==
        "migrations/0002_b.up.sql: version 0002 has no down section to roll back with (no .down.sql file); "
        "nothing was rolled back");
}

TEST_CASE("down refuses a future migration: no file here holds its down section") {
  std::vector<Migration> files = {file("1_a.sql", "select 1;", "select -1;")};
  std::vector<AppliedRow> rows = {applied(files[0]), row("2", "0002", "b", sha256_hex("select 2;\n"))};
  for (auto chosen : {plan_down(files, rows, 0, ""), plan_down(files, rows, 0, "0")}) {
    REQUIRE_FALSE(chosen);
    CHECK(chosen.error().kind == ErrorKind::BadMigrations);
    CHECK(chosen.error().message ==
          "version 0002 (b) has no migration file here: a future migration, applied by a newer release; roll "
          "it "
          "back with that release's files. Nothing was rolled back");
  }
}

}  // namespace
}  // namespace schemagate::migrate
