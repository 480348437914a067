#pragma once
// An interrupted CREATE INDEX CONCURRENTLY (SIGTERM or a lost connection in a rolling deploy)
// leaves its migration dirty and an INVALID index behind. Rather than stop every replica with 65
// until a person runs `repair`, the next run, under the lock, takes it up again when that is
// safe: the statement that was running is known (AppliedRow::resume_at, recorded while it ran,
// every statement before it finished), the file is the one that ran (same checksum), and no
// statement before it SET something the new session would lack. It then drops the INVALID index
// the statement left, or skips the statement when its index is there and valid, and runs the rest.
// Anything else stays dirty, as before.
#include <vector>

#include "db/connection.h"
#include "migrate/apply.h"
#include "migrate/files.h"
#include "migrate/history.h"

namespace schemagate::migrate {

// Takes up every dirty migration of `applied` that can be, and logs what it did. Returns how
// many it finished. REQUIRES: the migration lock is held and the tracking table ensured.
Result<int> resume_interrupted(db::Connection& conn, const TableName& table, const std::vector<Migration>& files,
                               const std::vector<AppliedRow>& applied, const ApplyOptions& options,
                               const Interrupt& stop);

}  // namespace schemagate::migrate
