#pragma once
#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "db/connection.h"
#include "migrate/files.h"
#include "util/deadline.h"
#include "util/interrupt.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::migrate {

// SPEC §4's limits, as the command's settings give them.
struct ApplyOptions {
  std::chrono::milliseconds lock_timeout{};  // per statement (MIGRATION_LOCK_TIMEOUT)
  int retry_attempts = 0;                    // for lock timeouts, deadlocks, serialization failures
  std::chrono::milliseconds retry_delay{};   // MIGRATION_RETRY_DELAY_SECONDS
  Deadline deadline = Deadline::never();     // the whole step (MIGRATION_TIMEOUT_SECONDS)
  bool single_transaction = false;           // MIGRATIONS_SINGLE_TRANSACTION
  // Called with each migration as the server starts on it (the status file's "migrating" phase).
  std::function<void(const Migration&)> on_start;
  // Run in every transaction that writes the tracking table, before the write: fails once this
  // runner no longer holds the migration lock (Lock::fence_sql). Empty: nothing to check.
  std::string fence{};
  // The session goes through a pooler (prepare_session): nothing is SET for the session, since the
  // next statement may run on another server session and this one be handed to another client.
  bool pooled = false;
};

// SPEC §1 step 6: applies `pending` in order and logs one line per migration.
//
// How a run is grouped: consecutive transactional migrations travel in one pipeline, each its own
// transaction with its tracking row (all of them one with single_transaction). When a migration
// fails, it leaves no trace and the ones before it stay applied. A migration with its own
// BEGIN/COMMIT keeps its transaction, its tracking row inserted before its COMMIT. Each
// transaction carries schemagate's settings and resets what the migration SET before it commits.
// A non-transactional migration (transaction:false, CREATE INDEX CONCURRENTLY, ...) runs statement
// by statement and is recorded dirty until its last statement succeeds; it also ends the pipeline
// before it.
//
// Errors: MigrationFailed (1) as "file:line:col: SQLSTATE: message; detail; hint", Timeout (75),
// Interrupted, Unreachable. After an error the session may hold an aborted transaction: close it.
// Returns the number of migrations applied.
// REQUIRES: the advisory lock is held and the tracking table exists.
Result<int> apply(db::Connection& conn, const TableName& table, std::span<const Migration* const> pending,
                  const ApplyOptions& options, const Interrupt& stop);

// The rest of a non-transactional migration that an earlier run left dirty, from the statement at
// byte `from` of its up SQL (resume.h decides when that is safe); recorded as apply records it.
Status resume(db::Connection& conn, const TableName& table, const Migration& m, size_t from,
              const ApplyOptions& options, const Interrupt& stop);

// The reverse of apply: runs each migration's down section, newest first as given, removing its
// tracking row in the same transaction. Same grouping, errors and requirements as apply.
Result<int> revert(db::Connection& conn, const TableName& table, std::span<const Migration* const> applied,
                   const ApplyOptions& options, const Interrupt& stop);

}  // namespace schemagate::migrate
