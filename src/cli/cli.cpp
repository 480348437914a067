#include "cli/cli.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace schemagate::cli {
namespace {

constexpr std::array<std::string_view, 10> kCommands = {"run",  "wait",   "verify", "config", "up",
                                                        "down", "status", "new",    "repair", "stamp"};

// Which command takes which of its own flags.
bool takes(std::string_view command, std::string_view flag) {
  if (flag == "--to") return command == "up" || command == "down" || command == "stamp";
  if (flag == "--dry-run") return command == "up" || command == "down";
  if (flag == "--steps") return command == "down";
  if (flag == "--json") return command == "status";
  return false;
}

bool is_command_flag(std::string_view flag) {
  return flag == "--to" || flag == "--dry-run" || flag == "--steps" || flag == "--json";
}

Error refused(std::string message) {
  return usage_error(std::move(message) + " (see schemagate --help)");
}

}  // namespace

Result<Invocation> parse(std::span<const std::string> args) {
  Invocation inv;
  bool command_seen = false;
  // Checked once the command is known: flags may come before it.
  std::vector<std::pair<std::string_view, std::optional<std::string>>> command_flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      inv.app.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      inv.help = true;
      continue;
    }
    if (arg == "--version") {
      inv.version = true;
      continue;
    }
    if (arg.starts_with("-")) {
      size_t eq = arg.find('=');
      std::string_view name = arg.substr(0, eq);
      if (is_command_flag(name)) {
        command_flags.emplace_back(name, eq == std::string_view::npos ? std::optional<std::string>{}
                                                                      : std::string(arg.substr(eq + 1)));
        if (name == "--to" || name == "--steps") {
          if (eq != std::string_view::npos) continue;
          if (i + 1 >= args.size()) return refused(std::string(name) + " needs a value");
          command_flags.back().second = args[++i];
        } else if (eq != std::string_view::npos) {
          return refused(std::string(name) + " takes no value");
        }
        continue;
      }
      const config::FlagInfo* flag = config::find_flag(name);
      if (!flag) return refused("unknown flag " + std::string(name));
      config::FlagValue fv{std::string(name), {}};
      if (!flag->takes_value) {
        if (eq != std::string_view::npos) return refused(std::string(name) + " takes no value");
      } else if (eq != std::string_view::npos) {
        fv.value = std::string(arg.substr(eq + 1));
      } else if (i + 1 < args.size()) {
        fv.value = args[++i];
      } else {
        return refused(std::string(name) + " needs a value");
      }
      inv.setting_flags.push_back(std::move(fv));
      continue;
    }
    if (command_seen && inv.command == "new" && inv.name.empty()) {
      inv.name = std::string(arg);
      continue;
    }
    if (command_seen && inv.command == "stamp" && inv.to.empty()) {
      command_flags.emplace_back("--to", std::string(arg));  // checked as a version below
      continue;
    }
    if (command_seen) return refused("unexpected argument \"" + std::string(arg) + "\"");
    if (std::find(kCommands.begin(), kCommands.end(), arg) == kCommands.end())
      return refused("unknown command \"" + std::string(arg) + "\"; to start an app, put it after --: schemagate -- " +
                         std::string(arg));
    inv.command = std::string(arg);
    command_seen = true;
  }
  if (!inv.app.empty() && inv.command != "run")
    return refused("only run starts an app; \"" + inv.command + "\" takes nothing after --");
  for (const auto& [flag, value] : command_flags) {
    if (!takes(inv.command, flag))
      return refused(std::string(flag) + " does not apply to \"" + inv.command + "\"");
    if (flag == "--to") {
      if (value->empty() || value->find_first_not_of("0123456789") != std::string::npos)
        return refused("--to needs a version number, not \"" + *value + "\"");
      inv.to = *value;
      while (inv.to.size() > 1 && inv.to.front() == '0') inv.to.erase(0, 1);
    } else if (flag == "--steps") {
      if (value->empty() || value->size() > 6 || value->find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(*value) == 0)
        return refused("--steps needs a positive whole number, not \"" + *value + "\"");
      inv.steps = std::stoi(*value);
    } else if (flag == "--dry-run") {
      inv.dry_run = true;
    } else if (flag == "--json") {
      inv.json = true;
    }
  }
  if (inv.steps && !inv.to.empty()) return refused("down takes --steps or --to, not both");
  if (inv.command == "new" && inv.name.empty()) return refused("new needs a NAME: schemagate new add_users");
  if (inv.command == "stamp" && inv.to.empty())
    return refused("stamp needs a VERSION: schemagate stamp 20240101120000");
  return inv;
}

std::string usage() {
  return R"(schemagate: gate an app's start on a ready, migrated, verified PostgreSQL database

Usage:
  schemagate [run] [flags] [-- app [args...]]   wait, migrate, verify, then exec the app
  schemagate wait [flags]                       wait until the database is ready
  schemagate up [--to V] [--dry-run]            apply pending migrations (up to V)
  schemagate down [--steps N | --to V] [--dry-run]  roll back, newest first (default one)
  schemagate status [--json]                    applied and pending migrations (exit 3: pending)
  schemagate verify [flags]                     check that the critical tables exist
  schemagate new NAME                           create VERSION_NAME.sql with up/down sections
  schemagate stamp VERSION                      record every migration up to VERSION as applied,
                                                without running it (baseline an existing database)
  schemagate repair                             after a human has checked: store current
                                                checksums, clear dirty marks, forget missing files
  schemagate config [flags]                     print every effective setting and its source
  schemagate --help | --version

Flags (each also has an environment variable and a TOML key; flags win):
  --database-url URL        DATABASE_URL, DATABASE_URL_FILE, else libpq's PG* variables
  --max-retries N           DB_MAX_RETRIES: connection attempts (default 30)
  --retry-interval SECONDS  DB_RETRY_INTERVAL: pause between attempts (default 2; 0.5, 500ms allowed)
  --dir PATH                MIGRATIONS_DIR (default migrations)
  --table NAME              MIGRATIONS_TABLE (default schema_migrations)
  --no-migrate              AUTO_MIGRATE_ON_STARTUP=false: check only
  --permissive              FAIL_ON_MIGRATION_ERROR=false: start the app degraded on failure
  --timeout SECONDS         MIGRATION_TIMEOUT_SECONDS (default 60, 0 = none)
  --await                   MIGRATIONS_AWAIT=true: wait for another runner's migrations
  --require-table NAME      CRITICAL_TABLES (comma-separated); repeatable; schema.table allowed
  --log-format text|json    LOG_FORMAT (default text)
  -v, -q                    LOG_LEVEL=debug / LOG_LEVEL=warn (default info)
  --migrate-command CMD     MIGRATE_COMMAND: run CMD (e.g. "alembic upgrade head") as the migrate step
  --status-file PATH        SCHEMAGATE_STATUS_FILE: write run's outcome there as JSON
  --skip                    SCHEMAGATE_SKIP=true: no database contact, start the app at once
  --config PATH             SCHEMAGATE_CONFIG (default ./schemagate.toml if present)

Exit codes: 0 ready, 1 migration failed, 2 verification failed, 3 pending (check-only),
64 usage, 65 bad migrations, 69 database unreachable, 75 timed out, 78 configuration,
126/127 app not executable/not found, 128+N stopped by signal N.
)";
}

}  // namespace schemagate::cli
