#include "commands/commands.h"
#include "verify/verify.h"

namespace schemagate::commands {

// `schemagate verify`: SPEC §1 step 7 only (after connecting as step 3 does).
Status verify(Context& ctx) {
  auto target = target_of(ctx.settings);
  if (!target) return target.error();
  auto conn = wait_until_ready(ctx, *target);
  if (!conn) return conn.error();
  return verify::critical_tables(*conn, ctx.settings.critical_tables, ctx.gate.interrupt());
}

}  // namespace schemagate::commands
