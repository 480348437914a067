#pragma once
// One function per command (SPEC §2). Each returns Status; main prints the error and exits.
#include <string>
#include <vector>

#include "config/settings.h"
#include "db/connection.h"
#include "exec/signal_gate.h"
#include "util/result.h"

namespace schemagate::commands {

struct Context {
  const config::Settings& settings;
  std::vector<std::string> app;  // argv after `--`
  exec::SignalGate& gate;
};

Status run(Context& ctx);
Status wait(Context& ctx);
Status verify(Context& ctx);
Status config(Context& ctx);

// Shared by the commands: the settings' database as a Target (Config error naming the setting's
// source when libpq cannot parse it), and step 3 with the settings' policy.
Result<db::Target> target_of(const config::Settings& settings);
Result<db::Connection> wait_until_ready(const Context& ctx, const db::Target& target);

}  // namespace schemagate::commands
