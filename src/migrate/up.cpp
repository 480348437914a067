#include "migrate/up.h"

#include <algorithm>

#include "db/sqlstate.h"
#include "log/log.h"
#include "migrate/alembic/command_line.h"
#include "migrate/alembic/current.h"
#include "migrate/alembic/upgrade.h"
#include "migrate/apply.h"
#include "migrate/command.h"
#include "migrate/history.h"
#include "migrate/lock.h"
#include "migrate/plan.h"
#include "migrate/resume.h"

namespace schemagate::migrate {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string versions(const std::vector<const Migration*>& list) {
  std::vector<std::string> ids;
  for (const auto* m : list) ids.push_back(m->version_text);
  return listed(ids);
}

// --await: read-only, until another runner has applied everything (SPEC §1 step 6).
Status await_others(db::Connection& conn, const Inputs& inputs, Deadline deadline, const Interrupt& stop) {
  log::info("waiting for another runner to apply the pending migrations (MIGRATIONS_AWAIT)");
  for (;;) {
    auto history = read_history(conn, inputs.table, stop);
    if (!history) return history.error();
    // A dirty mark may be another runner's migration in progress: keep waiting, and report it
    // only if time runs out. Drift or a missing file will not clear by waiting.
    auto plan = plan_up(inputs.files, *history);
    bool in_progress = std::any_of(history->begin(), history->end(), [](const auto& row) { return row.is_dirty; });
    if (!plan && !in_progress) return plan.error();
    if (plan && plan->pending.empty()) {
      log::info("migrations applied by another runner");
      return {};
    }
    if (deadline.expired())
      return timed_out("timed out waiting for another runner; " +
                       (plan ? "still pending: " + versions(plan->pending) : plan.error().message));
    if (int sig = stop.sleep_until(Deadline::after(milliseconds(500)).earlier(deadline))) return interrupted(sig);
  }
}

// Steps 4-6 from taking the lock on: read what is applied, plan, apply, release.
// `resumed`: on a new session after the connection was lost.
Status apply_locked(db::Connection& conn, const Inputs& inputs, const UpOptions& options, Deadline deadline,
                    Clock::time_point start, bool resumed, const Interrupt& stop) {
  auto locked = lock_and_read_history(conn, inputs.table, options.lock_timeout, options.lock, deadline, stop);
  if (!locked) return locked.error();
  const TableName& table = locked->table;
  ApplyOptions limits{options.lock_timeout,       options.retry_attempts, options.retry_delay, deadline,
                      options.single_transaction, options.on_start, locked->lock->fence_sql(),
                      locked->pooled};
  // An interrupted CREATE INDEX CONCURRENTLY is taken up again where that is safe (resume.h).
  auto taken_up = resume_interrupted(conn, table, inputs.files, locked->applied, limits, stop);
  if (!taken_up) return taken_up.error();
  if (*taken_up > 0) {
    auto again = read_history(conn, table, stop);
    if (!again) return again.error();
    locked->applied = std::move(*again);
  }
  auto plan = plan_up(inputs.files, locked->applied, options.to);
  if (!plan) return plan.error();
  if (plan->pending.empty() && plan->unrecorded.empty()) {
    // A session whose client is gone still commits what it has already been sent.
    log::info(resumed ? "database is up to date: the migrations were committed before the connection was lost, or "
                        "by another runner"
                      : "database is up to date: another runner applied the migrations");
    return locked->lock->release(stop);
  }
  // 5b. Pre-flight: before the tracking table is touched, so a refusal leaves the database as it was.
  if (options.preflight && !plan->pending.empty())
    if (Status ok = options.preflight(conn, plan->pending, stop); !ok) return ok.error();
  if (Status ok = ensure_table(conn, table, stop); !ok) return ok.error();
  if (!plan->unrecorded.empty()) {
    if (Status ok = record_checksums(conn, table, plan->unrecorded, limits.fence, stop); !ok) return ok.error();
    log::info("recorded checksums of migrations applied before schemagate",
              {{"count", std::to_string(plan->unrecorded.size())}});
  }
  for (const auto* late : plan->out_of_order)
    log::warn("applying " + late->up.path + " although a newer version is already applied");

  // 6. Apply.
  auto applied = apply(conn, table, plan->pending, limits, stop);
  if (!applied) return applied.error();
  if (Status released = locked->lock->release(stop); !released) return released.error();
  log::info("migrations done", {{"applied", std::to_string(*applied)},
                                {"skipped", std::to_string(locked->applied.size())},
                                {"total", seconds_since(start)}});
  return {};
}

// SPEC §1 step 6: a lost connection (the server restarted, the network cut) is transient. The
// lock went with the session, so a new session takes it again and reads again what is applied:
// a batch the server committed before the loss is not run twice, and a non-transactional
// migration it cut short is found dirty (65).
Status apply_reconnecting(db::Connection& conn, const Inputs& inputs, const UpOptions& options, Deadline deadline,
                          Clock::time_point start, const Interrupt& stop) {
  Status done = apply_locked(conn, inputs, options, deadline, start, false, stop);
  auto is_lost = [](const Status& s) {
    return !s && s.error().kind == ErrorKind::Unreachable && !db::sqlstate::is_refusal(s.error());
  };
  for (int attempt = 1; is_lost(done) && attempt <= options.retry_attempts; ++attempt) {
    log::warn(done.error().message + "; reconnecting in " + format_seconds(options.retry_delay) + " (" +
              std::to_string(attempt) + "/" + std::to_string(options.retry_attempts) + ")");
    if (int sig = stop.sleep_until(Deadline::after(options.retry_delay).earlier(deadline))) return interrupted(sig);
    if (deadline.expired()) return timed_out("out of time (migrations.timeout) before reconnecting");
    milliseconds attempt_timeout = std::chrono::seconds(10);
    if (!deadline.is_never()) attempt_timeout = std::min(attempt_timeout, milliseconds(deadline.poll_timeout_ms()));
    auto fresh = options.reconnect(attempt_timeout);
    if (!fresh) {
      done = fresh.error();
      // A rejected password is not tried again.
      const Error& e = done.error();
      if (e.kind != ErrorKind::Unreachable || db::sqlstate::is_auth_failure(e)) return done;
      continue;
    }
    conn = std::move(*fresh);
    done = apply_locked(conn, inputs, options, deadline, start, true, stop);
  }
  return done;
}

}  // namespace

std::string listed(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 10; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > 10) out += ", ... (" + std::to_string(ids.size()) + " in all)";
  return out;
}

Status up(db::Connection& conn, const Inputs& inputs, const UpOptions& options, const Interrupt& stop) {
  if (!inputs.command.empty()) return up_with_command(conn, inputs, options, stop);
  const auto start = Clock::now();
  if (inputs.none_configured) return {};

  // 4. Lock-free first look: on the common restart path this is the only query.
  auto history = read_history(conn, inputs.table, stop);
  if (!history) return history.error();
  auto plan = plan_up(inputs.files, *history, options.to);
  // Said once, here, whichever way the run goes on: every mode passes this first look.
  if (std::string future = plan ? future_warning(*plan, inputs.files) : ""; !future.empty())
    log::warn(future);
  if (plan && plan->pending.empty() && plan->unrecorded.empty()) {
    log::info("database is up to date", {{"applied", std::to_string(history->size())}});
    return {};
  }

  Deadline deadline = options.timeout.count() ? Deadline::after(options.timeout) : Deadline::never();
  switch (options.mode) {
    case Mode::await: return await_others(conn, inputs, deadline, stop);
    case Mode::check_only:
      if (!plan) return plan.error();
      if (plan->pending.empty()) return {};
      return still_pending(std::to_string(plan->pending.size()) + " pending migration(s): " + versions(plan->pending) +
                           "; " + options.check_only_because);
    case Mode::apply: break;
  }
  // A problem seen without the lock may be another replica's work in progress (a dirty mark
  // while it runs CREATE INDEX CONCURRENTLY): only the state under the lock decides.
  std::optional<db::Connection> own;
  auto session = migrations_session(conn, own, options);
  if (!session) return session.error();
  return apply_reconnecting(**session, inputs, options, deadline, start, stop);
}

Result<db::Connection*> migrations_session(db::Connection& conn, std::optional<db::Connection>& own,
                                           const UpOptions& options) {
  if (!options.open_for_migrations) return &conn;
  auto opened = options.open_for_migrations();
  if (!opened) return opened.error();
  own.emplace(std::move(*opened));
  return &*own;
}

Result<Progress> progress(db::Connection& conn, const Inputs& inputs, const Interrupt& stop) {
  Progress p;
  if (!inputs.command.empty()) {
    if (!inputs.alembic) return p;
    // An unreadable alembic_version reads as no revision, as before the first upgrade.
    auto rows = alembic::read_current(conn, stop);
    std::vector<std::string> ids = rows ? *rows : std::vector<std::string>{};
    // What `alembic current` prints; the rows themselves when one names no revision.
    auto current = alembic::current(*inputs.alembic, ids);
    p.current = listed(current ? *current : ids);
    auto target = alembic::upgrade_target(inputs.command);
    if (auto pending = alembic::pending(*inputs.alembic, ids, target); pending) p.pending = *pending;
    return p;
  }
  auto history = read_history(conn, inputs.table, stop);
  if (!history) return history.error();
  if (!history->empty()) p.current = history->back().version_text;
  if (auto plan = plan_up(inputs.files, *history); plan)
    for (const auto* pending : plan->pending) p.pending.push_back(pending->version_text);
  return p;
}

}  // namespace schemagate::migrate
