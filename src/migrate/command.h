#pragma once
// SPEC §1 steps 4-6 when MIGRATE_COMMAND does the migrating (e.g. `alembic upgrade head`): the
// command runs under the same lock and timeout as SQL migrations. For an Alembic project
// schemagate can also tell, without Python, whether anything is pending, so the restart path
// stays one query and check-only and --await work. Called by migrate::up (up.h).
#include <string>
#include <vector>

#include "db/connection.h"
#include "migrate/up.h"

namespace schemagate::migrate {

Status up_with_command(db::Connection& conn, const Inputs& inputs, const UpOptions& options, const Interrupt& stop);

}  // namespace schemagate::migrate
