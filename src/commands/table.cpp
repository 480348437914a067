// SPEC §2 as one table, like ninja's kTools: a new command is a row here and a file of its own.
#include "commands/commands.h"

namespace schemagate::commands {

// Each defined in commands/<name>.cpp; nothing but this table calls them.
Status run(Context& ctx);
Status wait(Context& ctx);
Status up(Context& ctx);
Status down(Context& ctx);
Status status(Context& ctx);
Status verify(Context& ctx);
Status new_migration(Context& ctx);
Status stamp(Context& ctx);
Status repair(Context& ctx);
Status config(Context& ctx);
Status lint(Context& ctx);

namespace {

using cli::kDryRun;
using cli::kJson;
using cli::kSteps;
using cli::kTo;
using cli::Positional;
using enum cli::SettingUse;

// What a command that reads the migrations and the tracking table uses, besides the database.
constexpr unsigned kMigrations = kConnects | kDir | kTable;

// In usage order; the first is the command when none is named.
constexpr cli::Command kCommands[] = {
    {.name = "run",
     .synopsis = "[flags] [-- app [args...]]",
     .summary = "wait, migrate, verify, then exec the app",
     .settings = kEverySetting,
     .takes_app = true,
     .run = run},
    {.name = "wait",
     .synopsis = "[flags]",
     .summary = "wait until the database is ready",
     .settings = kConnects,
     .run = wait},
    {.name = "up",
     .synopsis = "[--to V] [--dry-run]",
     .summary = "apply pending migrations (up to V)",
     .flags = kTo | kDryRun,
     .settings = kMigrations | kTimeout | kMigrateCommand | kApplying | kLocks,
     .run = up},
    {.name = "down",
     .synopsis = "[--steps N | --to V] [--dry-run]",
     .summary = "roll back, newest first (default one)",
     .flags = kSteps | kTo | kDryRun,
     .settings = kMigrations | kTimeout | kLocks,
     .run = down},
    {.name = "status",
     .synopsis = "[--json]",
     .summary = "applied and pending migrations (exit 3: pending)",
     .flags = kJson,
     .settings = kMigrations | kMigrateCommand,
     .run = status},
    {.name = "lint",
     .synopsis = "[--json]",
     .summary = "pre-flight findings from the SQL alone, no database (exit 65: a blocking finding)",
     .flags = kJson,
     .settings = kDir,
     .run = lint},
    {.name = "verify",
     .synopsis = "[flags]",
     .summary = "check that the critical tables exist",
     .settings = kConnects | kCriticalTables,
     .run = verify},
    {.name = "new",
     .synopsis = "NAME",
     .summary = "create VERSION_NAME.sql with up/down sections",
     .settings = kDir,
     .positional = Positional::name,
     .example = "add_users",
     .run = new_migration},
    {.name = "stamp",
     .synopsis = "VERSION",
     .summary = "record every migration up to VERSION as applied, without running it (baseline an existing "
                "database)",
     .flags = kTo,
     .settings = kMigrations | kTimeout | kLocks,
     .positional = Positional::version,
     .example = "20240101120000",
     .run = stamp},
    {.name = "repair",
     .summary = "after a human has checked: store current checksums, clear dirty marks, forget missing files",
     .settings = kMigrations | kTimeout | kLocks,
     .run = repair},
    {.name = "config",
     .synopsis = "[flags]",
     .summary = "print every effective setting and its source",
     .settings = kEverySetting,
     .run = config},
};

}  // namespace

std::span<const cli::Command> table() { return kCommands; }

}  // namespace schemagate::commands
