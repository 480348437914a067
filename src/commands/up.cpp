
#include "commands/commands.h"
#include "commands/migrations.h"
#include "migrate/plan.h"
#include "util/file.h"

namespace schemagate::commands {
namespace {

// `up --dry-run`: the plan and the SQL each migration would run, on stdout; nothing changes.
Status print_plan(const Context& ctx, db::Connection& conn) {
  auto m = load_migrations(ctx.settings);
  if (!m) return m.error();
  auto history = migrate::read_history(conn, m->table, ctx.gate.interrupt());
  if (!history) return history.error();
  auto plan = migrate::plan_up(m->files, *history, ctx.invocation.to);
  if (!plan) return plan.error();
  std::string out = "-- " + std::to_string(plan->pending.size()) + " pending migration(s); nothing is applied (--dry-run)\n";
  for (const auto* p : plan->pending) {
    out += "\n-- " + p->up.path + " (version " + p->version_text + ", " +
           (p->up.transactional ? "in a transaction" : "outside a transaction: " + p->up.why_not_transactional) + ")\n" +
           p->up.sql;
    if (!p->up.sql.empty() && p->up.sql.back() != '\n') out += '\n';
  }
  print(out);
  return {};
}

}  // namespace

// `schemagate up [--to V] [--dry-run]`: SPEC §1 steps 3-6.
Status up(Context& ctx) {
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  if (ctx.invocation.dry_run) return print_plan(ctx, *conn);
  return migrate_up(ctx, *conn, ctx.invocation.to, true);
}

}  // namespace schemagate::commands
