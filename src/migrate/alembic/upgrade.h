#pragma once
// What Alembic's commands make of a project's graph and the rows of alembic_version, computed the
// way alembic/script/revision.py computes it (Alembic 1.8, Debian 12's), so that schemagate can say
// without Python what `alembic current` and `alembic heads` print and what `alembic upgrade TARGET`
// would run. Pure: the rows are read by current.h.
#include <string>
#include <string_view>
#include <vector>

#include "migrate/alembic/project.h"
#include "util/result.h"

namespace schemagate::migrate::alembic {

// What `alembic heads` prints: the revisions no other names as down_revision, one that another
// depends on included (Alembic marks it "effective head"), sorted.
std::vector<std::string> heads(const Project& project);

// What `alembic current` prints for these alembic_version rows (RevisionMap._get_all_current): the
// rows, everything below them through down_revision and depends_on (a revision's dependencies
// count as applied: Alembic keeps no row for them), reduced to those with nothing above them
// along down_revision. Sorted. Errors: ErrorKind::BadMigrations for a row naming no revision
// ("alembic_version holds 'x', which no revision file has").
Result<std::vector<std::string>> current(const Project& project, const std::vector<std::string>& rows);

// What `alembic upgrade TARGET` would run from these rows, in the order Alembic runs it
// (ScriptDirectory._upgrade_revs: RevisionMap._collect_upgrade_revisions with implicit_base, then
// _topological_sort, ties broken by file order as Alembic 1.9+ reads the files; 1.8 takes them in
// directory order). Empty when it would run nothing. TARGET is what Alembic resolves without the
// database:
//   heads        every head nothing depends on;
//   head         the one head: several are ErrorKind::BadMigrations naming them, as Alembic
//                refuses (MultipleHeads), with the way out;
//   base         nothing;
//   REV          a revision id, a branch label (the revision declaring it) or a partial id;
//   B@head, B@heads, B@REV   the same within the line of branch B (a label or a revision).
// Relative targets (+1, B@+2, REV-1) depend on walking from the current rows and are not taken here:
// callers decide before asking (see command_line.h). Errors: ErrorKind::BadMigrations for a target
// or row naming no revision, a revision not on branch B, or rows (or targets) one of which lies below
// another, where Alembic stops ("Requested revision ... overlaps with other requested revisions").
Result<std::vector<std::string>> pending(const Project& project, const std::vector<std::string>& rows,
                                         std::string_view target);

}  // namespace schemagate::migrate::alembic
