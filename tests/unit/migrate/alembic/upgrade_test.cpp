// What Alembic's commands make of a graph and alembic_version's rows (src/migrate/alembic/upgrade.h):
// `alembic current`, and what `alembic upgrade TARGET` runs, in its order. Every expected value
// here is what Alembic 1.8's RevisionMap computes for the same files and rows (files taken in
// sorted order, as Alembic 1.9+ takes them).
#include "migrate/alembic/upgrade.h"

#include <doctest/doctest.h>

#include <string>

#include "project_fixture.h"

namespace schemagate::migrate::alembic {
namespace {

using namespace fixture;

Ids pending_of(const Project &project, const Ids &rows, const std::string &target) {
  auto p = pending(project, rows, target);
  REQUIRE_MESSAGE(p, p.error().message);
  return *p;
}

Ids current_of(const Project &project, const Ids &rows) {
  auto c = current(project, rows);
  REQUIRE_MESSAGE(c, c.error().message);
  return *c;
}

std::string pending_error(const Project &project, const Ids &rows, const std::string &target) {
  auto p = pending(project, rows, target);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::BadMigrations);
  return p.error().message;
}

// The merge used below:  1975ea83b712 <- {27c6a30d7c24, 3a4b5c6d7e8f} <- ae1027a6acf
Project merge(const Dir &dir) {
  return history(dir, {{"1975ea83b712"},
                       {"27c6a30d7c24", "'1975ea83b712'"},
                       {"3a4b5c6d7e8f", "'1975ea83b712'"},
                       {"ae1027a6acf", "('27c6a30d7c24', '3a4b5c6d7e8f')"}});
}

// The case: c depends on its sibling b; m merges them.
Project sibling_dependency(const Dir &dir) {
  return history(
      dir,
      {{"a000"}, {"b000", "'a000'"}, {"c000", "'a000'", "None", "'b000'"}, {"m000", "('b000', 'c000')"}});
}

// Two roots with labels; the audit line depends on the app line by label, then by id in a list.
Project two_roots(const Dir &dir) {
  return history(dir, {{"app1", "None", "'app'"},
                       {"app2", "'app1'"},
                       {"app3", "'app2'"},
                       {"aud1", "None", "('audit',)"},
                       {"aud2", "'aud1'", "None", "'app'"},
                       {"aud3", "'aud2'", "None", "['app2']"}});
}

TEST_CASE(
    "pending on a merge: everything below the target less everything below the rows, in Alembic's order") {
  Dir dir;
  Project project = merge(dir);
  // _topological_sort walks down from the head and takes the merge's last line first.
  CHECK(pending_of(project, {}, "head") ==
        Ids{"1975ea83b712", "3a4b5c6d7e8f", "27c6a30d7c24", "ae1027a6acf"});
  CHECK(pending_of(project, {"1975ea83b712"}, "head") == Ids{"3a4b5c6d7e8f", "27c6a30d7c24", "ae1027a6acf"});
  CHECK(pending_of(project, {"3a4b5c6d7e8f"}, "head") == Ids{"27c6a30d7c24", "ae1027a6acf"});
  // Two rows in alembic_version: both branches applied, the merge not yet.
  CHECK(pending_of(project, {"27c6a30d7c24", "3a4b5c6d7e8f"}, "head") == Ids{"ae1027a6acf"});
  CHECK(pending_of(project, {"ae1027a6acf"}, "head").empty());
  CHECK(pending_of(project, {"ae1027a6acf"}, "heads").empty());
  CHECK(current_of(project, {"27c6a30d7c24", "3a4b5c6d7e8f"}) == Ids{"27c6a30d7c24", "3a4b5c6d7e8f"});
}

TEST_CASE("unmerged heads: upgrade heads runs both lines, head refuses naming them and the way out") {
  Dir dir;
  Project project = history(dir, {{"a0"}, {"b1", "'a0'"}, {"b2", "'b1'"}, {"c1", "'a0'"}, {"c2", "'c1'"}});
  CHECK(pending_of(project, {}, "heads") == Ids{"a0", "c1", "c2", "b1", "b2"});
  CHECK(pending_of(project, {"b2", "c1"}, "heads") == Ids{"c2"});
  CHECK(current_of(project, {"b2", "c1"}) == Ids{"b2", "c1"});
  CHECK(pending_error(project, {}, "head") ==
        "several Alembic heads: b2, c2; `alembic upgrade head` refuses to choose between them (upgrade them "
        "all "
        "with `alembic upgrade heads`, or merge them with `alembic merge heads`)");
  // Refused whatever the database holds, as Alembic refuses before looking at it.
  CHECK(pending_error(project, {"b2", "c2"}, "head").starts_with("several Alembic heads: b2, c2; "));
}

TEST_CASE("a revision's depends_on counts as applied: the issue's case") {
  Dir dir;
  Project project = sibling_dependency(dir);
  // `alembic upgrade c000` leaves one row, c000; `alembic current` prints b000 and c000.
  CHECK(pending_of(project, {}, "c000") == Ids{"a000", "b000", "c000"});
  CHECK(current_of(project, {"c000"}) == Ids{"b000", "c000"});
  CHECK(pending_of(project, {"c000"}, "head") == Ids{"m000"});
  CHECK(pending_of(project, {"c000"}, "b000").empty());
  CHECK(pending_of(project, {"b000"}, "c000") == Ids{"c000"});
  CHECK(pending_of(project, {"a000"}, "c000") == Ids{"b000", "c000"});
  CHECK(pending_of(project, {}, "heads") == Ids{"a000", "b000", "c000", "m000"});
  CHECK(current_of(project, {}).empty());
  CHECK(current_of(project, {"m000"}) == Ids{"m000"});
}

TEST_CASE("depends_on by branch label and by list, across two roots") {
  Dir dir;
  Project project = two_roots(dir);
  CHECK(heads(project) == Ids{"app3", "aud3"});
  CHECK(pending_of(project, {}, "heads") == Ids{"app1", "app2", "aud1", "aud2", "aud3", "app3"});
  CHECK(pending_of(project, {}, "aud2") == Ids{"app1", "aud1", "aud2"});
  CHECK(current_of(project, {"aud2"}) == Ids{"app1", "aud2"});
  CHECK(pending_of(project, {"aud2"}, "heads") == Ids{"app2", "aud3", "app3"});
  CHECK(current_of(project, {"aud3"}) == Ids{"app2", "aud3"});
  CHECK(pending_of(project, {"aud3"}, "heads") == Ids{"app3"});
  CHECK(pending_of(project, {"app1", "aud1"}, "audit").empty());
}

TEST_CASE("targets: a label, branch@head, branch@heads, branch@rev, base, and a partial id") {
  Dir dir;
  Project project = two_roots(dir);
  CHECK(pending_of(project, {}, "audit") == Ids{"aud1"});  // the revision declaring the label
  CHECK(pending_of(project, {}, "audit@head") == Ids{"app1", "app2", "aud1", "aud2", "aud3"});
  CHECK(pending_of(project, {}, "app@head") == Ids{"app1", "app2", "app3"});
  CHECK(pending_of(project, {}, "app@heads") == Ids{"app1", "app2", "app3"});
  CHECK(pending_of(project, {"aud2"}, "audit@heads") == Ids{"app2", "aud3"});
  CHECK(pending_of(project, {}, "audit@aud2") == Ids{"app1", "aud1", "aud2"});
  CHECK(pending_of(project, {}, "base").empty());
  CHECK(pending_of(project, {}, "app@base").empty());
  CHECK(pending_of(project, {}, "app2") == Ids{"app1", "app2"});

  CHECK(pending_error(project, {}, "audit@app3") ==
        "Alembic revision 'app3' is not on the line of branch 'audit'");
  CHECK(pending_error(project, {}, "nowhere@head") == "no Alembic revision or branch label 'nowhere'");
  CHECK(pending_error(project, {}, "aud") ==
        "several Alembic revisions start with 'aud': 'aud1', 'aud2', 'aud3', 'audit'");
  CHECK(pending_error(project, {}, "head").starts_with("several Alembic heads: app3, aud3; "));
}

TEST_CASE("branch@head with several heads on the branch's line is refused, naming them") {
  Dir dir;
  Project project = history(dir, {{"a000", "None", "'main'"}, {"b000", "'a000'"}, {"c000", "'a000'"}});
  CHECK(
      pending_error(project, {}, "main@head") ==
      "several Alembic heads on branch 'main': b000, c000; `alembic upgrade main@head` refuses to choose "
      "between "
      "them (upgrade them all with `alembic upgrade main@heads`, or merge them with `alembic merge heads`)");
  CHECK(pending_of(project, {}, "main@heads") == Ids{"a000", "c000", "b000"});
}

TEST_CASE(
    "a head another line depends on: alembic heads lists it, upgrade heads reaches it through the "
    "dependency") {
  Dir dir;
  Project project = history(dir, {{"p1"}, {"p2", "'p1'"}, {"q1", "None", "None", "'p2'"}, {"q2", "'q1'"}});
  CHECK(heads(project) == Ids{"p2", "q2"});
  CHECK(pending_of(project, {}, "heads") == Ids{"p1", "p2", "q1", "q2"});
  CHECK(pending_of(project, {"p1"}, "heads") == Ids{"p2", "q1", "q2"});
  CHECK(current_of(project, {"q1"}) == Ids{"p2", "q1"});
  CHECK(pending_of(project, {"q1"}, "heads") == Ids{"q2"});
  CHECK(pending_of(project, {"q1"}, "p2").empty());
  CHECK(pending_error(project, {}, "head").starts_with("several Alembic heads: p2, q2; "));
}

TEST_CASE("rows naming no revision, or one below another, are refused as Alembic refuses them") {
  Dir dir;
  Project project = sibling_dependency(dir);
  CHECK(pending_error(project, {"a000", "deadbeef0001"}, "head") ==
        "alembic_version holds 'deadbeef0001', which no revision file has");
  auto c = current(project, {"deadbeef0001"});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "alembic_version holds 'deadbeef0001', which no revision file has");
  // b000 lies below c000 through its depends_on: `alembic current` shows them, an upgrade stops.
  CHECK(current_of(project, {"b000", "c000"}) == Ids{"b000", "c000"});
  CHECK(pending_error(project, {"b000", "c000"}, "head") ==
        "alembic_version holds 'c000' and 'b000', which lies below it: Alembic refuses to upgrade from there "
        "(\"Requested revision c000 overlaps with other requested revisions b000\")");
}

TEST_CASE("a project without revisions has nothing pending for head or heads") {
  Dir dir;
  Project project = history(dir, {});
  CHECK(pending_of(project, {}, "head").empty());
  CHECK(pending_of(project, {}, "heads").empty());
  CHECK(current_of(project, {}).empty());
}

}  // namespace
}  // namespace schemagate::migrate::alembic
