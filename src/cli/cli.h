#pragma once
// argv → what the command line asks for (SPEC §2), checked against a command table. cli owns the
// row type and the parsing; commands/ owns the rows and their handlers (commands/table.cpp).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "util/result.h"

namespace schemagate::commands {
struct Context;  // commands/commands.h: cli only carries the handler from the table to main
}

namespace schemagate::cli {

// A command's own flags (SPEC §2), as bits of Command::flags.
enum CommandFlag : unsigned {
  kTo = 1u << 0,      // --to VERSION
  kSteps = 1u << 1,   // --steps N
  kDryRun = 1u << 2,  // --dry-run
  kJson = 1u << 3,    // --json
};

// The settings a command uses, in groups, as bits of Command::settings. A setting flag
// (config/table.h) is taken only by the commands that use its setting; any other is a usage error
// naming it, so that `up --skip` cannot pass for a skip. The environment and the TOML file still
// set any setting for every command: a container shares them between commands. Every command
// takes --config, --log-format, -v and -q.
enum SettingUse : unsigned {
  kConnects = 1u << 0,        // database.url, database.max_retries, database.retry_interval
  kDir = 1u << 1,             // migrations.dir
  kTable = 1u << 2,           // migrations.table
  kTimeout = 1u << 3,         // migrations.timeout
  kMigrateCommand = 1u << 4,  // migrations.command
  kCriticalTables = 1u << 5,  // verify.tables
  kApplying = 1u << 7,        // migrations.single_transaction: how migrations are applied
  kLocks = 1u << 8,           // migrations.lock: what a command that changes the tracking table takes
  // What only the run sequence does: migrations.auto, .fail_on_error, .await, skip, status_file.
  kRunOnly = 1u << 6,
  kEverySetting = ~0u,  // run, and config, which shows every setting
};

// What a command's positional argument is: `new NAME` fills Invocation::name once; `stamp VERSION`
// is read as `--to VERSION`, checked as one (and, like a repeated --to, the last one counts).
enum class Positional { none, name, version };

// One row of a command table, like ninja's kTools.
struct Command {
  std::string_view name;
  std::string_view synopsis = {};  // its arguments, for usage: "[--to V] [--dry-run]"
  std::string_view summary = {};   // for usage
  unsigned flags = 0;              // the CommandFlag bits it takes
  unsigned settings = 0;           // the SettingUse bits whose flags it takes
  Positional positional = Positional::none;
  std::string_view example = {};  // a positional argument, for the error when it is missing
  bool takes_app = false;         // argv after `--` is the app to exec
  Status (*run)(commands::Context&) = nullptr;
};

// What the command line asks for: `schemagate [command] [flags] [-- app args...]`.
struct Invocation {
  std::string command;                           // its name
  const Command* row = nullptr;                  // its row in the table parse() was given
  std::vector<config::FlagValue> setting_flags;  // SPEC §4 flags, in order
  std::vector<std::string> app;                  // everything after `--`
  // Command flags (SPEC §2).
  std::string to;        // up, down, stamp: --to VERSION, leading zeros dropped
  int steps = 0;         // down: --steps N (0: not given)
  bool dry_run = false;  // up, down
  bool json = false;     // status
  std::string name;      // new NAME
  bool help = false;
  bool version = false;
};

// Fails with ErrorKind::Usage (64) naming the argument at fault. args excludes argv[0].
// REQUIRES: `commands` is not empty; its first row is the command when none is named.
Result<Invocation> parse(std::span<const std::string> args, std::span<const Command> commands);

// The --help text: the commands, every setting from the settings table (config/table.h), and
// which commands take which setting flags.
std::string usage(std::span<const Command> commands);

}  // namespace schemagate::cli
