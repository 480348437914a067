#pragma once
// SPEC §1 step 4, the lock that holds through a transaction-mode pooler: a lease row in a small
// table beside the tracking table (`<table>_lock`), taken and given back in committed
// transactions, so no server session has to stay pinned. The lease ends by the server's clock
// unless renewed; a thread renews it on its own session while this runner holds it, so a runner
// that dies leaves a lease that expires, and a live one keeps it however long a migration takes.
// Every tracking-row write is fenced (Lock::fence_sql): it fails, in its own transaction, once
// this runner no longer holds an unexpired lease, so a runner whose lease ran out never records
// over another's.
#include <chrono>
#include <memory>

#include "migrate/lock.h"

namespace schemagate::migrate {

// How long a lease lasts unrenewed: how long a runner that died holds the others up.
inline constexpr std::chrono::seconds kLeaseLength{15};

// Polls until the lease is free or expired and takes it, saying who holds it while waiting.
// Creates the lease table when it is missing. Errors: Timeout (75) at the deadline, Interrupted,
// and the server's when the table cannot be created or read. REQUIRES: `table` has its schema
// resolved; `conn` outlives the lock. `backend_pid`, when given, receives the server process
// that took it (pg_backend_pid()), which tells a pooled connection from a direct one.
Result<std::unique_ptr<Lock>> take_lease(db::Connection& conn, const TableName& table, Deadline deadline,
                                         const Interrupt& stop, int* backend_pid = nullptr);

// The lease table of `table`: `<name>_lock` in the same schema.
TableName lease_table(const TableName& table);

}  // namespace schemagate::migrate
