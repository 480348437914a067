#pragma once
// One function per command (SPEC §2). Each returns Status; main prints the error and exits.
#include <string>
#include <vector>

#include "cli/cli.h"
#include "config/settings.h"
#include "db/connection.h"
#include "exec/signal_gate.h"
#include "util/result.h"

namespace schemagate::commands {

struct Context {
  const config::Settings& settings;
  const cli::Invocation& invocation;
  exec::SignalGate& gate;
};

Status run(Context& ctx);
Status wait(Context& ctx);
Status up(Context& ctx);
Status down(Context& ctx);
Status status(Context& ctx);
Status verify(Context& ctx);
Status new_migration(Context& ctx);
Status repair(Context& ctx);
Status stamp(Context& ctx);
Status config(Context& ctx);

// Shared by the commands: the settings' database as a Target (Config error naming the setting's
// source when libpq cannot parse it), and step 3 with the settings' policy.
Result<db::Target> target_of(const config::Settings& settings);
Result<db::Connection> wait_until_ready(const Context& ctx, const db::Target& target);
// Both: the session every database command starts from.
Result<db::Connection> connect(const Context& ctx);

}  // namespace schemagate::commands
