#include "migrate/down.h"

#include <algorithm>

#include "db/session.h"
#include "db/transaction.h"
#include "log/log.h"
#include "migrate/apply.h"
#include "migrate/history.h"
#include "migrate/lock.h"
#include "migrate/plan.h"
#include "migrate/script.h"

namespace schemagate::migrate {
namespace {

// The chosen migrations, newest first, each with the removal of its tracking row. A down section
// that is present but empty undoes nothing, as in dbmate and golang-migrate (SPEC §2): its row is
// removed on its own, with a warning, and no SQL is sent for it, so revert only ever gets
// sections with SQL. Returns how many were rolled back.
Result<int> roll_back(db::Connection& conn, const TableName& table, std::span<const Migration* const> chosen,
                      const ApplyOptions& limits, const Interrupt& stop) {
  int done = 0;
  while (!chosen.empty()) {
    auto empty =
        std::find_if(chosen.begin(), chosen.end(), [](const Migration* m) { return m->down.sql.empty(); });
    size_t with_sql = static_cast<size_t>(empty - chosen.begin());
    if (with_sql > 0) {
      auto reverted = revert(conn, table, chosen.first(with_sql), limits, stop);
      if (!reverted) return reverted.error();
      done += *reverted;
      chosen = chosen.subspan(with_sql);
      continue;
    }
    // Written as schemagate's own user with its own settings, whatever a down section before it SET
    // (RESET ALL, after revert, keeps a SET ROLE).
    const Migration& m = *chosen.front();
    auto tx = db::Transaction::of(conn);
    std::string removal =
        "begin;\n" +
        db::SessionSettings::for_server(conn, limits.lock_timeout).restore_sql(db::Scope::transaction) +
        (limits.fence.empty() ? "" : limits.fence + ";\n") + delete_sql(table, m.version_text) + ";\ncommit;";
    if (auto removed = conn.exec(removal, stop, limits.deadline); !removed) return removed.error();
    log::warn("rolled back " + m.version_text + (m.name.empty() ? "" : " " + m.name) +
                  " without undoing anything: its down section is empty; only its tracking row was removed",
              {{"version", m.version_text}, {"name", m.name}});
    ++done;
    chosen = chosen.subspan(1);
  }
  return done;
}

}  // namespace

Result<std::string> down(db::Connection& conn, const Inputs& inputs, const DownOptions& down,
                         const UpOptions& options, const Interrupt& stop) {
  Deadline deadline = options.timeout.count() ? Deadline::after(options.timeout) : Deadline::never();
  auto prepared = prepare_session(conn, inputs.table, options.lock_timeout, stop);
  if (!prepared) return prepared.error();
  const TableName& table = prepared->table;
  std::unique_ptr<Lock> lock;
  if (!down.dry_run) {
    auto taken = take_migration_lock(conn, table, options.lock, deadline, stop);
    if (!taken) return taken.error();
    lock = std::move(*taken);
  }
  auto history = read_history(conn, table, stop);
  if (!history) return history.error();
  // The same checks as up: rolling back over drift or a dirty mark would compound the damage.
  if (auto plan = plan_up(inputs.files, *history); !plan) return plan.error();
  auto chosen = plan_down(inputs.files, *history, down.steps, down.to);
  if (!chosen) return chosen.error();
  if (chosen->empty()) {
    log::info("nothing to roll back");
    if (lock)
      if (Status released = lock->release(stop); !released) return released.error();
    return std::string();
  }
  if (down.dry_run) {
    std::string out =
        "-- " + std::to_string(chosen->size()) + " migration(s) to roll back; nothing changes (--dry-run)\n";
    for (const auto* c : *chosen)
      out += "\n-- " + c->down.path + " (version " + c->version_text + ", down)" +
             (c->down.sql.empty() ? ": empty, nothing to undo; only its tracking row is removed\n"
                                  : "\n" + c->down.sql + "\n");
    return out;
  }
  ApplyOptions limits{options.lock_timeout, options.retry_attempts, options.retry_delay, deadline, false,
                      nullptr,              lock->fence_sql(),      prepared->pooled};
  auto reverted = roll_back(conn, table, *chosen, limits, stop);
  if (!reverted) return reverted.error();
  log::info("rollback done", {{"rolled_back", std::to_string(*reverted)}});
  if (Status released = lock->release(stop); !released) return released.error();
  return std::string();
}

Result<std::string> describe_up(db::Connection& conn, const Inputs& inputs, const std::string& to,
                                const UpOptions& options, const Interrupt& stop) {
  auto history = read_history(conn, inputs.table, stop);
  if (!history) return history.error();
  auto plan = plan_up(inputs.files, *history, to);
  if (!plan) return plan.error();
  if (std::string future = future_warning(*plan, inputs.files); !future.empty()) log::warn(future);
  if (options.preflight && !plan->pending.empty())
    if (Status ok = options.preflight(conn, plan->pending, stop); !ok) return ok.error();
  std::string out =
      "-- " + std::to_string(plan->pending.size()) + " pending migration(s); nothing is applied (--dry-run)\n";
  for (const auto* p : plan->pending) {
    Script script = analyse(p->up);
    out += "\n-- " + p->up.path + " (version " + p->version_text + ", " +
           (script.transactional ? "in a transaction" : "outside a transaction: " + script.why_not_transactional) +
           ")\n" + p->up.sql;
    if (!p->up.sql.empty() && p->up.sql.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace schemagate::migrate
