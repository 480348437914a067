#pragma once
// SPEC §1 steps 4-6 as one call over plain data: the lock-free look, then lock, plan and apply.
// Check-only, --await and an external migrate command are modes of the same call.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "db/connection.h"
#include "migrate/alembic/project.h"
#include "migrate/files.h"
#include "migrate/lock.h"
#include "util/interrupt.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::migrate {

// What there is to migrate, read by the command before the call.
struct Inputs {
  TableName table;                    // the tracking table as configured; it also keys the lock
  std::string dir;                    // where the files were read, as messages name it
  std::vector<Migration> files;       // in version order
  bool none_configured = false;       // no directory where one was only looked for: nothing to apply
  std::vector<std::string> command;   // MIGRATE_COMMAND's argv; empty: the files are applied
  std::optional<alembic::Project> alembic;  // the project the command works on, when it is Alembic
};

enum class Mode {
  apply,       // apply what is pending
  check_only,  // list what is pending: Pending (3), applying nothing
  await,       // wait, read-only, until another runner has applied it (MIGRATIONS_AWAIT)
};

struct UpOptions {
  Mode mode = Mode::apply;
  std::string to;  // stop after this version; empty: everything
  // SPEC §4: MIGRATION_TIMEOUT_SECONDS (zero: none) bounds the step from the moment something is
  // found pending; the rest bound each statement and its retries.
  std::chrono::milliseconds timeout{};
  std::chrono::milliseconds lock_timeout{};
  int retry_attempts = 0;
  std::chrono::milliseconds retry_delay{};
  bool single_transaction = false;  // MIGRATIONS_SINGLE_TRANSACTION: the run as one transaction
  LockKind lock = LockKind::automatic;  // MIGRATIONS_LOCK
  // Names the setting that chose check-only, for its message: "migrations.auto is off (...)".
  std::string check_only_because;
  // Added to the migrate command's environment (DATABASE_URL: it connects where schemagate does).
  std::vector<std::pair<std::string, std::string>> command_env;
  // One attempt of step 3 within `attempt_timeout`: a new session after the connection was lost
  // (readiness included: after a failover the address may lead to a standby for a while).
  std::function<Result<db::Connection>(std::chrono::milliseconds attempt_timeout)> reconnect;
  // Called with each migration as the server starts on it (ApplyOptions::on_start).
  std::function<void(const Migration&)> on_start;
  // MIGRATIONS_DATABASE_URL: a session of its own for lock, plan, pre-flight and apply, opened only
  // once something is pending (the first look, and what follows the step, use the caller's).
  // Empty: everything on the caller's session.
  std::function<Result<db::Connection>()> open_for_migrations;
  // SPEC §1 step 5b, between plan and apply under the lock, given the pending migrations: an error
  // stops the run before anything is applied. Empty: no pre-flight (MIGRATIONS_PREFLIGHT=off).
  std::function<Status(db::Connection&, std::span<const Migration* const> pending, const Interrupt&)> preflight;
};

// Errors as SPEC §1 steps 4-6 give them: BadMigrations (65) for the plan, MigrationFailed (1),
// Pending (3) in check-only mode, Timeout (75), Interrupted, Unreachable (69) once reconnecting is
// out of retries. On return `conn` may be a new session (after a lost connection): the one the
// caller goes on with.
Status up(db::Connection& conn, const Inputs& inputs, const UpOptions& options, const Interrupt& stop);

// The session migrations run on: a new one when options.open_for_migrations says so (held in
// `own`), else `conn`.
Result<db::Connection*> migrations_session(db::Connection& conn, std::optional<db::Connection>& own,
                                           const UpOptions& options);

// Where the database stands: the newest applied version (or Alembic revisions) and what is still
// pending. Empty for a migrate command that is not Alembic, which cannot say. One round trip.
struct Progress {
  std::string current;
  std::vector<std::string> pending;
};
Result<Progress> progress(db::Connection& conn, const Inputs& inputs, const Interrupt& stop);

// "a, b, c", or the first ten and how many in all.
std::string listed(const std::vector<std::string>& ids);

}  // namespace schemagate::migrate
