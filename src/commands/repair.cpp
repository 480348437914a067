#include "commands/commands.h"
#include "commands/inputs.h"
#include "migrate/bookkeeping.h"

namespace schemagate::commands {

// `schemagate repair`: after a human has checked the database, make the tracking table agree with
// the files.
Status repair(Context& ctx) {
  auto p = connect_and_load_files(ctx);
  if (!p) return p.error();
  return migrate::repair(p->conn, p->inputs, up_options(ctx, p->conn.target()), ctx.gate.interrupt());
}

}  // namespace schemagate::commands
