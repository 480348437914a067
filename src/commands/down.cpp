#include "commands/commands.h"
#include "commands/inputs.h"
#include "migrate/down.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate down [--steps N | --to V] [--dry-run]`: newest first, one by default.
Status down(Context& ctx) {
  const cli::Invocation& inv = ctx.invocation;
  // Another tool's migrations have their down steps in that tool: reading our SQL files instead
  // would find nothing to roll back and say so, while everything stays applied.
  if (!ctx.settings.migrate_command.empty())
    return usage_error("down rolls back migration files run by schemagate itself; MIGRATE_COMMAND "
                       "(migrations.command) is set, so the migrations belong to " +
                       ctx.settings.migrate_command.front() + ": roll back with it (for Alembic: alembic downgrade -1)");
  auto p = connect_and_load_files(ctx);
  if (!p) return p.error();
  migrate::DownOptions request{.steps = inv.steps, .to = inv.to, .dry_run = inv.dry_run};
  auto shown = migrate::down(p->conn, p->inputs, request, up_options(ctx, p->conn.target()), ctx.gate.interrupt());
  if (!shown) return shown.error();
  if (!shown->empty()) print(*shown);
  return {};
}

}  // namespace schemagate::commands
