// alembic.ini read as configparser reads it (src/migrate/alembic/ini.h).
#include "migrate/alembic/ini.h"

#include <doctest/doctest.h>

#include <string>

#include "project_fixture.h"

namespace schemagate::migrate::alembic {
namespace {

using namespace fixture;

TEST_CASE(
    "%(here)s is the ini file's directory, and relative paths are "
    "resolved from it too") {
  Dir dir;
  dir.write("app/alembic.ini", ini("script_location = %(here)s/migrations\n"));
  dir.write("app/migrations/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  Project project = read(dir, "app/alembic.ini");
  CHECK(project.versions_dir == dir.at("app/migrations/versions"));
  CHECK(project.revisions.size() == 1);

  // Not the working directory, which is wherever the tests run.
  dir.write("app/alembic.ini", ini("script_location = migrations\n"));
  CHECK(read(dir, "app/alembic.ini").versions_dir == dir.at("app/migrations/versions"));

  // Other keys, [DEFAULT] and %% interpolate as configparser does.
  dir.write("app/alembic.ini",
            "[DEFAULT]\nroot = %(here)s\n\n[alembic]\nname "
            "= migr%%\nscript_location = "
            "%(ROOT)s/%(name)sations\n");
  dir.write("app/migr%ations/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  CHECK(read(dir, "app/alembic.ini").versions_dir == dir.at("app/migr%ations/versions"));
}

TEST_CASE("a section or a key given twice, or a line that is neither, is an error naming its line") {
  auto section_twice = parse_ini("[alembic]\na = 1\n\n[alembic]\n", "x.ini");
  REQUIRE_FALSE(section_twice);
  CHECK(section_twice.error().kind == ErrorKind::Config);
  CHECK(section_twice.error().message == "x.ini:4: section [alembic] appears twice (first on line 1)");
  CHECK(parse_ini("[alembic]\nno delimiter\n", "x.ini").error().message ==
        "x.ini:2: expected key = value or [section]");
}

TEST_CASE("values continue on indented lines; keys are read in any case; a stray % or a loop is an error") {
  auto parsed = parse_ini(
      "\xEF\xBB\xBF[alembic]\n"
      "Locations = a\n"
      "    # not part of the value\n"
      "    %(more)s\n"
      "more = b%%\n"
      "loop = %(loop)s\n"
      "bad = 50%\n",
      "x.ini");
  REQUIRE_MESSAGE(parsed, parsed.error().message);
  IniSection alembic(*parsed, "alembic", "/srv/app");
  auto locations = alembic.get("locations");
  REQUIRE(locations);
  REQUIRE(*locations);
  CHECK((*locations)->text == "a\nb%");
  CHECK((*locations)->line == 2);
  auto unset = alembic.get("version_locations");
  REQUIRE(unset);
  CHECK_FALSE(*unset);
  CHECK(alembic.get("loop").error().message == "x.ini:6: loop: interpolation nests deeper than 10 (a loop?)");
  CHECK(alembic.get("bad").error().message == "x.ini:7: bad: '%' must be followed by '%' or '(name)s'");
}

}  // namespace
}  // namespace schemagate::migrate::alembic
