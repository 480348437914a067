#include "commands/commands.h"
#include "commands/inputs.h"
#include "migrate/down.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate up [--to V] [--dry-run]`: SPEC §1 steps 3-6; --dry-run prints the plan and the SQL
// each migration would run, and changes nothing.
Status up(Context& ctx) {
  const Interrupt& stop = ctx.gate.interrupt();
  if (auto migrations = migrations_target_of(ctx.settings); !migrations) return migrations.error();
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  auto inputs = ctx.invocation.dry_run ? load_files(ctx.settings) : load_inputs(ctx.settings);
  if (!inputs) return inputs.error();
  if (ctx.invocation.dry_run) {
    auto plan = migrate::describe_up(*conn, *inputs, ctx.invocation.to, up_options(ctx, conn->target(), true), stop);
    if (!plan) return plan.error();
    print(*plan);
    return {};
  }
  return migrate::up(*conn, *inputs, up_options(ctx, conn->target(), true), stop);
}

}  // namespace schemagate::commands
