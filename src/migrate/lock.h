#pragma once
// SPEC §1 step 4: the migration lock, so that replicas that start together migrate one at a time.
#include <memory>
#include <string>

#include "db/connection.h"
#include "migrate/history.h"
#include "util/deadline.h"
#include "util/interrupt.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::migrate {

// A held migration lock. Dropping it gives the lock back (silently; a session that is gone has
// given it back already); release() does so now and reports a failure. The connection it was taken
// on must outlive it. Implementations: the session advisory lock (take_lock); a lock that holds
// through a transaction-mode pooler would be another.
class Lock {
 public:
  virtual ~Lock() = default;
  virtual Status release(const Interrupt& stop) = 0;
  // A statement that fails unless this lock is still held, run in each transaction that writes
  // the tracking table (lease.h); empty when holding cannot lapse (a session's advisory lock).
  virtual std::string fence_sql() const { return {}; }
};

// MIGRATIONS_LOCK (SPEC §4).
enum class LockKind {
  automatic,  // the lease, and the advisory lock too on a direct connection
  advisory,   // the session advisory lock alone
  table,      // the lease alone
};

// The session-level advisory lock keyed on database, schema and tracking table. Waiters poll
// pg_try_advisory_lock rather than block in pg_advisory_lock: a blocked waiter would deadlock with
// a CREATE INDEX CONCURRENTLY run by the holder (it waits for every open transaction, the waiter's
// included). While waiting, logs who holds the lock. Errors: Timeout (75) at the deadline,
// Interrupted. REQUIRES: `table` has its schema resolved (resolve_schema), so that every replica
// computes the same key whatever its search_path.
Result<std::unique_ptr<Lock>> take_lock(db::Connection& conn, const TableName& table, Deadline deadline,
                                        const Interrupt& stop, int* backend_pid = nullptr);

// The lock MIGRATIONS_LOCK asks for. `automatic` takes the lease (lease.h) and, on a direct
// connection, the advisory lock too: runners that decided differently (or an older schemagate that
// takes the advisory lock alone) still exclude each other. Through a pooler the lease alone, and
// whether the connection is pooled is logged as a fact (the server backend that answers is not the
// one the connection was given), with a second connection's word on transaction mode.
Result<std::unique_ptr<Lock>> take_migration_lock(db::Connection& conn, const TableName& table, LockKind kind,
                                                  Deadline deadline, const Interrupt& stop);

// What every command that changes the tracking table starts with: the tracking table's schema
// resolved (resolve_schema), and whether the connection is pooled (the server backend that answers
// is not the one the connection was given: a pooler's key). A direct session gets its limits
// (db::SessionSettings: lock_timeout, client_connection_check_interval), since the steps around the
// migrations take locks too and a killed runner must not leave its statement running; a pooled
// one none, since a session SET would stay on whichever server session ran it, for the next client.
// `lock_timeout` is MIGRATION_LOCK_TIMEOUT.
struct Prepared {
  TableName table;  // with its schema resolved
  bool pooled = false;
};
Result<Prepared> prepare_session(db::Connection& conn, const TableName& table, std::chrono::milliseconds lock_timeout,
                                 const Interrupt& stop);

struct Locked {
  TableName table;  // with its schema resolved
  std::unique_ptr<Lock> lock;
  std::vector<AppliedRow> applied;  // read under the lock, by lock_and_read_history only
  bool pooled = false;              // as prepare_session found
};
// prepare_session, then take_migration_lock.
Result<Locked> lock_tracking_table(db::Connection& conn, const TableName& table, std::chrono::milliseconds lock_timeout,
                                   LockKind kind, Deadline deadline, const Interrupt& stop);
// lock_tracking_table, then what is applied read again under the lock: another replica may have
// applied migrations while this one waited (SPEC §1 step 4).
Result<Locked> lock_and_read_history(db::Connection& conn, const TableName& table,
                                     std::chrono::milliseconds lock_timeout, LockKind kind, Deadline deadline,
                                     const Interrupt& stop);

}  // namespace schemagate::migrate
