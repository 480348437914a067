#pragma once
// Issue 5: an Alembic project read without Python, so that `status`, check-only mode and --await
// can compare alembic_version with the revision files. Only what decides the revision graph is
// read: alembic.ini's paths and each revision file's top-level `revision` and `down_revision`.
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace schemagate::migrate::alembic {

struct Revision {
  std::string id;                    // revision = "ae1027a6acf"
  std::vector<std::string> parents;  // down_revision: empty for None, one id, or several for a merge tuple
  std::string path;                  // the file it came from
  int line = 0;                      // of the `revision =` assignment
  int parents_line = 0;              // of the `down_revision =` assignment
};

struct Project {
  std::string ini_path;      // "alembic.ini"
  std::string versions_dir;  // <script_location>/versions, resolved relative to the ini file's directory
  std::vector<std::string> version_dirs;  // the directories actually read: versions_dir, or version_locations
  std::vector<Revision> revisions;        // in the order the files were read
};

// Reads alembic.ini's [alembic] section (or `section`, as `alembic -n NAME` does) and every
// revision file. The ini is read as Python's configparser reads it: `key = value` or `key: value`,
// indented continuation lines, # and ; comment lines, %(key)s and %% interpolation with %(here)s
// the ini file's directory.
//
// Paths: script_location and version_locations are resolved relative to the ini file's directory.
// Alembic resolves them against its working directory, which is that directory whenever
// `alembic` is run next to its ini; a gate may be started from anywhere. When version_locations is
// set it replaces <script_location>/versions (as in Alembic), split by path_separator (or the older
// version_path_separator: space, newline, os, : or ;), or by spaces and commas when neither is set.
// A listed directory that does not exist is skipped as Alembic skips it, but at least one must
// exist; without version_locations, <script_location>/versions must exist: finding no revisions
// because of a wrong path would report an empty database as up to date.
// recursive_version_locations = true also reads subdirectories.
//
// Revision files are the *.py files, except __init__*, editor lock files (.#*) and __pycache__.
//
// Errors: ErrorKind::Config naming the ini file (and line) for a missing or unreadable
// alembic.ini, script_location or versions directory, a package-style location ("pkg:dir"), or
// a malformed ini. ErrorKind::BadMigrations naming file:line for a file without a revision id or
// down_revision, a value that is not None, a string literal or a tuple/list of them, a duplicate
// revision id, a down_revision naming an unknown revision, or a cycle.
Result<Project> read_project(const std::string& ini_path, const std::string& section = "alembic");

// One revision file's text. Only top-level assignments count (`revision = ...`,
// `revision: str = ...`, chained `a = b = ...`); docstrings, other strings and comments are skipped
// whole, so "Revision ID:" / "Revises:" lines and code-like text inside strings are never read.
// The last assignment wins, as in Python. Exposed for unit tests.
Result<Revision> parse_revision(std::string_view path, std::string text);

// Revisions no other revision names as a parent, sorted.
std::vector<std::string> heads(const Project& project);

// The single head, or ErrorKind::BadMigrations "several Alembic heads: a1, b2 (merge them with
// `alembic merge heads`)". Empty when the project has no revisions yet (Alembic's head is None).
Result<std::string> single_head(const Project& project);

// Revisions not yet applied, given the ids stored in alembic_version (possibly empty, possibly
// several rows for branches): every ancestor-or-self of the heads that is not an ancestor-or-self
// of a current id, parents first. Branches stay together: each head's unapplied ancestry is
// listed depth-first, heads in sorted order, a merge's parents in the order its tuple names them.
// An id in `current` the project does not know is ErrorKind::BadMigrations
// ("alembic_version holds 'x', which no revision file has").
Result<std::vector<std::string>> pending(const Project& project, const std::vector<std::string>& current);

}  // namespace schemagate::migrate::alembic
