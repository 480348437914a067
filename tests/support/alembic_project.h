// An Alembic project as the Alembic suites use it: a copy of the fixture project
// (tests/fixtures/alembic) as the working directory, with a database of its own, where schemagate
// and Debian's real `alembic` both run. The suites ask Alembic itself what it makes of the project
// and compare schemagate's answers with it.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/workdir_project.h"

namespace schemagate::testing {

// tests/fixtures/alembic, next to this file's directory ($SCHEMAGATE_FIXTURES overrides).
inline std::string alembic_fixture_dir() {
  if (const char* dir = std::getenv("SCHEMAGATE_FIXTURES"); dir != nullptr && *dir)
    return std::string(dir) + "/alembic";
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / "alembic").string();
}

// Runs as a user's entrypoint runs them in an Alembic project: MIGRATE_COMMAND="alembic upgrade
// head", and no MIGRATIONS_DIR, so schemagate's default `migrations/` is Alembic's script directory,
// as in many projects. Alembic is Python, slow to start on a loaded machine: the migrate step gets
// two minutes, and a run half a minute more before the test gives up on it.
inline const RunDefaults kAlembicRuns = {
    .env = {{"MIGRATE_COMMAND", "alembic upgrade head"}, {"MIGRATION_TIMEOUT_SECONDS", "120"}},
    .unset = {"MIGRATIONS_DIR"},
    .timeout = std::chrono::seconds(150)};

// One revision of a generated history; down, labels and depends are Python source (None, "'a'",
// "('a', 'b')", "['a']"). Its upgrade logs its id in upgrade_log, which it creates if need be.
struct GeneratedRevision {
  std::string id;
  std::string down = "None";
  std::string labels = "None";
  std::string depends = "None";
};

// A copy of the fixture project as the working directory, with a database of its own; schemagate
// and the real alembic run in it.
class AlembicProject : public WorkdirProject {
 public:
  AlembicProject() : WorkdirProject("alembic", kAlembicRuns) {
    namespace fs = std::filesystem;
    REQUIRE_MESSAGE(fs::exists(alembic_fixture_dir() + "/alembic.ini"),
                    ("no Alembic fixture at " + alembic_fixture_dir()));
    fs::copy(alembic_fixture_dir(), path(), fs::copy_options::recursive);
    std::error_code ignored;
    fs::remove_all(file("migrations/__pycache__"), ignored);
    fs::remove_all(file("migrations/versions/__pycache__"), ignored);
  }

  // Copies extra/<name> (the failing revision, the second head, the merge) into versions/.
  void add_revision(const std::string& name) const {
    std::filesystem::copy_file(file("extra/" + name), file("migrations/versions/" + name));
  }

  // Replaces the fixture's revisions with `revisions`, one file each, named <id>.py.
  void write_history(const std::vector<GeneratedRevision>& revisions) const {
    std::filesystem::remove_all(file("migrations/versions"));
    std::filesystem::create_directories(file("migrations/versions"));
    for (const GeneratedRevision& r : revisions)
      write("migrations/versions/" + r.id + ".py",
            "\"\"\"generated revision " + r.id + "\"\"\"\nfrom alembic import op\n\nrevision = \"" + r.id +
                "\"\ndown_revision = " + r.down + "\nbranch_labels = " + r.labels +
                "\ndepends_on = " + r.depends +
                "\n\n\ndef upgrade():\n"
                "    op.execute(\"create table if not exists upgrade_log (revision text not null, \"\n"
                "               \"at timestamptz not null default clock_timestamp())\")\n"
                "    op.execute(\"insert into upgrade_log (revision) values ('" +
                r.id + "')\")\n\n\ndef downgrade():\n    pass\n");
  }

  // The real `alembic` (Debian's package) in the project's directory, on `db` (the project's
  // database unless given another). Requires it to succeed.
  RunResult alembic(const std::vector<std::string>& args, const std::string& db = "") const {
    RunResult result = alembic_may_fail(args, db);
    INFO("alembic ", args.empty() ? "" : args[0], ": ", result.err);
    REQUIRE(result.exit_code == 0);
    return result;
  }
  RunResult alembic_may_fail(const std::vector<std::string>& args, const std::string& db = "") const {
    std::vector<std::string> argv{"alembic"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.env = {{"DATABASE_URL", project().cluster().url(db.empty() ? project().db() : db)}};
    options.cwd = path();
    return testing::run(argv, options);
  }
  // What `alembic current` says is applied: its first word, or "" for nothing.
  std::string alembic_current() const {
    std::string out = alembic({"current"}).out;
    return out.substr(0, out.find_first_of(" \n"));
  }
  // The revisions an `alembic` command lists, one a line (`current`, `heads`), without the
  // "(head)" and like marks, sorted.
  std::vector<std::string> alembic_ids(const std::vector<std::string>& args) const {
    std::istringstream lines(alembic(args).out);
    std::vector<std::string> ids;
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) ids.push_back(line.substr(0, line.find(' ')));
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  // What `alembic upgrade <target>` runs from the database's present state, in the order it runs
  // it: the upgrade is made on a copy of the database, whose upgrade_log is read and dropped.
  std::vector<std::string> alembic_would_run(const std::string& target) const {
    std::string copy = project().db() + "_copy";
    PgCluster& cluster = project().cluster();
    cluster.psql("postgres", "drop database if exists " + copy + "; create database " + copy + " template " +
                                 project().db());
    cluster.psql(copy,
                 "create table if not exists upgrade_log (revision text not null, "
                 "at timestamptz not null default clock_timestamp()); delete from upgrade_log");
    alembic({"upgrade", target}, copy);
    std::string ran =
        cluster.psql(copy, "select coalesce(string_agg(revision, ',' order by at), '') from upgrade_log");
    cluster.psql("postgres", "drop database " + copy);
    std::vector<std::string> ids;
    std::istringstream items(ran);
    for (std::string id; std::getline(items, id, ',');) ids.push_back(id);
    return ids;
  }

  // alembic_version's rows, sorted and comma-separated; "-" when the table does not exist.
  std::string version() const {
    if (!project().exists("alembic_version")) return "-";
    return project().psql(
        "select coalesce(string_agg(version_num, ',' order by version_num), '') from alembic_version");
  }
  // upgrade_log: the revisions that ran, in the order they ran; "-" when it does not exist.
  std::string upgrades() const {
    if (!project().exists("upgrade_log")) return "-";
    return project().psql("select coalesce(string_agg(revision, ',' order by at), '') from upgrade_log");
  }
};

}  // namespace schemagate::testing
