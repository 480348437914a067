#pragma once
// The pre-flight step (SPEC §1 step 5b): between plan and apply, under the lock, the pending
// migrations' findings (lint.h) measured against the live database. Each table a size-dependent
// finding names is sized from the catalog (one query for all, never a count over a big table);
// a SET NOT NULL whose table no earlier pending statement writes is checked for NULLs, read-only
// and under a statement timeout. Tables created earlier in the run are empty: nothing is said
// about them.
#include <span>

#include "db/connection.h"
#include "migrate/files.h"
#include "preflight/lint.h"

namespace schemagate::preflight {

struct Policy {
  bool block = false;            // MIGRATIONS_PREFLIGHT=block: over the line is exit 65 before anything runs
  long long max_rows = 1'000'000;  // MIGRATIONS_PREFLIGHT_MAX_ROWS
};

// Logs every finding (warn when over the line, predicted to fail or blocking, info otherwise) and
// returns the report. In block mode a finding over the line is BadMigrations (65), nothing applied.
Result<Report> check(db::Connection& conn, std::span<const migrate::Migration* const> pending, const Policy& policy,
                     const Interrupt& stop);

}  // namespace schemagate::preflight
