#pragma once
// The pre-flight step (SPEC §1 step 5b): between plan and apply, under the lock, the pending
// migrations' findings (lint.h) measured against the live database. Each table a size-dependent
// finding names is sized from the catalog (one query for all, never a count over a big table);
// a statement whose table no earlier pending statement writes is checked against the rows already
// there (data.h). Tables created earlier in the run are empty: nothing is said about them.
#include <span>

#include "db/connection.h"
#include "migrate/files.h"
#include "preflight/lint.h"

namespace schemagate::preflight {

// What is over the line: in block mode, exit 65 before anything runs.
struct Policy {
  bool block = false;                        // MIGRATIONS_PREFLIGHT=block
  long long max_rows = 1'000'000;            // MIGRATIONS_PREFLIGHT_MAX_ROWS
  long long max_bytes = 1024LL * 1024 * 1024;  // MIGRATIONS_PREFLIGHT_MAX_BYTES
};

// The findings, measured: a size-dependent one on a table over the line, and every predicted data
// failure, is blocking. Read-only. An error only when interrupted.
Result<Report> check(db::Connection& conn, std::span<const migrate::Migration* const> pending, const Policy& policy,
                     const Interrupt& stop);

// Logs every finding (WARN when blocking, INFO otherwise). In block mode a blocking finding is
// BadMigrations (65), naming the first.
Status judge(const Report& report, const Policy& policy);

}  // namespace schemagate::preflight
