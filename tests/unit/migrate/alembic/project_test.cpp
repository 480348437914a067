// Reading an Alembic project (src/migrate/alembic/project.h): alembic.ini's locations and the
// revision files they hold.
#include "migrate/alembic/project.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "migrate/alembic/upgrade.h"
#include "project_fixture.h"

namespace schemagate::migrate::alembic {
namespace {

using namespace fixture;

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

// Opening a FIFO would wait for a writer forever.
TEST_CASE("a revision file or an alembic.ini that is a FIFO is refused at once, naming it") {
  Dir dir;
  dir.write("alembic.ini", ini("script_location = alembic\n"));
  dir.write("alembic/versions/1975ea83b712_create_users.py", linear("1975ea83b712", ""));
  const std::string fifo = dir.at("alembic/versions/27c6a30d7c24_add_email.py");
  REQUIRE(mkfifo(fifo.c_str(), 0644) == 0);
  Error e = read_error(dir);
  CHECK(e.kind == ErrorKind::BadMigrations);
  CHECK(e.message == fifo + ": cannot read: a FIFO, not a regular file");

  REQUIRE(mkfifo(dir.at("fifo.ini").c_str(), 0644) == 0);
  Error ini_error = read_error(dir, "fifo.ini");
  CHECK(ini_error.kind == ErrorKind::Config);
  CHECK(ini_error.message == dir.at("fifo.ini") + ": cannot read: a FIFO, not a regular file");
}

}  // namespace
}  // namespace schemagate::migrate::alembic
