#pragma once
// MIGRATE_COMMAND read as `alembic`'s own argument parser reads it (alembic/config.py,
// CommandLine): where its ini file is, and what `upgrade` aims at. Pure: nothing is read from disk.
#include <string>
#include <vector>

namespace schemagate::migrate::alembic {

// Where `alembic` itself looks for its configuration: its -c/--config and -n/--name options
// (also as --config=PATH, --name=NAME, -cPATH, -nNAME) before the subcommand when argv[0]'s file
// name is `alembic`, else ./alembic.ini and its [alembic] section.
struct IniChoice {
  std::string path = "alembic.ini";
  std::string section = "alembic";
};
IniChoice ini_for(const std::vector<std::string>& argv);

// The TARGET of `alembic [options] upgrade [--tag T] TARGET`, when upgrade.h's pending() can tell
// what that runs: heads, head, base, a revision, a branch label, B@head, B@heads, B@REV.
// Otherwise "heads", everything the project has: a relative target (+1, B@+2, REV-1, which walks
// from the rows), `--sql` (offline: it runs nothing against the database), a range, another
// subcommand, an option this reader does not know, or a command that is not `alembic` itself (a
// script, `python -m alembic`). Judged against every head, such a command counts as having
// nothing to do only when every revision is applied, when no upgrade of any kind would run
// anything; otherwise it runs, under the lock, and decides for itself.
std::string upgrade_target(const std::vector<std::string>& argv);

}  // namespace schemagate::migrate::alembic
