// MIGRATE_COMMAND read as `alembic` reads its command line (src/migrate/alembic/command_line.h):
// where its ini file is, and the upgrade target schemagate can reason about.
#include "migrate/alembic/command_line.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate::migrate::alembic {
namespace {

TEST_CASE("the ini file and section are where alembic's -c/--config and -n/--name point") {
  IniChoice plain = ini_for({"alembic", "upgrade", "head"});
  CHECK(plain.path == "alembic.ini");
  CHECK(plain.section == "alembic");

  IniChoice short_options =
      ini_for({"/usr/bin/alembic", "-c", "db/alembic.ini", "-n", "audit", "upgrade", "head"});
  CHECK(short_options.path == "db/alembic.ini");
  CHECK(short_options.section == "audit");

  IniChoice long_options = ini_for({"alembic", "--config", "a.ini", "--name=audit", "upgrade", "head"});
  CHECK(long_options.path == "a.ini");
  CHECK(long_options.section == "audit");
  CHECK(ini_for({"alembic", "--config=b.ini", "--name", "billing", "upgrade", "head"}).path == "b.ini");

  // A trailing option without its value names nothing.
  CHECK(ini_for({"alembic", "upgrade", "head", "-c"}).path == "alembic.ini");
}

TEST_CASE("a migrate command that is not alembic itself keeps alembic.ini and [alembic]") {
  IniChoice wrapped = ini_for({"./migrate.sh", "-c", "other.ini", "-n", "other"});
  CHECK(wrapped.path == "alembic.ini");
  CHECK(wrapped.section == "alembic");
  CHECK(ini_for({"python3", "-m", "alembic", "-c", "other.ini", "upgrade", "head"}).path == "alembic.ini");
  CHECK(ini_for({}).path == "alembic.ini");
}

TEST_CASE("-c and -n take their value attached too, and -x's value is no subcommand") {
  IniChoice attached = ini_for({"alembic", "-cdb/alembic.ini", "-naudit", "upgrade", "head"});
  CHECK(attached.path == "db/alembic.ini");
  CHECK(attached.section == "audit");
  CHECK(ini_for({"alembic", "-x", "tenant=a", "-c", "x.ini", "upgrade", "head"}).path == "x.ini");
  // After the subcommand, -c is no option of alembic's: alembic itself refuses it.
  CHECK(ini_for({"alembic", "upgrade", "head", "-c", "x.ini"}).path == "alembic.ini");
}

TEST_CASE("the upgrade target is read where schemagate can compute what it runs") {
  CHECK(upgrade_target({"alembic", "upgrade", "head"}) == "head");
  CHECK(upgrade_target({"/usr/bin/alembic", "upgrade", "heads"}) == "heads");
  CHECK(upgrade_target({"alembic", "-c", "db/alembic.ini", "-n", "audit", "upgrade", "ae1027a6acf"}) ==
        "ae1027a6acf");
  CHECK(upgrade_target({"alembic", "--raiseerr", "-x", "tenant=a", "upgrade", "audit@head"}) == "audit@head");
  CHECK(upgrade_target({"alembic", "upgrade", "--tag", "v2", "app@heads"}) == "app@heads");
  CHECK(upgrade_target({"alembic", "upgrade", "--tag=v2", "base"}) == "base");
  CHECK(upgrade_target({"alembic", "upgrade", "app@ae10"}) == "app@ae10");
}

TEST_CASE("a target schemagate cannot compute is judged against every head") {
  // Relative steps walk from the rows: _relative_destination, (?:(.+?)@)?(\w+)?((?:\+|-)\d+).
  CHECK(upgrade_target({"alembic", "upgrade", "+1"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "app@+2"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "ae10+1"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "head-1"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "a@b@+1"}) == "heads");
  // Offline SQL, ranges, several or no targets, another subcommand, an unknown option.
  CHECK(upgrade_target({"alembic", "upgrade", "head", "--sql"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "ae10:head"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "a", "b"}) == "heads");
  CHECK(upgrade_target({"alembic", "upgrade", "--tag"}) == "heads");
  CHECK(upgrade_target({"alembic", "stamp", "head"}) == "heads");
  CHECK(upgrade_target({"alembic", "--verbose", "upgrade", "head"}) == "heads");
  CHECK(upgrade_target({"alembic"}) == "heads");
  // Not alembic itself: a script, python -m alembic.
  CHECK(upgrade_target({"sh", "migrate.sh", "upgrade", "head"}) == "heads");
  CHECK(upgrade_target({"python3", "-m", "alembic", "upgrade", "head"}) == "heads");
  CHECK(upgrade_target({}) == "heads");
}

TEST_CASE("a target with @ or a sign that is no relative step stays a target") {
  CHECK(upgrade_target({"alembic", "upgrade", "@+1"}) == "@+1");  // a label before @ is not empty
  CHECK(upgrade_target({"alembic", "upgrade", "ae10+x"}) == "ae10+x");
}

}  // namespace
}  // namespace schemagate::migrate::alembic
