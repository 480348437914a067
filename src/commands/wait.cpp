#include "commands/commands.h"

namespace schemagate::commands {

// `schemagate wait`: SPEC §1 step 3 only.
Status wait(Context& ctx) {
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  return {};
}

}  // namespace schemagate::commands
