
#include "commands/commands.h"
#include "commands/migrations.h"
#include "log/log.h"
#include "migrate/lock.h"
#include "migrate/plan.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate down [--steps N | --to V] [--dry-run]`: newest first, one by default.
Status down(Context& ctx) {
  const Interrupt& stop = ctx.gate.interrupt();
  const cli::Invocation& inv = ctx.invocation;
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  auto m = load_migrations(ctx.settings);
  if (!m) return m.error();

  Deadline deadline = migration_deadline(ctx.settings);
  if (Status limited = limit_session(ctx.settings, *conn, stop); !limited) return limited.error();
  auto table = migrate::resolve_schema(*conn, m->table, stop);
  if (!table) return table.error();
  if (!inv.dry_run)
    if (Status locked = migrate::take_lock(*conn, *table, deadline, stop); !locked) return locked.error();
  auto history = migrate::read_history(*conn, *table, stop);
  if (!history) return history.error();
  // The same checks as up: rolling back over drift or a dirty mark would compound the damage.
  if (auto plan = migrate::plan_up(m->files, *history); !plan) return plan.error();

  std::vector<const migrate::Migration*> chosen;
  int steps = inv.steps ? inv.steps : 1;
  for (auto row = history->rbegin(); row != history->rend(); ++row) {
    if (inv.to.empty() ? static_cast<int>(chosen.size()) == steps : !migrate::version_less(inv.to, row->version))
      break;
    for (const auto& file : m->files)
      if (file.version == row->version) chosen.push_back(&file);
  }
  if (chosen.empty()) {
    log::info("nothing to roll back");
    return inv.dry_run ? Status{} : migrate::release_lock(*conn, *table, stop);
  }
  for (const auto* c : chosen)
    if (!c->down.present || c->down.sql.empty())
      return bad_migrations(
                   c->up.path + ": version " + c->version_text + " has no down section to roll back with; nothing was rolled back");
  if (inv.dry_run) {
    std::string out = "-- " + std::to_string(chosen.size()) + " migration(s) to roll back; nothing changes (--dry-run)\n";
    for (const auto* c : chosen) out += "\n-- " + c->down.path + " (version " + c->version_text + ", down)\n" + c->down.sql + "\n";
    print(out);
    return {};
  }
  auto reverted = migrate::revert(*conn, *table, chosen, apply_options(ctx.settings, deadline), stop);
  if (!reverted) return reverted.error();
  log::info("rollback done", {{"rolled_back", std::to_string(*reverted)}});
  return migrate::release_lock(*conn, *table, stop);
}

}  // namespace schemagate::commands
