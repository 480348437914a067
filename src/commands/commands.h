#pragma once
// The commands (SPEC §2): one file each, one row each in table() (commands/table.cpp). A handler
// returns Status; main prints the error and exits.
#include <optional>
#include <span>
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

// Every command with its usage, flags and handler, for cli::parse and cli::usage. The first row,
// run, is the command when none is named.
std::span<const cli::Command> table();

// Shared by the commands: the settings' database as a Target (Config error naming the setting's
// source when libpq cannot parse it), and step 3 with the settings' policy.
Result<db::Target> target_of(const config::Settings& settings);
// MIGRATIONS_DATABASE_URL's target, when it is set.
Result<std::optional<db::Target>> migrations_target_of(const config::Settings& settings);
Result<db::Connection> wait_until_ready(const Context& ctx, const db::Target& target);
// Both: the session every database command starts from.
Result<db::Connection> connect(const Context& ctx);

}  // namespace schemagate::commands
