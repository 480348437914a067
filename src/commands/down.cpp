#include "commands/commands.h"
#include "commands/inputs.h"
#include "migrate/down.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate down [--steps N | --to V] [--dry-run]`: newest first, one by default.
Status down(Context& ctx) {
  const cli::Invocation& inv = ctx.invocation;
  auto p = connect_and_load_files(ctx);
  if (!p) return p.error();
  migrate::DownOptions request{.steps = inv.steps, .to = inv.to, .dry_run = inv.dry_run};
  auto shown = migrate::down(p->conn, p->inputs, request, up_options(ctx, p->conn.target()), ctx.gate.interrupt());
  if (!shown) return shown.error();
  if (!shown->empty()) print(*shown);
  return {};
}

}  // namespace schemagate::commands
