// SPEC §1 steps 4-6, shared by `run` and `up`.
#include <algorithm>
#include <filesystem>

#include "commands/commands.h"
#include "db/sqlstate.h"
#include "commands/migrations.h"
#include "exec/child.h"
#include "log/log.h"
#include "migrate/alembic/current.h"
#include "migrate/alembic/graph.h"
#include "migrate/apply.h"
#include "migrate/lock.h"
#include "migrate/plan.h"
#include "wait/wait.h"

namespace schemagate::commands {
namespace {

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 10; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > 10) out += ", ... (" + std::to_string(ids.size()) + " in all)";
  return out;
}

std::string versions(const std::vector<const migrate::Migration*>& list) {
  std::vector<std::string> ids;
  for (const auto* m : list) ids.push_back(m->version_text);
  return joined(ids);
}

// --await: read-only, until another runner has applied everything (SPEC §1 step 6).
Status await_others(const Context& ctx, db::Connection& conn, const Migrations& m, Deadline deadline) {
  const Interrupt& stop = ctx.gate.interrupt();
  log::info("waiting for another runner to apply the pending migrations (MIGRATIONS_AWAIT)");
  for (;;) {
    auto history = migrate::read_history(conn, m.table, stop);
    if (!history) return history.error();
    // A dirty mark may be another runner's migration in progress: keep waiting, and report it
    // only if time runs out. Drift or a missing file will not clear by waiting.
    auto plan = migrate::plan_up(m.files, *history);
    bool in_progress = std::any_of(history->begin(), history->end(), [](const auto& row) { return row.is_dirty; });
    if (!plan && !in_progress) return plan.error();
    if (plan && plan->pending.empty()) {
      log::info("migrations applied by another runner");
      return {};
    }
    if (deadline.expired())
      return timed_out(
                   "timed out waiting for another runner; " +
                       (plan ? "still pending: " + versions(plan->pending) : plan.error().message));
    if (int sig = stop.sleep_until(Deadline::after(std::chrono::milliseconds(500)).earlier(deadline)))
      return interrupted(sig);
  }
}

// What an Alembic project's database still lacks: one query on alembic_version, no lock.
Result<std::vector<std::string>> alembic_pending(db::Connection& conn, const migrate::alembic::Project& project,
                                                 const Interrupt& stop) {
  if (auto head = migrate::alembic::single_head(project); !head) return head.error();
  auto current = migrate::alembic::read_current(conn, stop);
  if (!current) return current.error();
  return migrate::alembic::pending(project, *current);
}

// Steps 4-6 from taking the lock on: read what is applied, plan, apply, release.
// `resumed`: on a new session after the connection was lost.
Status apply_locked(const Context& ctx, db::Connection& conn, const Migrations& m, const std::string& to,
                    Deadline deadline, std::chrono::steady_clock::time_point start, bool resumed) {
  const config::Settings& s = ctx.settings;
  const Interrupt& stop = ctx.gate.interrupt();
  auto table = lock_migrations(s, conn, m.table, deadline, stop);
  if (!table) return table.error();
  // 5. Under the lock, read again: another replica may have applied them meanwhile.
  auto history = migrate::read_history(conn, *table, stop);
  if (!history) return history.error();
  auto plan = migrate::plan_up(m.files, *history, to);
  if (!plan) return plan.error();
  if (plan->pending.empty() && plan->unrecorded.empty()) {
    // A session whose client is gone still commits what it has already been sent.
    log::info(resumed ? "database is up to date: the migrations were committed before the connection was lost, or "
                        "by another runner"
                      : "database is up to date: another runner applied the migrations");
    return migrate::release_lock(conn, *table, stop);
  }
  if (Status ok = migrate::ensure_table(conn, *table, stop); !ok) return ok.error();
  if (!plan->unrecorded.empty()) {
    if (Status ok = record_checksums(conn, *table, plan->unrecorded, stop); !ok) return ok.error();
    log::info("recorded checksums of migrations applied before schemagate",
              {{"count", std::to_string(plan->unrecorded.size())}});
  }
  for (const auto* late : plan->out_of_order)
    log::warn("applying " + late->up.path + " although a newer version is already applied");

  // 6. Apply.
  auto applied = migrate::apply(conn, *table, plan->pending, apply_options(s, deadline), stop);
  if (!applied) return applied.error();
  if (Status released = migrate::release_lock(conn, *table, stop); !released) return released.error();
  log::info("migrations done", {{"applied", std::to_string(*applied)},
                                {"skipped", std::to_string(history->size())},
                                {"total", seconds_since(start)}});
  return {};
}

// Runs the command once per attempt until it succeeds (MIGRATION_RETRY_ATTEMPTS more tries, each
// MIGRATION_RETRY_DELAY_SECONDS later), its output in the log line by line.
Status run_command(const Context& ctx, Deadline deadline) {
  const config::Settings& s = ctx.settings;
  const Interrupt& stop = ctx.gate.interrupt();
  std::string shown;
  for (const auto& word : s.migrate_command) shown += (shown.empty() ? "" : " ") + word;
  std::vector<std::pair<std::string, std::string>> env;
  // The command connects where schemagate does; PG* variables pass through unchanged.
  if (!s.database_url.empty()) env.emplace_back("DATABASE_URL", s.database_url);
  auto on_line = [&](bool is_stderr, std::string_view line) {
    log::info(line, {{"command", s.migrate_command.front()}, {"stream", is_stderr ? "stderr" : "stdout"}});
  };
  const int attempts = 1 + s.retry_attempts;
  for (int attempt = 1;; ++attempt) {
    log::info("running the migrate command: " + shown,
              {{"attempt", std::to_string(attempt) + "/" + std::to_string(attempts)}});
    auto code = exec::run_child(s.migrate_command, env, deadline, stop, on_line);
    if (!code) {
      Error e = code.error();
      if (e.kind == ErrorKind::NotFound || e.kind == ErrorKind::NotExecutable) e.kind = ErrorKind::MigrationFailed;
      e.message = "migrate command: " + e.message;
      return e;
    }
    if (*code == 0) return {};
    std::string failed = "the migrate command `" + shown + "` exited " + std::to_string(*code);
    if (attempt >= attempts)
      return migration_failed(failed + " (attempt " + std::to_string(attempt) + "/" +
                                                   std::to_string(attempts) + ")");
    log::warn(failed + "; trying again", {{"attempt", std::to_string(attempt) + "/" + std::to_string(attempts)}});
    if (int sig = stop.sleep_until(Deadline::after(s.retry_delay).earlier(deadline))) return interrupted(sig);
    if (deadline.expired()) return timed_out(failed + "; out of time before trying again");
  }
}

// Steps 4-6 when MIGRATE_COMMAND does the migrating: under the same lock, bounded by the same
// timeout. For an Alembic project schemagate can also tell, without Python, whether anything is
// pending, so the restart path stays one query and check-only and --await work.
Status migrate_with_command(const Context& ctx, db::Connection& conn, bool explicit_up) {
  const config::Settings& s = ctx.settings;
  const Interrupt& stop = ctx.gate.interrupt();
  auto project = find_alembic_project(s);
  if (!project) return project.error();
  const migrate::alembic::Project* alembic = project->has_value() ? &**project : nullptr;
  Deadline deadline = migration_deadline(s);

  if (alembic) {
    auto pending = alembic_pending(conn, *alembic, stop);
    if (!pending) return pending.error();
    if (pending->empty()) {
      auto heads = migrate::alembic::heads(*alembic);
      log::info("database is up to date", {{"alembic_head", heads.empty() ? "none" : heads.front()}});
      return {};
    }
    if (s.await && !explicit_up) {
      log::info("waiting for another runner to apply the pending Alembic revisions (MIGRATIONS_AWAIT)");
      for (;;) {
        if (int sig = stop.sleep_until(Deadline::after(std::chrono::milliseconds(500)).earlier(deadline)))
          return interrupted(sig);
        pending = alembic_pending(conn, *alembic, stop);
        if (!pending) return pending.error();
        if (pending->empty()) {
          log::info("migrations applied by another runner");
          return {};
        }
        if (deadline.expired())
          return timed_out("timed out waiting for another runner; still pending: " + joined(*pending));
      }
    }
    if (!s.auto_migrate && !explicit_up)
      return still_pending(
                   std::to_string(pending->size()) + " pending Alembic revision(s): " + joined(*pending) +
                       "; migrations.auto is off (" + s.source_of("migrations.auto").describe() + ")");
  } else if (s.await && !explicit_up) {
    return config_error("--await needs SQL migrations or an Alembic project (alembic.ini) to tell when "
                                    "another runner is done; MIGRATE_COMMAND alone cannot say");
  } else if (!s.auto_migrate && !explicit_up) {
    log::warn("check-only mode: what the migrate command would apply cannot be known without running it; not run");
    return {};
  }

  auto m = load_migrations(s);
  if (!m) return m.error();
  auto table = lock_migrations(s, conn, m->table, deadline, stop);
  if (!table) return table.error();
  if (alembic) {
    // Under the lock, look again: another replica may have upgraded meanwhile.
    auto pending = alembic_pending(conn, *alembic, stop);
    if (!pending) return pending.error();
    if (pending->empty()) {
      log::info("database is up to date: another runner applied the migrations");
      return migrate::release_lock(conn, *table, stop);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  if (Status ran = run_command(ctx, deadline); !ran) return ran.error();
  log::info("migrate command done", {{"total", seconds_since(start)}});
  return migrate::release_lock(conn, *table, stop);
}

}  // namespace

Result<std::optional<migrate::alembic::Project>> find_alembic_project(const config::Settings& s) {
  auto ini = migrate::alembic::ini_for(s.migrate_command);
  std::error_code ec;
  if (!std::filesystem::exists(ini.path, ec)) return std::optional<migrate::alembic::Project>{};
  auto project = migrate::alembic::read_project(ini.path, ini.section);
  if (!project) return project.error();
  return std::optional<migrate::alembic::Project>{std::move(*project)};
}

Status limit_session(const config::Settings& s, db::Connection& conn, const Interrupt& stop) {
  // The steps around the migrations (tracking table, checksums) take locks too; and a runner that
  // is killed while it holds the migration lock must not leave its statement running.
  std::string sql = "set lock_timeout = " + std::to_string(s.lock_timeout.count());
  if (conn.server_version_number() >= 140000) sql += ";\nset client_connection_check_interval = 1000";
  auto done = conn.exec(sql, stop);
  if (!done) return done.error();
  return {};
}

Result<Progress> read_progress(const config::Settings& s, db::Connection& conn, const Interrupt& stop) {
  Progress p;
  if (!s.migrate_command.empty()) {
    auto project = find_alembic_project(s);
    if (!project) return project.error();
    if (!*project) return p;
    // Progress is only reported, never decided on: a failed read counts as nothing applied.
    auto read = migrate::alembic::read_current(conn, stop);
    std::vector<std::string> current = read ? std::move(*read) : std::vector<std::string>{};
    p.current = joined(current);
    auto pending = migrate::alembic::pending(**project, current);
    if (pending) p.pending = *pending;
    return p;
  }
  auto m = load_migrations(s);
  if (!m) return m.error();
  auto history = migrate::read_history(conn, m->table, stop);
  if (!history) return history.error();
  if (!history->empty()) p.current = history->back().version_text;
  if (auto plan = migrate::plan_up(m->files, *history); plan)
    for (const auto* pending : plan->pending) p.pending.push_back(pending->version_text);
  return p;
}

Result<Migrations> load_migrations(const config::Settings& s) {
  Migrations m;
  auto table = parse_table_name(s.migrations_table);
  if (!table) return table.error();
  m.table = *table;
  m.dir = s.migrations_dir;
  std::error_code ec;
  bool defaulted = s.source_of("migrations.dir").kind == config::Source::Kind::Default;
  if (defaulted && !std::filesystem::exists(m.dir, ec) && std::filesystem::is_directory("db/migrations", ec))
    m.dir = "db/migrations";
  if (defaulted && !std::filesystem::exists(m.dir, ec)) {
    log::debug("no migrations directory (migrations/ or db/migrations/): nothing to apply");
    m.none_configured = true;
    return m;
  }
  auto files = migrate::read_dir(m.dir);
  if (!files) {
    Error e = files.error();
    if (!defaulted && e.message.starts_with("migrations directory"))
      e.message += " (" + s.source_of("migrations.dir").describe() + ")";
    return e;
  }
  m.files = std::move(*files);
  return m;
}

migrate::ApplyOptions apply_options(const config::Settings& s, Deadline deadline) {
  migrate::ApplyOptions o;
  o.lock_timeout = s.lock_timeout;
  o.retry_attempts = s.retry_attempts;
  o.retry_delay = s.retry_delay;
  o.deadline = deadline;
  return o;
}

Deadline migration_deadline(const config::Settings& s) {
  return s.migration_timeout.count() ? Deadline::after(s.migration_timeout) : Deadline::never();
}

Result<TableName> lock_migrations(const config::Settings& s, db::Connection& conn, const TableName& table,
                                  Deadline deadline, const Interrupt& stop) {
  if (Status limited = limit_session(s, conn, stop); !limited) return limited.error();
  auto resolved = migrate::resolve_schema(conn, table, stop);
  if (!resolved) return resolved.error();
  if (Status locked = migrate::take_lock(conn, *resolved, deadline, stop); !locked) return locked.error();
  return resolved;
}

Status migrate_up(const Context& ctx, db::Connection& conn, const std::string& to, bool explicit_up) {
  const config::Settings& s = ctx.settings;
  const Interrupt& stop = ctx.gate.interrupt();
  if (!s.migrate_command.empty()) return migrate_with_command(ctx, conn, explicit_up);
  const auto start = std::chrono::steady_clock::now();
  auto m = load_migrations(s);
  if (!m) return m.error();
  if (m->none_configured) return {};

  // 4. Lock-free first look: on the common restart path this is the only query.
  auto history = migrate::read_history(conn, m->table, stop);
  if (!history) return history.error();
  auto plan = migrate::plan_up(m->files, *history, to);
  if (plan && plan->pending.empty() && plan->unrecorded.empty()) {
    log::info("database is up to date", {{"applied", std::to_string(history->size())}});
    return {};
  }

  Deadline deadline = migration_deadline(s);
  if (s.await && !explicit_up) return await_others(ctx, conn, *m, deadline);
  if (!s.auto_migrate && !explicit_up) {
    if (!plan) return plan.error();
    if (plan->pending.empty()) return {};
    return still_pending(
                 std::to_string(plan->pending.size()) + " pending migration(s): " + versions(plan->pending) +
                     "; migrations.auto is off (" + s.source_of("migrations.auto").describe() + ")");
  }

  // A problem seen without the lock may be another replica's work in progress (a dirty mark
  // while it runs CREATE INDEX CONCURRENTLY): only the state under the lock decides.
  Status done = apply_locked(ctx, conn, *m, to, deadline, start, false);
  // SPEC §1 step 6: a lost connection (the server restarted, the network cut) is transient. The
  // lock went with the session, so a new session takes it again and reads again what is applied:
  // a batch the server committed before the loss is not run twice, and a non-transactional
  // migration it cut short is found dirty (65).
  for (int attempt = 1; !done && done.error().kind == ErrorKind::Unreachable && attempt <= s.retry_attempts;
       ++attempt) {
    log::warn(done.error().message + "; reconnecting in " + format_seconds(s.retry_delay) + " (" +
              std::to_string(attempt) + "/" + std::to_string(s.retry_attempts) + ")");
    if (int sig = stop.sleep_until(Deadline::after(s.retry_delay).earlier(deadline))) return interrupted(sig);
    if (deadline.expired())
      return timed_out("out of time (migrations.timeout) before reconnecting");
    // One attempt of step 3, readiness included: after a failover the address may lead to a
    // standby for a while. A rejected password is not tried again.
    wait::Policy once{.attempts = 1, .interval = {}, .attempt_timeout = std::chrono::seconds(10)};
    if (!deadline.is_never())
      once.attempt_timeout = std::min(once.attempt_timeout, std::chrono::milliseconds(deadline.poll_timeout_ms()));
    auto fresh = wait::until_ready(conn.target(), once, stop);
    if (!fresh) {
      done = fresh.error();
      const Error& e = done.error();
      if (e.kind != ErrorKind::Unreachable || db::sqlstate::is_auth_failure(e)) return done;
      continue;
    }
    conn = std::move(*fresh);
    done = apply_locked(ctx, conn, *m, to, deadline, start, true);
  }
  return done;
}

Status record_checksums(db::Connection& conn, const TableName& table,
                        const std::vector<const migrate::Migration*>& list, const Interrupt& stop) {
  // An upsert: a table adopted from golang-migrate holds only its newest version's row.
  std::string sql;
  for (const auto* m : list)
    sql += "insert into " + migrate::qualified(table) + " (version, name, checksum, dirty) values (" +
           migrate::literal(m->version_text) + ", " + migrate::literal(m->name) + ", " + migrate::literal(m->checksum) +
           ", false) on conflict (version) do update set checksum = excluded.checksum, name = excluded.name;\n";
  auto done = conn.exec(sql, stop);
  if (!done) return done.error();
  return {};
}

}  // namespace schemagate::commands
