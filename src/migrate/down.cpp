#include "migrate/down.h"

#include "log/log.h"
#include "migrate/apply.h"
#include "migrate/history.h"
#include "migrate/lock.h"
#include "migrate/plan.h"
#include "migrate/script.h"

namespace schemagate::migrate {

Result<std::string> down(db::Connection& conn, const Inputs& inputs, const DownOptions& down,
                         const UpOptions& options, const Interrupt& stop) {
  Deadline deadline = options.timeout.count() ? Deadline::after(options.timeout) : Deadline::never();
  auto table = prepare_session(conn, inputs.table, options.lock_timeout, stop);
  if (!table) return table.error();
  std::unique_ptr<Lock> lock;
  if (!down.dry_run) {
    auto taken = take_lock(conn, *table, deadline, stop);
    if (!taken) return taken.error();
    lock = std::move(*taken);
  }
  auto history = read_history(conn, *table, stop);
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
      out += "\n-- " + c->down.path + " (version " + c->version_text + ", down)\n" + c->down.sql + "\n";
    return out;
  }
  ApplyOptions limits{options.lock_timeout, options.retry_attempts, options.retry_delay, deadline, false};
  auto reverted = revert(conn, *table, *chosen, limits, stop);
  if (!reverted) return reverted.error();
  log::info("rollback done", {{"rolled_back", std::to_string(*reverted)}});
  if (Status released = lock->release(stop); !released) return released.error();
  return std::string();
}

Result<std::string> describe_up(db::Connection& conn, const Inputs& inputs, const std::string& to,
                                const Interrupt& stop) {
  auto history = read_history(conn, inputs.table, stop);
  if (!history) return history.error();
  auto plan = plan_up(inputs.files, *history, to);
  if (!plan) return plan.error();
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
