// argv -> cli -> one command -> exit code (SPEC §5). Errors are printed here, once.
#include <exception>

#include "cli/cli.h"
#include "commands/commands.h"
#include "config/settings.h"
#include "exec/descriptors.h"
#include "exec/signal_gate.h"
#include "log/log.h"
#include "util/conninfo_text.h"
#include "util/file.h"

using namespace schemagate;

namespace {

// An error without a message has been reported by its command (status's pending list).
int fail(const Error& error) {
  if (!error.message.empty()) log::error(error.message);
  return exit_code(error);
}

}  // namespace

int main(int argc, char** argv) {
  exec::fill_standard_descriptors();  // before anything takes descriptor 0, 1 or 2 for itself
  try {
    // First, so that a SIGTERM arriving during start-up is queued rather than lost (PID 1).
    auto gate = exec::SignalGate::install();
    if (!gate) return fail(gate.error());

    const config::Env env = config::process_env();
    std::vector<std::string> args(argv + 1, argv + argc);
    // Before anything can fail: a usage error may echo an argument, and LOG_FORMAT applies to it.
    for (const auto& arg : args)
      for (const auto& p : passwords_in(arg)) log::add_secret(p);
    log::init(config::early_log_format({}, env), log::Level::info);
    auto inv = cli::parse(args, commands::table());
    if (!inv) return fail(inv.error());
    if (inv->help) {
      print(cli::usage(commands::table()));
      return 0;
    }
    if (inv->version) {
      print(std::string("schemagate ") + SCHEMAGATE_VERSION + "\n");
      return 0;
    }

    // Before the settings are loaded, so that even an error about them cannot echo a password,
    // and is printed in the format asked for.
    for (const auto& secret : config::secrets_in(inv->setting_flags, env)) log::add_secret(secret);
    log::init(config::early_log_format(inv->setting_flags, env), log::Level::info);
    auto settings = config::load(inv->setting_flags, env);
    if (!settings) return fail(settings.error());
    log::init(settings->log_format, settings->log_level);

    commands::Context ctx{*settings, *inv, *gate};
    Status done = inv->row->run(ctx);
    return done ? 0 : fail(done.error());
  } catch (const std::exception& e) {
    log::error(std::string("internal error: ") + e.what());
    return 70;
  }
}
