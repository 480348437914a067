// The revision graph (src/migrate/alembic/graph.h) of projects read from disk: its shapes (a chain,
// a merge, several heads, none), branch labels and depends_on, heads, and the checks read_project
// makes on it. What Alembic's commands compute from it is upgrade_test.cpp's.
#include "migrate/alembic/graph.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "migrate/alembic/upgrade.h"
#include "project_fixture.h"

namespace schemagate::migrate::alembic {
namespace {

using namespace fixture;

std::string find_error(const Graph &g, std::string_view identifier) {
  auto n = g.find(identifier);
  REQUIRE_FALSE(n);
  CHECK(n.error().kind == ErrorKind::BadMigrations);
  return n.error().message;
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
}

TEST_CASE("a merge revision's tuple names both parents and leaves one head") {
  Dir dir;
  write_merge(dir);
  Project project = read(dir);
  CHECK(find(project, "ae1027a6acf").parents == Ids{"27c6a30d7c24", "3a4b5c6d7e8f"});
  CHECK(heads(project) == Ids{"ae1027a6acf"});
}

TEST_CASE("several heads are listed, sorted") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/ae1027a6acf_add_orders.py", linear("ae1027a6acf", "1975ea83b712"));
  dir.write("alembic/versions/27c6a30d7c24_add_email.py", linear("27c6a30d7c24", "1975ea83b712"));
  Project project = read(dir);
  CHECK(heads(project) == Ids{"27c6a30d7c24", "ae1027a6acf"});
  // In file order, as the revision map keeps them.
  CHECK(project.graph.ids(project.graph.real_heads()) == Ids{"27c6a30d7c24", "ae1027a6acf"});
}

TEST_CASE("a project without revisions yet has no head") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  fs::create_directories(dir.path / "alembic/versions");
  Project project = read(dir);
  CHECK(project.revisions.empty());
  CHECK(heads(project).empty());
  CHECK(project.graph.real_heads().empty());
}

// A revision another depends on, with nothing naming it as down_revision, is still a head for
// `alembic heads` (which marks it "effective head"), but not one `upgrade heads` aims at.
TEST_CASE("a revision another depends on stays a head, but not a real one") {
  Dir dir;
  Project project = history(dir, {{"p1"}, {"p2", "'p1'"}, {"q1", "None", "None", "'p2'"}, {"q2", "'q1'"}});
  const Graph &g = project.graph;
  CHECK(heads(project) == Ids{"p2", "q2"});
  CHECK(g.ids(g.real_heads()) == Ids{"q2"});
  auto q1 = g.find("q1");
  REQUIRE(q1);
  CHECK(g.ids(g.normalized_down(*q1)) == Ids{"p2"});
  CHECK(g.ancestors({*q1}, true) == Graph::Set{true, true, true, false});
  CHECK(g.ancestors({*q1}, false) == Graph::Set{false, false, true, false});
  auto p1 = g.find("p1");
  REQUIRE(p1);
  CHECK(g.descendants({*p1}, true) == Graph::Set{true, true, true, true});
  CHECK(g.descendants({*p1}, false) == Graph::Set{true, true, false, false});
  CHECK(g.shares_lineage(*p1, *g.find("p2")));
  CHECK_FALSE(g.shares_lineage(*p1, *q1));
}

TEST_CASE("a dependency an ancestor already has is no down edge of its own (_normalize_depends_on)") {
  Dir dir;
  Project project = history(dir, {{"a000"},
                                  {"b000"},
                                  {"c111", "'a000'", "None", "'b000'"},
                                  {"c222", "'c111'", "None", "('b000', 'a000')"},
                                  {"c333", "'c222'", "None", "['b000', 'b000']"}});
  const Graph &g = project.graph;
  auto down = [&](const char *id) { return g.ids(g.normalized_down(*g.find(id))); };
  CHECK(down("c111") == Ids{"a000", "b000"});
  CHECK(down("c222") == Ids{"c111", "a000"});  // a000 is c111's parent, not its dependency: kept
  CHECK(down("c333") == Ids{"c222"});
  CHECK(heads(project) == Ids{"b000", "c333"});  // b000: only depended on, an effective head
  CHECK(g.ids(g.real_heads()) == Ids{"c333"});
}

TEST_CASE("find resolves ids, branch labels, and partial ids matching one key over three characters") {
  Dir dir;
  Project project = history(dir, {{"1975ea83b712", "None", "'users'"},
                                  {"27c6a30d7c24", "'1975ea83b712'", "('email', 'contact')"},
                                  {"2799aaaa0000", "'1975ea83b712'"}});
  const Graph &g = project.graph;
  auto id_of = [&](const std::string &identifier) {
    auto n = g.find(identifier);
    REQUIRE_MESSAGE(n, n.error().message);
    return g.id(*n);
  };
  CHECK(id_of("27c6a30d7c24") == "27c6a30d7c24");
  CHECK(id_of("users") == "1975ea83b712");
  CHECK(id_of("contact") == "27c6a30d7c24");
  CHECK(id_of("19") == "1975ea83b712");  // the key must be over three characters, not the prefix
  CHECK(id_of("27c6") == "27c6a30d7c24");
  CHECK(id_of("con") == "27c6a30d7c24");

  CHECK(find_error(g, "27") == "several Alembic revisions start with '27': '2799aaaa0000', '27c6a30d7c24'");
  CHECK(find_error(g, "abc") ==
        "no Alembic revision or branch label 'abc' (a partial revision id needs at least four characters)");
  CHECK(find_error(g, "abcdef") == "no Alembic revision or branch label 'abcdef'");
}

TEST_CASE("a partial id after branch@ counts only the keys on that branch's line") {
  Dir dir;
  Project project = history(dir, {{"a000"}, {"b111", "'a000'", "'left'"}, {"b222", "'a000'", "'right'"}});
  const Graph &g = project.graph;
  CHECK(find_error(g, "b") == "several Alembic revisions start with 'b': 'b111', 'b222'");
  auto on_left = g.find("b", *g.find("left"));
  REQUIRE(on_left);
  CHECK(g.id(*on_left) == "b111");
}

TEST_CASE("branch labels and depends_on that Alembic refuses are errors naming file:line") {
  Dir dir;
  write_history(dir, {{"a000", "None", "'shared'"}, {"b000", "'a000'", "['other', 'shared']"}});
  Error twice = read_error(dir);
  CHECK(twice.kind == ErrorKind::BadMigrations);
  CHECK(twice.message == dir.at("alembic/versions/b000.py") +
                             ":17: branch label 'shared' is already used by revision 'a000' (" +
                             dir.at("alembic/versions/a000.py") + ":15)");

  Dir id_label;
  write_history(id_label, {{"a000"}, {"b000", "'a000'", "'a000'"}});
  CHECK(read_error(id_label).message == id_label.at("alembic/versions/b000.py") +
                                            ":17: branch label 'a000' is already used by revision 'a000' (" +
                                            id_label.at("alembic/versions/a000.py") + ":15)");

  Dir unknown;
  write_history(unknown, {{"a000"}, {"b000", "'a000'", "None", "('a000', 'nowhere')"}});
  CHECK(read_error(unknown).message ==
        unknown.at("alembic/versions/b000.py") +
            ":18: depends_on names 'nowhere', which is neither a revision nor a "
            "branch label");

  Dir illegal;
  write_history(illegal, {{"a-1"}});
  CHECK(read_error(illegal).message ==
        illegal.at("alembic/versions/a-1.py") +
            ":15: revision id 'a-1' holds '-', which Alembic does not allow in a "
            "revision id");

  // A label is not a revision: down_revision must name one by its id.
  Dir label_parent;
  write_history(label_parent, {{"a000", "None", "'main'"}, {"b000", "'main'"}});
  CHECK(read_error(label_parent).message ==
        label_parent.at("alembic/versions/b000.py") +
            ":16: down_revision names 'main', which no revision file has");
}

TEST_CASE("a cycle through depends_on is an error, as Alembic's DependencyCycleDetected") {
  Dir dir;
  write_history(dir, {{"a000", "None", "None", "'b000'"}, {"b000", "'a000'"}});
  Error cycle = read_error(dir);
  CHECK(cycle.kind == ErrorKind::BadMigrations);
  CHECK(cycle.message ==
        dir.at("alembic/versions/a000.py") + ":18: revisions form a cycle: a000 -> b000 -> a000");

  Dir self;
  write_history(self, {{"a000", "None", "'x'", "'x'"}});
  CHECK(read_error(self).message ==
        self.at("alembic/versions/a000.py") + ":18: revisions form a cycle: a000 -> a000");
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
