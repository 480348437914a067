#pragma once
#include "db/connection.h"
#include "util/deadline.h"
#include "util/interrupt.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::migrate {

// SPEC §1 step 4: the session-level advisory lock keyed on database, schema and tracking table,
// so replicas that start together migrate one at a time. Waiters poll pg_try_advisory_lock
// rather than block in pg_advisory_lock: a blocked waiter would deadlock with a CREATE INDEX
// CONCURRENTLY run by the holder (it waits for every open transaction, the waiter's included).
// While waiting, logs who holds the lock. Errors: Timeout (75) at the deadline, Interrupted.
// The lock lives as long as the session; release_lock gives it back earlier.
Status take_lock(db::Connection& conn, const TableName& table, Deadline deadline, const Interrupt& stop);
Status release_lock(db::Connection& conn, const TableName& table, const Interrupt& stop);

}  // namespace schemagate::migrate
