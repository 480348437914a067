#include "commands/commands.h"
#include "commands/migrations.h"
#include "log/log.h"
#include "migrate/history.h"
#include "migrate/lock.h"
#include "migrate/plan.h"

namespace schemagate::commands {

// `schemagate stamp VERSION`: baselines a database whose schema is already there (made by hand,
// by a restore, by another tool): records every migration up to VERSION as applied, without
// running any of them.
Status stamp(Context& ctx) {
  const Interrupt& stop = ctx.gate.interrupt();
  const std::string& to = ctx.invocation.to;
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  auto m = load_migrations(ctx.settings);
  if (!m) return m.error();
  bool known = false;
  for (const auto& f : m->files) known = known || f.version == to;
  if (!known)
    return bad_migrations("stamp: no migration file has version " + to + " in " + m->dir);

  auto table = lock_migrations(ctx.settings, *conn, m->table, migration_deadline(ctx.settings), stop);
  if (!table) return table.error();
  auto history = migrate::read_history(*conn, *table, stop);
  if (!history) return history.error();
  auto plan = migrate::plan_up(m->files, *history, to);
  if (!plan) return plan.error();
  if (Status ok = migrate::ensure_table(*conn, *table, stop); !ok) return ok.error();
  std::vector<const migrate::Migration*> record = plan->pending;
  record.insert(record.end(), plan->unrecorded.begin(), plan->unrecorded.end());
  if (Status ok = record_checksums(*conn, *table, record, stop); !ok) return ok.error();
  for (const auto* p : plan->pending) log::info("stamped " + p->version_text + " " + p->name + " as applied (not run)");
  log::info("stamp done", {{"stamped", std::to_string(plan->pending.size())}, {"up_to", to}});
  return migrate::release_lock(*conn, *table, stop);
}

}  // namespace schemagate::commands
