#pragma once
// Revision files read without Python: just enough of Python's tokenizer to find a module's
// top-level `revision`, `down_revision`, `branch_labels` and `depends_on` assignments and read
// their literal values.
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace schemagate::migrate::alembic {

struct Revision {
  std::string id;                    // revision = "ae1027a6acf"
  std::vector<std::string> parents;  // down_revision: empty for None, one id, or several for a merge tuple
  // depends_on: revision ids or branch labels, as written (None, one string, a tuple or a list)
  std::vector<std::string> dependencies;
  std::vector<std::string> branch_labels;  // branch_labels: the names this revision gives its branch
  std::string path;                        // the file it came from
  int line = 0;                            // of the `revision =` assignment
  int parents_line = 0;                    // of the `down_revision =` assignment
  int dependencies_line = 0;               // of `depends_on =`; 0 when the file has none
  int labels_line = 0;                     // of `branch_labels =`; 0 when the file has none
};

// One revision file's text. Only top-level assignments count (`revision = ...`,
// `revision: str = ...`, chained `a = b = ...`); docstrings, other strings and comments are skipped
// whole, so "Revision ID:" / "Revises:" lines and code-like text inside strings are never read.
// The last assignment wins, as in Python. A parent named twice is kept once, as Alembic does.
// branch_labels and depends_on may be absent (Alembic reads them with getattr and a
// None default); each is None, a string literal, or a tuple or list of them, like down_revision.
// `path` only names the file, in the result and in errors; nothing is read from it.
//
// Errors: ErrorKind::BadMigrations naming path:line for an unterminated string, a file without a
// revision id or down_revision, a revision that is not a non-empty string literal, or a
// down_revision, branch_labels or depends_on that is not None, a string literal or a tuple/list of
// them.
Result<Revision> parse_revision(std::string_view path, std::string text);

}  // namespace schemagate::migrate::alembic
