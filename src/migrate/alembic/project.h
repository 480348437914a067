#pragma once
// Issue 5: an Alembic project read without Python, so that `status`, check-only mode and --await
// can compare alembic_version with the revision files. Only what decides the revision graph is
// read: alembic.ini's paths and each revision file's top-level `revision`, `down_revision`,
// `branch_labels` and `depends_on`.
#include <string>
#include <vector>

#include "migrate/alembic/graph.h"
#include "migrate/alembic/python.h"
#include "util/result.h"

namespace schemagate::migrate::alembic {

struct Project {
  std::string ini_path;      // "alembic.ini"
  std::string versions_dir;  // <script_location>/versions, resolved relative to the ini file's directory
  std::vector<std::string> version_dirs;  // the directories actually read: versions_dir, or version_locations
  std::vector<Revision> revisions;        // in the order the files were read
  Graph graph;                            // the revisions as Alembic's revision map links them
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
// down_revision, a value that is not None, a string literal or a tuple/list of them, and for
// what Graph::build refuses (graph.h).
Result<Project> read_project(const std::string& ini_path, const std::string& section = "alembic");

}  // namespace schemagate::migrate::alembic
