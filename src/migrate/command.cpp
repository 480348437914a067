#include "migrate/command.h"

#include "exec/child.h"
#include "log/log.h"
#include "migrate/alembic/command_line.h"
#include "migrate/alembic/current.h"
#include "migrate/alembic/text.h"
#include "migrate/alembic/upgrade.h"
#include "migrate/lock.h"

namespace schemagate::migrate {
namespace {

using std::chrono::milliseconds;

// What `alembic upgrade <target>` would run on this database (alembic/upgrade.h): one query on
// alembic_version, no lock.
Result<std::vector<std::string>> alembic_pending(db::Connection& conn, const alembic::Project& project,
                                                 const std::string& target, const Interrupt& stop) {
  auto rows = alembic::read_current(conn, stop);
  if (!rows) return rows.error();
  return alembic::pending(project, *rows, target);
}

Status await_alembic(db::Connection& conn, const alembic::Project& project, const std::string& target,
                     Deadline deadline, const Interrupt& stop) {
  log::info("waiting for another runner to apply the pending Alembic revisions (MIGRATIONS_AWAIT)");
  for (;;) {
    if (int sig = stop.sleep_until(Deadline::after(milliseconds(500)).earlier(deadline))) return interrupted(sig);
    auto pending = alembic_pending(conn, project, target, stop);
    if (!pending) return pending.error();
    if (pending->empty()) {
      log::info("migrations applied by another runner");
      return {};
    }
    if (deadline.expired()) return timed_out("timed out waiting for another runner; still pending: " + listed(*pending));
  }
}

// Runs the command once per attempt until it succeeds (MIGRATION_RETRY_ATTEMPTS more tries, each
// MIGRATION_RETRY_DELAY_SECONDS later), its output in the log line by line.
Status run_command(const std::vector<std::string>& command, const UpOptions& options, Deadline deadline,
                   const Interrupt& stop) {
  std::string shown;
  for (const auto& word : command) shown += (shown.empty() ? "" : " ") + word;
  auto on_line = [&](bool is_stderr, std::string_view line) {
    log::info(line, {{"command", command.front()}, {"stream", is_stderr ? "stderr" : "stdout"}});
  };
  const int attempts = 1 + options.retry_attempts;
  for (int attempt = 1;; ++attempt) {
    log::info("running the migrate command: " + shown,
              {{"attempt", std::to_string(attempt) + "/" + std::to_string(attempts)}});
    auto code = exec::run_child(command, options.command_env, deadline, stop, on_line);
    if (!code) {
      Error e = code.error();
      if (e.kind == ErrorKind::NotFound || e.kind == ErrorKind::NotExecutable) e.kind = ErrorKind::MigrationFailed;
      e.message = "migrate command: " + e.message;
      return e;
    }
    if (*code == 0) return {};
    std::string failed = "the migrate command `" + shown + "` exited " + std::to_string(*code);
    if (attempt >= attempts)
      return migration_failed(failed + " (attempt " + std::to_string(attempt) + "/" + std::to_string(attempts) + ")");
    log::warn(failed + "; trying again", {{"attempt", std::to_string(attempt) + "/" + std::to_string(attempts)}});
    if (int sig = stop.sleep_until(Deadline::after(options.retry_delay).earlier(deadline))) return interrupted(sig);
    if (deadline.expired()) return timed_out(failed + "; out of time before trying again");
  }
}

}  // namespace

Status up_with_command(db::Connection& conn, const Inputs& inputs, const UpOptions& options, const Interrupt& stop) {
  const alembic::Project* alembic = inputs.alembic ? &*inputs.alembic : nullptr;
  Deadline deadline = options.timeout.count() ? Deadline::after(options.timeout) : Deadline::never();

  // The command's upgrade target, or every head when schemagate cannot tell what it aims at.
  const std::string target = alembic::upgrade_target(inputs.command);
  if (alembic) {
    auto pending = alembic_pending(conn, *alembic, target, stop);
    if (!pending) return pending.error();
    if (pending->empty()) {
      auto heads = alembic::heads(*alembic);
      std::string head = heads.empty() ? "none" : alembic::joined(heads, ",");
      if (target == "head" || target == "heads")
        log::info("database is up to date", {{"alembic_head", head}});
      else
        log::info("database is up to date", {{"alembic_head", head}, {"alembic_target", target}});
      return {};
    }
    if (options.mode == Mode::await) return await_alembic(conn, *alembic, target, deadline, stop);
    if (options.mode == Mode::check_only)
      return still_pending(std::to_string(pending->size()) + " pending Alembic revision(s): " + listed(*pending) + "; " +
                           options.check_only_because);
  } else if (options.mode == Mode::await) {
    return config_error(
        "--await needs SQL migrations or an Alembic project (alembic.ini) to tell when another runner is done; "
        "MIGRATE_COMMAND alone cannot say");
  } else if (options.mode == Mode::check_only) {
    log::warn("check-only mode: what the migrate command would apply cannot be known without running it; not run");
    return {};
  }

  std::optional<db::Connection> own;
  auto session = migrations_session(conn, own, options);
  if (!session) return session.error();
  auto locked = lock_tracking_table(**session, inputs.table, options.lock_timeout, options.lock, deadline, stop);
  if (!locked) return locked.error();
  if (alembic) {
    // Under the lock, look again: another replica may have upgraded meanwhile.
    auto pending = alembic_pending(**session, *alembic, target, stop);
    if (!pending) return pending.error();
    if (pending->empty()) {
      log::info("database is up to date: another runner applied the migrations");
      return locked->lock->release(stop);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  if (Status ran = run_command(inputs.command, options, deadline, stop); !ran) return ran.error();
  log::info("migrate command done", {{"total", seconds_since(start)}});
  return locked->lock->release(stop);
}

}  // namespace schemagate::migrate
