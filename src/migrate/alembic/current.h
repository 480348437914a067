#pragma once
// What an Alembic project's database holds: the rows of alembic_version, which `alembic upgrade`
// creates and keeps one row per applied head.
#include <string>
#include <vector>

#include "db/connection.h"
#include "util/interrupt.h"
#include "util/result.h"

namespace schemagate::migrate::alembic {

// The revision ids in alembic_version, sorted (several while branches are unmerged). One query,
// no lock. Empty when the table does not exist yet: Alembic creates it on the first upgrade.
// Any other failure is returned as the server gave it.
Result<std::vector<std::string>> read_current(db::Connection& conn, const Interrupt& stop);

}  // namespace schemagate::migrate::alembic
