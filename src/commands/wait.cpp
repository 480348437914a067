#include "commands/commands.h"

namespace schemagate::commands {

// `schemagate wait`: SPEC §1 step 3 only.
Status wait(Context& ctx) {
  auto target = target_of(ctx.settings);
  if (!target) return target.error();
  auto conn = wait_until_ready(ctx, *target);
  if (!conn) return conn.error();
  return {};
}

}  // namespace schemagate::commands
