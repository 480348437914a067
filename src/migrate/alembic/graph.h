#pragma once
// The revision graph: each revision points at its parents (down_revision). Pure: no files, no
// connection.
#include <string>
#include <vector>

#include "migrate/alembic/project.h"
#include "migrate/alembic/python.h"
#include "util/result.h"

namespace schemagate::migrate::alembic {

// Every parent is a known revision and no revision is its own ancestor. read_project checks
// this, so the functions below may assume it of a Project.
// Errors: ErrorKind::BadMigrations naming file:line for a duplicate revision id, a down_revision
// naming an unknown revision, or a cycle (its revisions listed).
Status check_graph(const std::vector<Revision>& revisions);

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
