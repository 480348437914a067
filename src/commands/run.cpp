// `schemagate run`, the default command: SPEC §1 read top to bottom.
#include "commands/commands.h"
#include "exec/handover.h"
#include "log/log.h"
#include "verify/verify.h"

namespace schemagate::commands {
namespace {

// Steps 3-7. The connection lives only inside this function, so it is closed before the exec.
Status gate(Context& ctx, const db::Target& target) {
  const Interrupt& stop = ctx.gate.interrupt();
  auto conn = wait_until_ready(ctx, target);  // 3. wait
  if (!conn) return conn.error();
  if (Status migrated = migrate_up(ctx, *conn); !migrated) return migrated.error();  // 4-6. lock, plan, apply
  return verify::critical_tables(*conn, ctx.settings.critical_tables, stop);         // 7. verify
}

// 8. hand over, or report readiness when there is no app.
Status start_app(Context& ctx, std::string_view status) {
  if (int sig = ctx.gate.interrupt().signal()) return interrupted(sig);
  const auto& app = ctx.invocation.app;
  if (app.empty()) {
    log::info("done; no app to start", {{"status", status}});
    return {};
  }
  log::info("starting app", {{"app", app.front()}, {"status", status}});
  return exec::hand_over(app, status, ctx.gate);
}

}  // namespace

Status run(Context& ctx) {
  const config::Settings& s = ctx.settings;
  if (s.skip) {
    log::warn("skip requested (" + s.source_of("skip").describe() +
              "): waiting, migrations and checks are bypassed; no database contact");
    return start_app(ctx, "skipped");
  }
  auto target = target_of(s);
  if (!target) return target.error();

  std::string_view status = "ok";
  if (Status gated = gate(ctx, *target); !gated) {
    // Permissive mode serves degraded rather than not at all; a stop request is never "degraded".
    if (s.fail_on_error || gated.error().kind == ErrorKind::Interrupted) return gated.error();
    log::error(gated.error().message);
    log::warn("starting degraded: FAIL_ON_MIGRATION_ERROR=false (" +
              s.source_of("migrations.fail_on_error").describe() + ")");
    status = "degraded";
  }
  return start_app(ctx, status);
}

}  // namespace schemagate::commands
