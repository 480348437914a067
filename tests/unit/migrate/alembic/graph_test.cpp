// The revision graph (src/migrate/alembic/graph.h) of projects read from disk: its shapes (a chain,
// a merge, several heads, none), heads, pending, and the checks read_project makes on it.
#include "migrate/alembic/graph.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "project_fixture.h"

namespace schemagate::migrate::alembic {
namespace {

using namespace fixture;

Ids pending_of(const Project &project, const Ids &current) {
  auto p = pending(project, current);
  REQUIRE_MESSAGE(p, p.error().message);
  return *p;
}

// The merge used below:  1975ea83b712 <- {27c6a30d7c24, 3a4b5c6d7e8f} <- ae1027a6acf
void write_merge(const Dir &dir) {
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/27c6a30d7c24_add_email.py", linear("27c6a30d7c24", "1975ea83b712"));
  dir.write("alembic/versions/3a4b5c6d7e8f_add_orders.py", linear("3a4b5c6d7e8f", "1975ea83b712"));
  dir.write("alembic/versions/ae1027a6acf_merge.py",
            revision_file("ae1027a6acf", "('27c6a30d7c24', '3a4b5c6d7e8f')", "27c6a30d7c24, 3a4b5c6d7e8f"));
}

TEST_CASE(
    "a linear chain has one head and lists its revision files, ignoring "
    "the rest of the directory") {
  Dir dir;
  dir.write("alembic.ini", ini("# path to migration scripts\nscript_location = alembic\n"));
  dir.write("alembic/env.py", "revision = 'not a revision file'\n");
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/27c6a30d7c24_add_email.py", linear("27c6a30d7c24", "1975ea83b712"));
  dir.write("alembic/versions/ae1027a6acf_add_orders.py", linear("ae1027a6acf", "27c6a30d7c24"));
  dir.write("alembic/versions/__init__.py", "");
  dir.write("alembic/versions/README", "revision = 'x'\n");
  dir.write("alembic/versions/.#ae1027a6acf_add_orders.py",
            "");  // an editor's lock file
  dir.write("alembic/versions/__pycache__/ae1027a6acf_add_orders.cpython-311.pyc", "\x01\x02");
  dir.write("alembic/versions/__pycache__/stale.py", "");

  Project project = read(dir);
  CHECK(project.ini_path == dir.at("alembic.ini"));
  CHECK(project.versions_dir == dir.at("alembic/versions"));
  CHECK(project.version_dirs == Ids{dir.at("alembic/versions")});
  REQUIRE(project.revisions.size() == 3);
  const Revision &first = find(project, "1975ea83b712");
  CHECK(first.parents.empty());
  CHECK(first.path == dir.at("alembic/versions/1975ea83b712_create_users.py"));
  CHECK(first.line == 15);
  CHECK(first.parents_line == 16);
  CHECK(find(project, "27c6a30d7c24").parents == Ids{"1975ea83b712"});
  CHECK(find(project, "ae1027a6acf").parents == Ids{"27c6a30d7c24"});
  CHECK(heads(project) == Ids{"ae1027a6acf"});
  auto head = single_head(project);
  REQUIRE(head);
  CHECK(*head == "ae1027a6acf");
}

TEST_CASE("a merge revision's tuple names both parents and leaves one head") {
  Dir dir;
  write_merge(dir);
  Project project = read(dir);
  CHECK(find(project, "ae1027a6acf").parents == Ids{"27c6a30d7c24", "3a4b5c6d7e8f"});
  CHECK(heads(project) == Ids{"ae1027a6acf"});
  auto head = single_head(project);
  REQUIRE(head);
  CHECK(*head == "ae1027a6acf");
}

TEST_CASE("several heads are an error naming them, sorted") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/ae1027a6acf_add_orders.py", linear("ae1027a6acf", "1975ea83b712"));
  dir.write("alembic/versions/27c6a30d7c24_add_email.py", linear("27c6a30d7c24", "1975ea83b712"));
  Project project = read(dir);
  CHECK(heads(project) == Ids{"27c6a30d7c24", "ae1027a6acf"});
  auto head = single_head(project);
  REQUIRE_FALSE(head);
  CHECK(head.error().kind == ErrorKind::BadMigrations);
  CHECK(head.error().message ==
        "several Alembic heads: 27c6a30d7c24, ae1027a6acf (merge them with "
        "`alembic merge heads`)");
}

TEST_CASE("a project without revisions yet has no head and nothing pending") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  fs::create_directories(dir.path / "alembic/versions");
  Project project = read(dir);
  CHECK(project.revisions.empty());
  CHECK(heads(project).empty());
  auto head = single_head(project);
  REQUIRE(head);
  CHECK(*head == "");
  CHECK(pending_of(project, {}).empty());
}

TEST_CASE("pending on an empty alembic_version lists every revision, parents first") {
  Dir dir;
  write_merge(dir);
  Project project = read(dir);
  CHECK(pending_of(project, {}) == Ids{"1975ea83b712", "27c6a30d7c24", "3a4b5c6d7e8f", "ae1027a6acf"});
}

TEST_CASE(
    "pending on a partially applied history lists what is left, parents "
    "first") {
  Dir dir;
  write_merge(dir);
  Project project = read(dir);
  CHECK(pending_of(project, {"1975ea83b712"}) == Ids{"27c6a30d7c24", "3a4b5c6d7e8f", "ae1027a6acf"});
  CHECK(pending_of(project, {"3a4b5c6d7e8f"}) == Ids{"27c6a30d7c24", "ae1027a6acf"});
  // Two rows in alembic_version: both branches applied, the merge not yet.
  CHECK(pending_of(project, {"27c6a30d7c24", "3a4b5c6d7e8f"}) == Ids{"ae1027a6acf"});
}

TEST_CASE("pending on a fully applied history is empty") {
  Dir dir;
  write_merge(dir);
  Project project = read(dir);
  CHECK(pending_of(project, {"ae1027a6acf"}).empty());
}

TEST_CASE("pending keeps each branch together when heads are not merged yet") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/a.py", linear("a0", ""));
  dir.write("alembic/versions/b1.py", linear("b1", "a0"));
  dir.write("alembic/versions/b2.py", linear("b2", "b1"));
  dir.write("alembic/versions/c1.py", linear("c1", "a0"));
  dir.write("alembic/versions/c2.py", linear("c2", "c1"));
  Project project = read(dir);
  CHECK(pending_of(project, {}) == Ids{"a0", "b1", "b2", "c1", "c2"});
  CHECK(pending_of(project, {"b2", "c1"}) == Ids{"c2"});
}

TEST_CASE("pending refuses an alembic_version id that no revision file has") {
  Dir dir;
  write_merge(dir);
  Project project = read(dir);
  auto p = pending(project, {"1975ea83b712", "deadbeef0001"});
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::BadMigrations);
  CHECK(p.error().message == "alembic_version holds 'deadbeef0001', which no revision file has");
}

TEST_CASE(
    "a duplicate id, an unknown parent and a cycle are errors naming "
    "file:line") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/a.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/b.py", linear("1975ea83b712", ""));
  Error duplicate = read_error(dir);
  CHECK(duplicate.kind == ErrorKind::BadMigrations);
  CHECK(duplicate.message == dir.at("alembic/versions/b.py") +
                                 ":15: duplicate revision id '1975ea83b712' (also " +
                                 dir.at("alembic/versions/a.py") + ":15)");

  dir.write("alembic/versions/b.py", linear("ae1027a6acf", "0badc0ffee00"));
  Error unknown = read_error(dir);
  CHECK(unknown.kind == ErrorKind::BadMigrations);
  CHECK(unknown.message == dir.at("alembic/versions/b.py") +
                               ":16: down_revision names '0badc0ffee00', which "
                               "no revision file has");

  dir.write("alembic/versions/a.py", linear("1975ea83b712", "ae1027a6acf"));
  dir.write("alembic/versions/b.py", linear("ae1027a6acf", "1975ea83b712"));
  Error cycle = read_error(dir);
  CHECK(cycle.kind == ErrorKind::BadMigrations);
  CHECK(cycle.message == dir.at("alembic/versions/a.py") +
                             ":16: revisions form a cycle: 1975ea83b712 -> "
                             "ae1027a6acf -> 1975ea83b712");
}

}  // namespace
}  // namespace schemagate::migrate::alembic
