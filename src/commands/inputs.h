#pragma once
// From the settings to the plain data migrate/ takes (migrate/up.h): the files and tracking table
// the settings point at, and the limits and mode they set.
#include <optional>
#include <string>

#include "commands/commands.h"
#include "migrate/alembic/project.h"
#include "migrate/up.h"
#include "preflight/check.h"

namespace schemagate::commands {

// migrations.dir (falling back to db/migrations/ when migrations/ is absent and the setting was
// left at its default), parsed; a missing default directory means no migrations.
Result<migrate::Inputs> load_files(const config::Settings& settings);
// What the run migrates: with MIGRATE_COMMAND the command and its Alembic project, if any (the
// SQL files are not read: the command applies its own); otherwise load_files.
Result<migrate::Inputs> load_inputs(const config::Settings& settings);
// The Alembic project MIGRATE_COMMAND works on (alembic.ini, or the file its -c names), if any.
Result<std::optional<migrate::alembic::Project>> find_alembic_project(const config::Settings& settings);

// What down, stamp and repair start from: a ready session (step 3) and the migration files.
struct Prepared {
  db::Connection conn;
  migrate::Inputs inputs;
};
Result<Prepared> connect_and_load_files(const Context& ctx);

// The pre-flight's line, as migrations.preflight and its thresholds set it.
preflight::Policy preflight_policy(const config::Settings& settings);

// `explicit_up`: the `up` command applies whatever migrations.auto and --await say. `target` is
// where a lost connection is opened again. The pre-flight's findings, when it runs, are also left
// in `findings` (the status file shows them).
migrate::UpOptions up_options(const Context& ctx, const db::Target& target, bool explicit_up = false,
                              std::vector<preflight::Finding>* findings = nullptr);

}  // namespace schemagate::commands
