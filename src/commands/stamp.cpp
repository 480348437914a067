#include "commands/commands.h"
#include "commands/inputs.h"
#include "migrate/bookkeeping.h"

namespace schemagate::commands {

// `schemagate stamp VERSION`: record every migration up to VERSION as applied, without running it.
Status stamp(Context& ctx) {
  auto p = connect_and_load_files(ctx);
  if (!p) return p.error();
  return migrate::stamp(p->conn, p->inputs, ctx.invocation.to, up_options(ctx, p->conn.target()), ctx.gate.interrupt());
}

}  // namespace schemagate::commands
