// Revision files read without Python (src/migrate/alembic/python.h).
#include "migrate/alembic/python.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate::migrate::alembic {
namespace {

using Ids = std::vector<std::string>;

Revision parsed(std::string text) {
  auto r = parse_revision("versions/x.py", std::move(text));
  REQUIRE_MESSAGE(r, r.error().message);
  return *r;
}

std::string parse_error(std::string text) {
  auto r = parse_revision("versions/x.py", std::move(text));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::BadMigrations);
  return r.error().message;
}

TEST_CASE("annotated and plain assignments give the same revision") {
  Revision plain = parsed("revision = 'ae1027a6acf'\ndown_revision = '1975ea83b712'\n");
  CHECK(plain.id == "ae1027a6acf");
  CHECK(plain.parents == Ids{"1975ea83b712"});
  CHECK(plain.path == "versions/x.py");

  Revision annotated = parsed(
      "revision: str = \"ae1027a6acf\"\n"
      "down_revision: Union[str, None] = '1975ea83b712'\n");
  CHECK(annotated.id == "ae1027a6acf");
  CHECK(annotated.parents == Ids{"1975ea83b712"});

  Revision merge = parsed(
      "revision: str = 'ae1027a6acf'\n"
      "down_revision: Union[str, Sequence[str], None] = "
      "('a1b2', 'c3d4')  # merge\n");
  CHECK(merge.parents == Ids{"a1b2", "c3d4"});

  Revision base = parsed("revision = 'a1b2'\ndown_revision: Union[str, None] = None\n");
  CHECK(base.parents.empty());

  CHECK(parsed("revision = 'x'\ndown_revision = ('a', 'b',)\n").parents == Ids{"a", "b"});
  CHECK(parsed("revision = 'x'\ndown_revision = ['a', 'b']\n").parents == Ids{"a", "b"});
  CHECK(parsed("revision = 'x'\ndown_revision = 'a', 'b'\n").parents == Ids{"a", "b"});
  CHECK(parsed("revision = ('x')\ndown_revision = ('a')\n").parents == Ids{"a"});
  CHECK(parsed("revision = 'x'\ndown_revision = ()\n").parents.empty());
  CHECK(parsed("revision = 'x'\ndown_revision = ('a', 'a')\n").parents == Ids{"a"});
  CHECK(parsed("revision = u'x'\ndown_revision = r'a'\n").id == "x");
  CHECK(parsed("revision = 'x' ; down_revision = None\n").parents.empty());
  CHECK(parsed("revision = down_revision = None\nrevision = 'x'\n").parents.empty());
  CHECK(parsed("revision = 'x'\r\ndown_revision = 'a'\r\n").parents == Ids{"a"});
}

TEST_CASE("a tuple may span several lines, with comments and a trailing comma") {
  Revision r = parsed(
      "revision = 'ae1027a6acf'\n"
      "down_revision = (\n"
      "    \"27c6a30d7c24\",  # the users branch\n"
      "    \"3a4b5c6d7e8f\",\n"
      ")\n"
      "branch_labels = None\n");
  CHECK(r.parents == Ids{"27c6a30d7c24", "3a4b5c6d7e8f"});
  CHECK(r.parents_line == 2);

  Revision continued = parsed("revision = 'x'\ndown_revision = \\\n    'a'\n");
  CHECK(continued.parents == Ids{"a"});
}

TEST_CASE(
    "docstrings, strings, comments and indented code are never read as "
    "assignments") {
  Revision r = parsed(
      "\"\"\"rename columns\n"
      "\n"
      "Revision ID: 0000wrong\n"
      "Revises: 1111wrong\n"
      "revision = '2222wrong'\n"
      "down_revision = '3333wrong'\n"
      "\"\"\"\n"
      "# revision = '4444wrong'\n"
      "revision = 'ae1027a6acf'\n"
      "down_revision = '1975ea83b712'\n"
      "\n"
      "def upgrade():\n"
      "    revision = '5555wrong'\n"
      "    op.execute('''\n"
      "revision = '6666wrong'\n"
      "''')\n"
      "    op.execute(\"\"\"\n"
      "down_revision = '7777wrong'\n"
      "\"\"\")\n"
      "    op.execute(\"it's \\\" fine\")\n"
      "\n"
      "if False:\n"
      "    down_revision = '8888wrong'\n"
      "note = r'''\\\\'''\n"
      "revision = 'x' ''\n");  // the last assignment wins, as in Python; adjacent strings join
  CHECK(r.id == "x");
  CHECK(r.line == 25);
  CHECK(r.parents == Ids{"1975ea83b712"});
  CHECK(r.parents_line == 10);
}

TEST_CASE(
    "a revision file that Python would not read the way we can is an "
    "error naming file:line") {
  CHECK(parse_error("\"\"\"Revision ID: ae1027a6acf\n\"\"\"\ndown_revision = None\n") ==
        "versions/x.py:1: no revision id: expected a top-level assignment like "
        "revision = \"ae1027a6acf\"");
  CHECK(parse_error("revision = 'ae1027a6acf'\n") ==
        "versions/x.py:1: no down_revision (the first revision has "
        "down_revision = None)");
  CHECK(parse_error("revision: str\ndown_revision = None\n") ==
        "versions/x.py:1: no revision id: expected a top-level assignment like "
        "revision = \"ae1027a6acf\"");
  CHECK(parse_error("import uuid\nrevision = uuid.uuid4().hex\ndown_revision = None\n") ==
        "versions/x.py:2: revision must be a string literal (read without "
        "running Python)");
  CHECK(parse_error("revision = ('a', 'b')\ndown_revision = None\n") ==
        "versions/x.py:1: revision must be a string literal (read without "
        "running Python)");
  CHECK(parse_error("revision = ''\ndown_revision = None\n") == "versions/x.py:1: revision is empty");
  CHECK(parse_error("revision = 'a'\n\ndown_revision = PARENT\n") ==
        "versions/x.py:3: down_revision must be None, a string literal or a "
        "tuple of them (read without running "
        "Python)");
  CHECK(parse_error("revision = 'a'\ndown_revision = f'{x}'\n") ==
        "versions/x.py:2: down_revision must be None, a string literal or a "
        "tuple of them (read without running "
        "Python)");
  CHECK(parse_error("\"\"\"docstring\n\nrevision = 'a'\n") ==
        "versions/x.py:1: unterminated triple-quoted string");
  CHECK(parse_error("revision = 'a\ndown_revision = None\n") == "versions/x.py:1: unterminated string");
}

TEST_CASE("branch_labels and depends_on are read like down_revision, and may be absent") {
  Revision none = parsed("revision = 'x'\ndown_revision = None\n");
  CHECK(none.branch_labels.empty());
  CHECK(none.dependencies.empty());
  CHECK(none.labels_line == 0);
  CHECK(none.dependencies_line == 0);

  Revision r = parsed(
      "revision: str = 'c3d4'\n"
      "down_revision: Union[str, None] = 'a1b2'\n"
      "branch_labels: Union[str, Sequence[str], None] = ('audit', 'reports')\n"
      "depends_on: Union[str, Sequence[str], None] = 'app'\n");
  CHECK(r.branch_labels == Ids{"audit", "reports"});
  CHECK(r.labels_line == 3);
  CHECK(r.dependencies == Ids{"app"});
  CHECK(r.dependencies_line == 4);

  CHECK(parsed("revision = 'x'\ndown_revision = None\nbranch_labels = 'main'\n").branch_labels ==
        Ids{"main"});
  CHECK(parsed("revision = 'x'\ndown_revision = None\ndepends_on = ['a1', 'b2']\n").dependencies ==
        Ids{"a1", "b2"});
  CHECK(parsed("revision = 'x'\ndown_revision = None\ndepends_on = (\n  'a1',\n)\n").dependencies ==
        Ids{"a1"});
  CHECK(parsed("revision = 'x'\ndown_revision = None\ndepends_on = ()\n").dependencies.empty());
  CHECK(parsed("revision = 'x'\ndown_revision = None\nbranch_labels = None\n").branch_labels.empty());
  // Kept as written: what a repeat means is the graph's to decide, as in Alembic's RevisionMap.
  CHECK(parsed("revision = 'x'\ndown_revision = None\nbranch_labels = ('m', 'm')\n").branch_labels ==
        Ids{"m", "m"});
  // Indented or inside a string, they are not the module's.
  Revision indented = parsed(
      "revision = 'x'\ndown_revision = None\n"
      "def upgrade():\n    depends_on = 'nope'\n"
      "doc = '''branch_labels = 'nope' '''\n");
  CHECK(indented.dependencies.empty());
  CHECK(indented.branch_labels.empty());
}

TEST_CASE("branch_labels or depends_on that is not a literal is an error naming file:line") {
  CHECK(parse_error("revision = 'a'\ndown_revision = None\nbranch_labels = LABELS\n") ==
        "versions/x.py:3: branch_labels must be None, a string literal or a tuple of them (read without "
        "running "
        "Python)");
  CHECK(parse_error("revision = 'a'\ndown_revision = None\n\ndepends_on = ('a',) + EXTRA\n") ==
        "versions/x.py:4: depends_on must be None, a string literal or a tuple of them (read without running "
        "Python)");
}

}  // namespace
}  // namespace schemagate::migrate::alembic
