// A scratch Alembic project for the tests of src/migrate/alembic/: an ini file and revision files
// in a temporary directory. The files are shaped like the ones `alembic revision` writes (Alembic
// 1.13's template: annotated assignments, the docstring repeating the ids), plus the forms older
// templates and hand edits produce.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "migrate/alembic/project.h"

namespace schemagate::migrate::alembic::fixture {

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
inline std::string ini(const std::string &alembic_section) {
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

// A revision file as `alembic revision -m "..."` writes it. down, labels and depends are Python
// source: None, 'id', ('a', 'b'), ['a'].
inline std::string revision_file(const std::string &id, const std::string &down, const std::string &revises,
                                 const std::string &labels = "None", const std::string &depends = "None") {
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
         "branch_labels: Union[str, Sequence[str], None] = " +
         labels +
         "\n"
         "depends_on: Union[str, Sequence[str], None] = " +
         depends +
         "\n"
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

inline std::string linear(const std::string &id, const std::string &parent) {
  return revision_file(id, parent.empty() ? "None" : "'" + parent + "'", parent);
}

// One revision of a generated history; down, labels and depends are Python source, as above.
struct Rev {
  std::string id, down = "None", labels = "None", depends = "None";
};

// Writes a project whose versions/ holds one file per revision, named <id>.py, so that file order
// is the order of the ids.
inline void write_history(const Dir &dir, const std::vector<Rev> &revisions) {
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  fs::create_directories(dir.path / "alembic/versions");
  for (const Rev &r : revisions)
    dir.write("alembic/versions/" + r.id + ".py", revision_file(r.id, r.down, "", r.labels, r.depends));
}

inline Project read(const Dir &dir, const std::string &ini_name = "alembic.ini") {
  auto project = read_project(dir.at(ini_name));
  REQUIRE_MESSAGE(project, project.error().message);
  return *project;
}

inline Error read_error(const Dir &dir, const std::string &ini_name = "alembic.ini") {
  auto project = read_project(dir.at(ini_name));
  REQUIRE_FALSE(project);
  return project.error();
}

inline Project history(const Dir &dir, const std::vector<Rev> &revisions) {
  write_history(dir, revisions);
  return read(dir);
}

inline const Revision &find(const Project &project, const std::string &id) {
  for (const Revision &r : project.revisions)
    if (r.id == id) return r;
  FAIL("no revision " << id);
  return project.revisions.front();
}

}  // namespace schemagate::migrate::alembic::fixture
