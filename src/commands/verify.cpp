#include "commands/commands.h"
#include "verify/verify.h"

namespace schemagate::commands {

// `schemagate verify`: SPEC §1 step 7 only (after connecting as step 3 does).
Status verify(Context& ctx) {
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  return verify::critical_tables(*conn, ctx.settings.critical_tables, ctx.gate.interrupt());
}

}  // namespace schemagate::commands
