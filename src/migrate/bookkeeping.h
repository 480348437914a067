#pragma once
// Changes to the tracking table alone, with no migration run: `stamp` and `repair` (SPEC §2).
// Both take the migration lock, as up does, so they never race a running migration.
#include <string>

#include "db/connection.h"
#include "migrate/up.h"

namespace schemagate::migrate {

// Baselines a database whose schema is already there (made by hand, by a restore, by another
// tool): records every migration up to `version` as applied, without running any of them.
// BadMigrations when no file has that version, or as plan_up.
Status stamp(db::Connection& conn, const Inputs& inputs, const std::string& version, const UpOptions& options,
             const Interrupt& stop);

// After a person has checked the database: stores the files' current checksums, clears dirty
// marks, and forgets applied versions whose files are gone, except future ones (plan.h: newer than
// every file) not left dirty, which it keeps and names; logs each change. Refuses
// (BadMigrations) with no files at all: forgetting every applied version is never what a person
// checked.
Status repair(db::Connection& conn, const Inputs& inputs, const UpOptions& options, const Interrupt& stop);

}  // namespace schemagate::migrate
