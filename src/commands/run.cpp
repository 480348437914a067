// `schemagate run`, the default command: SPEC §1 read top to bottom.
#include "commands/commands.h"
#include "commands/inputs.h"
#include "commands/report.h"
#include "exec/handover.h"
#include "log/log.h"
#include "verify/verify.h"

namespace schemagate::commands {
namespace {

using Clock = Report::Clock;

// 4-6. lock, plan, apply (or check-only, --await, the migrate command), as the settings say.
Status migrate_step(Context& ctx, db::Connection& conn, const db::Target& target, Report& report) {
  const Interrupt& stop = ctx.gate.interrupt();
  auto inputs = load_inputs(ctx.settings);
  if (!inputs) return inputs.error();
  migrate::UpOptions options = up_options(ctx, target, false, &report.preflight);
  if (!ctx.settings.status_file.empty())
    options.on_start = [&](const migrate::Migration& m) {
      report.phase(ctx.settings.status_file, "migrating",
                   m.version_text + (m.name.empty() ? "" : "_" + m.name));
    };
  Status migrated = migrate::up(conn, *inputs, options, stop);
  if (!ctx.settings.status_file.empty())
    if (auto progress = migrate::progress(conn, *inputs, stop)) report.progress = *progress;
  return migrated;
}

// Steps 3-7. The connection lives only inside this function, so it is closed before the exec.
Status gate(Context& ctx, const db::Target& target, Report& report) {
  auto step = Clock::now();
  report.phase(ctx.settings.status_file, "waiting");
  auto conn = wait_until_ready(ctx, target);  // 3. wait
  report.time("wait", step);
  if (!conn) return conn.error();
  step = Clock::now();
  Status migrated = migrate_step(ctx, *conn, target, report);  // 4-6. migrate
  report.time("migrate", step);
  if (!migrated) return migrated.error();
  step = Clock::now();
  report.phase(ctx.settings.status_file, "verifying");
  Status verified = verify::critical_tables(*conn, ctx.settings.critical_tables, ctx.gate.interrupt());  // 7. verify
  report.time("verify", step);
  return verified;
}

// 8. hand over, or report readiness when there is no app.
Status start_app(Context& ctx, Report& report) {
  if (int sig = ctx.gate.interrupt().signal()) return interrupted(sig);
  report.write(ctx.settings.status_file);
  const auto& app = ctx.invocation.app;
  if (app.empty()) {
    log::info("done; no app to start", {{"status", report.status}});
    return {};
  }
  log::info("starting app", {{"app", app.front()}, {"status", report.status}});
  return exec::hand_over(app, report.status, ctx.gate);
}

}  // namespace

Status run(Context& ctx) {
  const config::Settings& s = ctx.settings;  // 1. configured by main
  Report report;
  if (s.skip) {  // 2. skip?
    log::warn("skip requested (" + s.source_of("skip").describe() +
              "): waiting, migrations and checks are bypassed; no database contact");
    report.status = "skipped";
    return start_app(ctx, report);
  }
  auto target = target_of(s);
  if (!target) return target.error();
  if (auto migrations = migrations_target_of(s); !migrations) return migrations.error();

  if (Status gated = gate(ctx, *target, report); !gated) {
    report.error = gated.error().message;
    // Permissive mode serves degraded rather than not at all; a stop request is never "degraded".
    if (s.fail_on_error || gated.error().kind == ErrorKind::Interrupted) {
      report.write(s.status_file);
      return gated.error();
    }
    log::error(gated.error().message);
    log::warn("starting degraded: FAIL_ON_MIGRATION_ERROR=false (" +
              s.source_of("migrations.fail_on_error").describe() + ")");
    report.status = "degraded";
  } else {
    report.status = "ok";
  }
  return start_app(ctx, report);  // 8. hand over
}

}  // namespace schemagate::commands
