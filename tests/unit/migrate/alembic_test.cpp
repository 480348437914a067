// Issue 5: an Alembic project's revision graph read without Python. The files below are shaped like
// the ones `alembic revision` writes (Alembic 1.13's template: annotated assignments, the docstring
// repeating the ids), plus the forms older templates and hand edits produce.
#include "migrate/alembic.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace schemagate::migrate::alembic {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<std::string>;

// A scratch project directory, removed at the end of the test.
struct Dir {
  fs::path path;
  Dir() {
    char tmpl[] = "/tmp/schemagate-alembic-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~Dir() { fs::remove_all(path); }
  void write(const std::string &name, const std::string &text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name, std::ios::binary) << text;
  }
  std::string at(const std::string &name) const { return (path / name).string(); }
};

// What `alembic init` writes, trimmed; the logging sections hold %(name)s that must stay unread.
std::string ini(const std::string &alembic_section) {
  return "# A generic, single database configuration.\n"
         "\n"
         "[alembic]\n" +
         alembic_section +
         "\n"
         "# template used to generate migration files\n"
         "file_template = %%(year)d_%%(month).2d_%%(rev)s_%%(slug)s\n"
         "prepend_sys_path = .\n"
         "sqlalchemy.url = driver://user:pass@localhost/dbname\n"
         "\n"
         "[loggers]\n"
         "keys = root,sqlalchemy,alembic\n"
         "\n"
         "[formatter_generic]\n"
         "format = %(levelname)-5.5s [%(name)s] %(message)s\n"
         "datefmt = %H:%M:%S\n";
}

// A revision file as `alembic revision -m "..."` writes it. down is Python source: None, 'id', ('a', 'b').
std::string revision_file(const std::string &id, const std::string &down, const std::string &revises) {
  return "\"\"\"add a table\n"
         "\n"
         "Revision ID: " +
         id +
         "\n"
         "Revises: " +
         revises +
         "\n"
         "Create Date: 2024-03-01 12:00:00.000000\n"
         "\n"
         "\"\"\"\n"
         "from typing import Sequence, Union\n"
         "\n"
         "from alembic import op\n"
         "import sqlalchemy as sa\n"
         "\n"
         "\n"
         "# revision identifiers, used by Alembic.\n"
         "revision: str = '" +
         id +
         "'\n"
         "down_revision: Union[str, None] = " +
         down +
         "\n"
         "branch_labels: Union[str, Sequence[str], None] = None\n"
         "depends_on: Union[str, Sequence[str], None] = None\n"
         "\n"
         "\n"
         "def upgrade() -> None:\n"
         "    op.create_table('t_" +
         id +
         "', sa.Column('id', sa.Integer, primary_key=True))\n"
         "\n"
         "\n"
         "def downgrade() -> None:\n"
         "    op.drop_table('t_" +
         id + "')\n";
}

std::string linear(const std::string &id, const std::string &parent) {
  return revision_file(id, parent.empty() ? "None" : "'" + parent + "'", parent);
}

Project read(const Dir &dir, const std::string &ini_name = "alembic.ini") {
  auto project = read_project(dir.at(ini_name));
  REQUIRE_MESSAGE(project, project.error().message);
  return *project;
}

Error read_error(const Dir &dir, const std::string &ini_name = "alembic.ini") {
  auto project = read_project(dir.at(ini_name));
  REQUIRE_FALSE(project);
  return project.error();
}

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

Ids pending_of(const Project &project, const Ids &current) {
  auto p = pending(project, current);
  REQUIRE_MESSAGE(p, p.error().message);
  return *p;
}

const Revision &find(const Project &project, const std::string &id) {
  for (const Revision &r : project.revisions)
    if (r.id == id) return r;
  FAIL("no revision " << id);
  return project.revisions.front();
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

// ---------------------------------------------------------------------------------------------
// Reading a project

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

// ---------------------------------------------------------------------------------------------
// pending

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

// ---------------------------------------------------------------------------------------------
// Reading revision files without Python

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

TEST_CASE(
    "a revision file without a revision id is reported with its path and "
    "line") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/27c6a30d7c24_add_email.py",
            "\"\"\"add email\n\nRevision ID: 27c6a30d7c24\nRevises: "
            "1975ea83b712\n\"\"\"\n"
            "down_revision = '1975ea83b712'\n");
  Error e = read_error(dir);
  CHECK(e.kind == ErrorKind::BadMigrations);
  CHECK(e.message == dir.at("alembic/versions/27c6a30d7c24_add_email.py") +
                         ":1: no revision id: expected a top-level assignment "
                         "like revision = \"ae1027a6acf\"");
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

// ---------------------------------------------------------------------------------------------
// alembic.ini

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

TEST_CASE(
    "version_locations replaces the versions directory and every listed "
    "directory is read") {
  Dir dir;
  dir.write("alembic/versions/ffff00000000_not_listed.py", linear("ffff00000000", ""));
  dir.write("users/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("users/27c6a30d7c24_add_email.py", linear("27c6a30d7c24", "1975ea83b712"));
  dir.write("billing/ae1027a6acf_add_invoices.py", linear("ae1027a6acf", "27c6a30d7c24"));

  // Legacy splitting on spaces and commas.
  dir.write("alembic.ini", ini("script_location = alembic\nversion_locations = "
                               "%(here)s/users, billing\n"));
  Project project = read(dir);
  CHECK(project.versions_dir == dir.at("alembic/versions"));
  CHECK(project.version_dirs == Ids{dir.at("users"), dir.at("billing")});
  CHECK(project.revisions.size() == 3);
  CHECK(heads(project) == Ids{"ae1027a6acf"});

  dir.write("alembic.ini", ini("script_location = alembic\npath_separator = newline\n"
                               "version_locations =\n    users\n    %(here)s/billing\n"));
  CHECK(read(dir).version_dirs == Ids{dir.at("users"), dir.at("billing")});

  // path_separator = os is what new projects get; a missing location is skipped as Alembic skips it.
  dir.write("alembic.ini", ini("script_location = alembic\npath_separator = os\n"
                               "version_locations = "
                               "%(here)s/users:%(here)s/plugins/versions:billing\n"));
  CHECK(read(dir).version_dirs == Ids{dir.at("users"), dir.at("billing")});

  dir.write("alembic.ini", ini("script_location = alembic\nversion_path_separator = ;\n"
                               "version_locations = users;billing\n"));
  CHECK(read(dir).version_dirs == Ids{dir.at("users"), dir.at("billing")});

  dir.write("alembic.ini", ini("script_location = alembic\npath_separator = "
                               "|\nversion_locations = users|billing\n"));
  Error separator = read_error(dir);
  CHECK(separator.kind == ErrorKind::Config);
  CHECK(separator.message ==
        dir.at("alembic.ini") + ":5: path_separator \"|\": expected space, newline, os, : or ;");

  dir.write("alembic.ini", ini("script_location = alembic\nversion_locations = "
                               "nowhere elsewhere\n"));
  Error none = read_error(dir);
  CHECK(none.kind == ErrorKind::Config);
  CHECK(none.message == dir.at("alembic.ini") + ":5: version_locations: none of these directories exists: " +
                            dir.at("nowhere") + ", " + dir.at("elsewhere"));
}

TEST_CASE("recursive_version_locations reads subdirectories, except __pycache__") {
  Dir dir;
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  dir.write("alembic/versions/2024/ae1027a6acf_add_orders.py", linear("ae1027a6acf", "1975ea83b712"));
  dir.write("alembic/versions/__pycache__/x.py", "");
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  CHECK(read(dir).revisions.size() == 1);
  dir.write("alembic.ini", ini("script_location = alembic\nrecursive_version_locations = true\n"));
  CHECK(heads(read(dir)) == Ids{"ae1027a6acf"});
}

TEST_CASE(
    "a missing or unusable alembic.ini or script_location is a "
    "configuration error") {
  Dir dir;
  Error missing = read_error(dir);
  CHECK(missing.kind == ErrorKind::Config);
  CHECK(missing.message == dir.at("alembic.ini") + ": cannot read: No such file or directory");

  dir.write("alembic.ini", "[alembic]\nsqlalchemy.url = postgresql://db/app\n");
  Error no_key = read_error(dir);
  CHECK(no_key.kind == ErrorKind::Config);
  CHECK(no_key.message == dir.at("alembic.ini") + ": no script_location in [alembic]");

  dir.write("alembic.ini", ini("script_location = alembic\n"));
  Error no_dir = read_error(dir);
  CHECK(no_dir.kind == ErrorKind::Config);
  CHECK(no_dir.message ==
        dir.at("alembic.ini") + ":4: script_location \"alembic\": No such file or directory");

  fs::create_directories(dir.path / "alembic");
  Error no_versions = read_error(dir);
  CHECK(no_versions.kind == ErrorKind::Config);
  CHECK(no_versions.message == dir.at("alembic.ini") +
                                   ":4: script_location \"alembic\" has no versions directory (" +
                                   dir.at("alembic/versions") + ": No such file or directory)");

  dir.write("alembic.ini", ini("script_location = myapp:migrations\n"));
  Error package = read_error(dir);
  CHECK(package.kind == ErrorKind::Config);
  CHECK(package.message == dir.at("alembic.ini") +
                               ":4: script_location \"myapp:migrations\" names a directory in a "
                               "Python package; "
                               "schemagate needs a path (e.g. %(here)s/migrations)");

  dir.write("alembic.ini", ini("script_location = %(root)s/alembic\n"));
  Error interpolation = read_error(dir);
  CHECK(interpolation.kind == ErrorKind::Config);
  CHECK(interpolation.message == dir.at("alembic.ini") +
                                     ":4: script_location: %(root)s names no key of "
                                     "[alembic] or [DEFAULT]");

  dir.write("alembic.ini", "[alembic]\nscript_location = a\nscript_location = b\n");
  Error twice = read_error(dir);
  CHECK(twice.kind == ErrorKind::Config);
  CHECK(twice.message ==
        dir.at("alembic.ini") + ":3: script_location is set twice in [alembic] (first on line 2)");

  dir.write("alembic.ini", "script_location = alembic\n");
  CHECK(read_error(dir).message == dir.at("alembic.ini") + ":1: a key before any [section]");
}

TEST_CASE("another ini section can be named, as alembic -n does") {
  Dir dir;
  dir.write("alembic.ini",
            "[alembic]\nscript_location = "
            "main\n\n[audit]\nscript_location = audit\n");
  dir.write("audit/versions/1975ea83b712_create_log.py", linear("1975ea83b712", ""));
  auto project = read_project(dir.at("alembic.ini"), "audit");
  REQUIRE_MESSAGE(project, project.error().message);
  CHECK(project->versions_dir == dir.at("audit/versions"));
}

}  // namespace
}  // namespace schemagate::migrate::alembic
