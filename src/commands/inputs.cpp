#include "commands/inputs.h"

#include <filesystem>

#include "log/log.h"
#include "migrate/alembic/command_line.h"
#include "wait/wait.h"

namespace schemagate::commands {

namespace {

// Inputs naming the tracking table the settings give; nothing to migrate yet.
Result<migrate::Inputs> with_table(const config::Settings& s) {
  auto table = parse_table_name(s.migrations_table);
  if (!table) return table.error();
  migrate::Inputs m;
  m.table = *table;
  return m;
}

}  // namespace

Result<migrate::Inputs> load_files(const config::Settings& s) {
  auto inputs = with_table(s);
  if (!inputs) return inputs.error();
  migrate::Inputs& m = *inputs;
  m.dir = s.migrations_dir;
  std::error_code ec;
  bool defaulted = s.source_of("migrations.dir").kind == config::Source::Kind::Default;
  if (defaulted && !std::filesystem::exists(m.dir, ec) && std::filesystem::is_directory("db/migrations", ec))
    m.dir = "db/migrations";
  if (defaulted && !std::filesystem::exists(m.dir, ec)) {
    log::debug("no migrations directory (migrations/ or db/migrations/): nothing to apply");
    m.none_configured = true;
    return inputs;
  }
  auto files = migrate::read_dir(m.dir);
  if (!files) {
    Error e = files.error();
    if (!defaulted && e.message.starts_with("migrations directory"))
      e.message += " (" + s.source_of("migrations.dir").describe() + ")";
    return e;
  }
  m.files = std::move(*files);
  return inputs;
}

Result<migrate::Inputs> load_inputs(const config::Settings& s) {
  if (s.migrate_command.empty()) return load_files(s);
  auto inputs = with_table(s);
  if (!inputs) return inputs.error();
  inputs->command = s.migrate_command;
  auto project = find_alembic_project(s);
  if (!project) return project.error();
  inputs->alembic = std::move(*project);
  return inputs;
}

Result<std::optional<migrate::alembic::Project>> find_alembic_project(const config::Settings& s) {
  auto ini = migrate::alembic::ini_for(s.migrate_command);
  std::error_code ec;
  if (!std::filesystem::exists(ini.path, ec)) return std::optional<migrate::alembic::Project>{};
  auto project = migrate::alembic::read_project(ini.path, ini.section);
  if (!project) return project.error();
  return std::optional<migrate::alembic::Project>{std::move(*project)};
}

Result<Prepared> connect_and_load_files(const Context& ctx) {
  // down, stamp and repair are migrations' work: where MIGRATIONS_DATABASE_URL points, if set.
  auto migrations = migrations_target_of(ctx.settings);
  if (!migrations) return migrations.error();
  auto conn = *migrations ? wait_until_ready(ctx, **migrations) : connect(ctx);
  if (!conn) return conn.error();
  auto inputs = load_files(ctx.settings);
  if (!inputs) return inputs.error();
  return Prepared{std::move(*conn), std::move(*inputs)};
}

preflight::Policy preflight_policy(const config::Settings& s) {
  return {.block = s.preflight == config::Preflight::block,
          .max_rows = s.preflight_max_rows,
          .max_bytes = s.preflight_max_bytes};
}

migrate::UpOptions up_options(const Context& ctx, const db::Target& target, bool explicit_up,
                              std::vector<preflight::Finding>* findings) {
  const config::Settings& s = ctx.settings;
  migrate::UpOptions o;
  if (!explicit_up) o.mode = s.await ? migrate::Mode::await : s.auto_migrate ? migrate::Mode::apply : migrate::Mode::check_only;
  o.to = ctx.invocation.to;
  o.timeout = s.migration_timeout;
  o.lock_timeout = s.lock_timeout;
  o.retry_attempts = s.retry_attempts;
  o.retry_delay = s.retry_delay;
  if (s.preflight != config::Preflight::off) {
    o.preflight = [policy = preflight_policy(s), findings](db::Connection& conn,
                                                           std::span<const migrate::Migration* const> pending,
                                                           const Interrupt& stop) -> Status {
      auto report = preflight::check(conn, pending, policy, stop);
      if (!report) return report.error();
      if (findings) *findings = report->findings;
      return preflight::judge(*report, policy);
    };
  }
  o.single_transaction = s.single_transaction;
  o.lock = s.migration_lock == config::MigrationLock::advisory ? migrate::LockKind::advisory
           : s.migration_lock == config::MigrationLock::table  ? migrate::LockKind::table
                                                               : migrate::LockKind::automatic;
  o.check_only_because = "migrations.auto is off (" + s.source_of("migrations.auto").describe() + ")";
  // The command connects where schemagate migrates; PG* variables pass through unchanged.
  const std::string& url = s.migrations_database_url.empty() ? s.database_url : s.migrations_database_url;
  if (!url.empty()) o.command_env.emplace_back("DATABASE_URL", url);
  const Interrupt& stop = ctx.gate.interrupt();
  // Checked when the run starts (main's settings), so this parse cannot fail here.
  auto migrations = migrations_target_of(s);
  const db::Target where = migrations && *migrations ? **migrations : target;
  o.reconnect = [where, &stop](std::chrono::milliseconds attempt_timeout) {
    return wait::until_ready(where, wait::Policy{.attempts = 1, .interval = {}, .attempt_timeout = attempt_timeout},
                             stop);
  };
  if (migrations && *migrations)
    o.open_for_migrations = [where, &ctx]() -> Result<db::Connection> {
      log::info("connecting for migrations (MIGRATIONS_DATABASE_URL)");
      return wait_until_ready(ctx, where);
    };
  return o;
}

}  // namespace schemagate::commands
