// `schemagate run`, the default command: SPEC §1 read top to bottom.
#include <chrono>
#include <ctime>

#include "commands/commands.h"
#include "commands/migrations.h"
#include "exec/handover.h"
#include "log/log.h"
#include "util/file.h"
#include "util/json.h"
#include "verify/verify.h"

namespace schemagate::commands {
namespace {

using Clock = std::chrono::steady_clock;

// What the status file (SCHEMAGATE_STATUS_FILE) tells an app's /health endpoint.
struct Report {
  std::string status = "failed";
  std::string error;
  std::optional<Progress> progress;
  std::vector<std::pair<std::string, long long>> timings_ms;
  Clock::time_point started = Clock::now();

  void time(std::string step, Clock::time_point since) {
    timings_ms.emplace_back(std::move(step),
                            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
  }
};

// Written whole or not at all (rename), and never the reason a start fails.
void write_status_file(const config::Settings& s, Report& report) {
  if (s.status_file.empty()) return;
  report.time("total", report.started);
  char when[32];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string json = "{\"status\":" + json_string(report.status) + ",\"time\":" + json_string(when);
  if (report.progress) {
    json += ",\"current_version\":" + (report.progress->current.empty() ? std::string("null")
                                                                       : json_string(report.progress->current));
    json += ",\"pending\":[";
    for (size_t i = 0; i < report.progress->pending.size(); ++i)
      json += (i ? "," : "") + json_string(report.progress->pending[i]);
    json += "]";
  } else {
    json += ",\"current_version\":null,\"pending\":null";
  }
  json += ",\"error\":" + (report.error.empty() ? std::string("null") : json_string(log::scrub(report.error)));
  json += ",\"timings_ms\":{";
  for (size_t i = 0; i < report.timings_ms.size(); ++i)
    json += (i ? "," : "") + json_string(report.timings_ms[i].first) + ":" + std::to_string(report.timings_ms[i].second);
  json += "}}\n";
  if (Status written = replace_file(s.status_file, json); !written)
    log::warn("cannot write the status file " + s.status_file + ": " + written.error().message);
}

// Steps 3-7. The connection lives only inside this function, so it is closed before the exec.
Status gate(Context& ctx, const db::Target& target, Report& report) {
  const Interrupt& stop = ctx.gate.interrupt();
  auto step = Clock::now();
  auto conn = wait_until_ready(ctx, target);  // 3. wait
  report.time("wait", step);
  if (!conn) return conn.error();
  step = Clock::now();
  Status migrated = migrate_up(ctx, *conn);  // 4-6. lock, plan, apply
  report.time("migrate", step);
  if (!ctx.settings.status_file.empty())
    if (auto progress = read_progress(ctx.settings, *conn, stop); progress) report.progress = *progress;
  if (!migrated) return migrated.error();
  step = Clock::now();
  Status verified = verify::critical_tables(*conn, ctx.settings.critical_tables, stop);  // 7. verify
  report.time("verify", step);
  return verified;
}

// 8. hand over, or report readiness when there is no app.
Status start_app(Context& ctx, Report& report) {
  if (int sig = ctx.gate.interrupt().signal()) return interrupted(sig);
  write_status_file(ctx.settings, report);
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
  const config::Settings& s = ctx.settings;
  Report report;
  if (s.skip) {
    log::warn("skip requested (" + s.source_of("skip").describe() +
              "): waiting, migrations and checks are bypassed; no database contact");
    report.status = "skipped";
    return start_app(ctx, report);
  }
  auto target = target_of(s);
  if (!target) return target.error();

  if (Status gated = gate(ctx, *target, report); !gated) {
    report.error = gated.error().message;
    // Permissive mode serves degraded rather than not at all; a stop request is never "degraded".
    if (s.fail_on_error || gated.error().kind == ErrorKind::Interrupted) {
      write_status_file(s, report);
      return gated.error();
    }
    log::error(gated.error().message);
    log::warn("starting degraded: FAIL_ON_MIGRATION_ERROR=false (" +
              s.source_of("migrations.fail_on_error").describe() + ")");
    report.status = "degraded";
  } else {
    report.status = "ok";
  }
  return start_app(ctx, report);
}

}  // namespace schemagate::commands
