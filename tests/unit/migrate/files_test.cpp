#include "migrate/files.h"

#include <doctest/doctest.h>

#include <string>

#include "../../support/files.h"

namespace schemagate::migrate {
namespace {

using testing::TempDir;

Migration parsed(std::string_view name, std::string text) {
  auto m = parse_file(name, name, std::move(text));
  REQUIRE_MESSAGE(m, m.error().message);
  return *m;
}

std::string parse_error(std::string_view name, std::string text) {
  auto m = parse_file(name, name, std::move(text));
  REQUIRE_FALSE(m);
  CHECK(m.error().kind == ErrorKind::BadMigrations);
  return m.error().message;
}

TEST_CASE("a single file has its up and down sections and the line each starts on") {
  Migration m = parsed("0003_users.sql", "-- migrate:up\ncreate table users ();\n\n-- migrate:down\ndrop table users;\n");
  CHECK(m.version == "3");
  CHECK(m.name == "users");
  CHECK(m.up.sql == "create table users ();\n\n");
  CHECK(m.up.first_line == 2);
  CHECK_FALSE(m.up.transaction_false);
  CHECK(m.down.present);
  CHECK(m.down.sql == "drop table users;\n");
  CHECK(m.down.first_line == 5);
}

TEST_CASE("a down marker followed by nothing, or only comments, is a present but empty down section") {
  // dbmate and golang-migrate roll such a version back by removing its row (SPEC §2 `down`): only
  // a missing marker means there is no down section.
  for (std::string down : {"", "\n\n", "-- irreversible: the data fix stays\n", "/* nothing */ \n-- x\n"}) {
    CAPTURE(down);
    Migration m = parsed("0003_fix.sql", "-- migrate:up\nupdate t set x = 1;\n-- migrate:down\n" + down);
    CHECK(m.down.present);
    CHECK(m.down.sql == "");
    CHECK(m.down.path == "0003_fix.sql");
  }
  CHECK_FALSE(parsed("0003_fix.sql", "-- migrate:up\nupdate t set x = 1;\n").down.present);
}

TEST_CASE("a .down.sql of blanks and comments is a present but empty down section") {
  Migration m = parsed("0003_fix.down.sql", "-- irreversible\n\n");
  CHECK(m.down.present);
  CHECK(m.down.sql == "");
}

TEST_CASE("markers are found with CRLF line ends and a BOM") {
  Migration m = parsed("4_x.sql", "\xEF\xBB\xBF-- migrate:up\r\nselect 1;\r\n-- migrate:down\r\nselect 2;\r\n");
  CHECK(m.up.sql == "select 1;\r\n");
  CHECK(m.down.sql == "select 2;\r\n");
}

TEST_CASE("a dash may separate the version from the name, and the name may be empty") {
  CHECK(parsed("20240101120000-add-users.up.sql", "select 1").name == "add-users");
  CHECK(parsed("0007.up.sql", "select 1").version == "7");
  CHECK(parsed("0_init.up.sql", "select 1").version == "0");
}

TEST_CASE("parse errors name the file and line") {
  CHECK(parse_error("5_x.sql", "create table t ();\n") ==
        "5_x.sql:1: no -- migrate:up marker; a migration file starts with -- migrate:up");
  CHECK(parse_error("5_x.sql", "-- migrate:up\nselect 1;\n-- migrate:up\nselect 2;\n") ==
        "5_x.sql:3: second -- migrate:up marker (the first is on line 1)");
  CHECK(parse_error("5_x.sql", "-- migrate:down\nselect 1;\n-- migrate:up\n") ==
        "5_x.sql:1: -- migrate:down comes before -- migrate:up (line 3)");
  CHECK(parse_error("5_x.sql", "select 0;\n-- migrate:up\nselect 1;\n") ==
        "5_x.sql:1: SQL before the -- migrate:up marker (line 2)");
  CHECK(parse_error("5_x.sql", "-- migrate:up transaction:maybe\n") ==
        "5_x.sql:1: unknown marker option \"transaction:maybe\"; expected transaction:false");
  CHECK(parse_error("v1_x.sql", "-- migrate:up\n") ==
        "v1_x.sql: the name must start with a version number (e.g. 20240101120000_create_users.sql)");
  CHECK(parse_error("12x.sql", "-- migrate:up\n") ==
        "12x.sql: the version must be followed by _ or - and a name (e.g. 0003_add_users.sql)");
  CHECK(parse_error("6_x.sql", "-- migrate:up\nselect 1;\nselect '\xC3\x28';\n") == "6_x.sql:3: not valid UTF-8");
  CHECK(parse_error("6_x.sql", std::string("-- migrate:up\nselect\0 1;\n", 25)) == "6_x.sql:2: NUL byte in SQL");
}

TEST_CASE("comments before the up marker are allowed") {
  CHECK(parsed("8_x.sql", "-- author: someone\n\n-- migrate:up\nselect 1;\n").up.first_line == 4);
}

TEST_CASE("versions of mixed widths are ordered numerically") {
  CHECK(version_less("7", "36004600"));
  CHECK(version_less("36004600", "20240101120000"));
  CHECK_FALSE(version_less("10", "9"));
}

TEST_CASE("read_dir reads both layouts from one directory, in numeric order, ignoring other files") {
  TempDir d("files");
  d.write("20240101120000_late.sql", "-- migrate:up\nselect 3;\n-- migrate:down\nselect -3;\n");
  d.write("7_first.up.sql", "select 1;");
  d.write("7_first_renamed.down.sql", "select -1;");
  d.write("36004600-middle.up.sql", "select 2;");
  d.write("README.md", "not sql");
  d.write("checksums.sum", "abc");
  auto all = read_dir(d.path());
  REQUIRE_MESSAGE(all, all.error().message);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].version == "7");
  CHECK((*all)[0].down.sql == "select -1;");
  CHECK((*all)[0].name == "first");
  CHECK((*all)[1].version == "36004600");
  CHECK_FALSE((*all)[1].down.present);
  CHECK((*all)[2].version == "20240101120000");
}

TEST_CASE("read_dir refuses duplicate versions and a down file without its up file") {
  TempDir d("files");
  d.write("001_a.sql", "-- migrate:up\nselect 1;\n");
  d.write("1_b.up.sql", "select 1;");
  auto dup = read_dir(d.path());
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message == d.file("1_b.up.sql") + ": duplicate version 1 (also " + d.file("001_a.sql") + ")");

  TempDir e("files");
  e.write("2_a.down.sql", "select 1;");
  auto orphan = read_dir(e.path());
  REQUIRE_FALSE(orphan);
  CHECK(orphan.error().message == e.file("2_a.down.sql") + ": a .down.sql without its .up.sql (version 2)");
}

TEST_CASE("the checksum covers the up SQL only") {
  Migration a = parsed("1_a.sql", "-- migrate:up\nselect 1;\n-- migrate:down\nselect 2;\n");
  Migration b = parsed("1_a.sql", "-- migrate:up\nselect 1;\n-- migrate:down\nselect 3;\n");
  Migration c = parsed("1_a.sql", "-- migrate:up\nselect 4;\n-- migrate:down\nselect 2;\n");
  CHECK(a.checksum == b.checksum);
  CHECK(a.checksum != c.checksum);
}

TEST_CASE("acknowledging a pre-flight finding is not drift: -- schemagate:ack lines are left out of the checksum") {
  Migration plain = parsed("1_a.sql", "-- migrate:up\nalter table t drop column c;\n");
  Migration acked =
      parsed("1_a.sql", "-- migrate:up\n  -- schemagate:ack drop-column\nalter table t drop column c;\n");
  Migration other = parsed("1_a.sql", "-- migrate:up\n-- reviewed\nalter table t drop column c;\n");
  CHECK(acked.checksum == plain.checksum);
  CHECK(other.checksum != plain.checksum);  // any other comment is part of the file as before
  CHECK(plain.checksum == checksum_of("alter table t drop column c;\n"));
  // The SQL run is unchanged: the line is still in it.
  CHECK(acked.up.sql == "  -- schemagate:ack drop-column\nalter table t drop column c;\n");
}

}  // namespace
}  // namespace schemagate::migrate
