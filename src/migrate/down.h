#pragma once
// SPEC §2 `down` and `up --dry-run`: what a command shows or rolls back, over the same plain data
// migrate::up takes.
#include <string>

#include "db/connection.h"
#include "migrate/up.h"

namespace schemagate::migrate {

struct DownOptions {
  int steps = 0;     // how many, newest first; zero: one
  std::string to;    // instead: every applied version newer than this
  bool dry_run = false;
};

// Rolls back under the migration lock, each down section with the removal of its tracking row
// (revert, apply.h). With dry_run nothing changes and no lock is taken: returns the text to
// print, the down sections in the order they would run. Errors: as plan_up and plan_down, then
// as revert.
Result<std::string> down(db::Connection& conn, const Inputs& inputs, const DownOptions& down,
                         const UpOptions& options, const Interrupt& stop);

// `up --dry-run`: the pending migrations and the SQL each would run, as text to print. With
// options.preflight, the pre-flight runs over them as a real run would (it reads only): its
// findings are logged, and in block mode a finding over the line is its error.
Result<std::string> describe_up(db::Connection& conn, const Inputs& inputs, const std::string& to,
                                const UpOptions& options, const Interrupt& stop);

}  // namespace schemagate::migrate
