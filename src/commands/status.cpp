#include <algorithm>

#include "commands/commands.h"
#include "commands/inputs.h"
#include "migrate/alembic/command_line.h"
#include "migrate/alembic/current.h"
#include "migrate/alembic/upgrade.h"
#include "migrate/plan.h"
#include "util/file.h"
#include "util/json.h"

namespace schemagate::commands {
namespace {

// An Alembic project's status, as `alembic current` and `alembic heads` would give it, and what
// MIGRATE_COMMAND's upgrade would run.
Status alembic_status(const Context& ctx, db::Connection& conn, const migrate::alembic::Project& project) {
  auto read = migrate::alembic::read_current(conn, ctx.gate.interrupt());
  if (!read) return read.error();
  const std::vector<std::string>& rows = *read;
  auto current = migrate::alembic::current(project, rows);
  auto heads = migrate::alembic::heads(project);
  auto target = migrate::alembic::upgrade_target(ctx.settings.migrate_command);
  auto pending = current ? migrate::alembic::pending(project, rows, target)
                         : Result<std::vector<std::string>>(current.error());
  // A row naming no revision has no place in the graph: shown as it is, with the problem.
  const std::vector<std::string>& shown = current ? *current : rows;
  auto list = [](const std::vector<std::string>& ids, bool json) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : json ? "," : " ") + (json ? json_string(id) : id);
    return out;
  };
  std::string out;
  if (ctx.invocation.json) {
    out = "{\"alembic\":{\"current\":[" + list(shown, true) + "],\"heads\":[" + list(heads, true) +
          "],\"pending\":[" + (pending ? list(*pending, true) : "") +
          "]},\"problem\":" + (pending ? std::string("null") : json_string(pending.error().message)) + "}\n";
  } else {
    out = "alembic current: " + (shown.empty() ? std::string("(none)") : list(shown, false)) + "\n" +
          "alembic head:    " + (heads.empty() ? std::string("(none)") : list(heads, false)) + "\n";
    if (pending) out += "pending: " + (pending->empty() ? std::string("none") : list(*pending, false)) + "\n";
  }
  print(out);
  if (!pending) return pending.error();
  if (!pending->empty())
    return still_pending(std::to_string(pending->size()) + " pending Alembic revision(s)");
  return {};
}

}  // namespace

// `schemagate status [--json]`: applied (when, how long) and pending. Exit 3 when anything is
// pending, 65 when the history does not match the files.
Status status(Context& ctx) {
  const Interrupt& stop = ctx.gate.interrupt();
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  if (!ctx.settings.migrate_command.empty()) {
    auto project = find_alembic_project(ctx.settings);
    if (!project) return project.error();
    if (*project) return alembic_status(ctx, *conn, **project);
  }
  auto table = parse_table_name(ctx.settings.migrations_table);
  if (!table) return table.error();
  auto m = load_files(ctx.settings);
  // Files that cannot be read or parsed are the JSON document's `problem`, as drift and a dirty
  // row are: whoever reads it still learns what is applied. (Text says it in the error line.)
  if (!m && !(ctx.invocation.json && m.error().kind == ErrorKind::BadMigrations)) return m.error();
  auto history = migrate::read_history(*conn, *table, stop);
  if (!history) return history.error();
  auto plan = m ? migrate::plan_up(m->files, *history) : Result<migrate::Plan>(m.error());

  const std::vector<const migrate::Migration*> none;
  const auto& pending = plan ? plan->pending : none;
  // Shown even when the plan fails, as `dirty` is; unknown (false) when the files cannot be read.
  auto is_future = [&](const migrate::AppliedRow& r) { return m && migrate::is_future(m->files, r); };
  size_t future = std::count_if(history->begin(), history->end(), is_future);
  // What the pre-flight would say of the pending migrations now (read-only, as at start-up).
  preflight::Report findings;
  if (!pending.empty() && ctx.settings.preflight != config::Preflight::off) {
    auto checked = preflight::check(*conn, pending, preflight_policy(ctx.settings), stop);
    if (!checked) return checked.error();
    findings = std::move(*checked);
  }
  std::string out;
  if (ctx.invocation.json) {
    out = "{\"applied\":[";
    for (size_t i = 0; i < history->size(); ++i) {
      const auto& r = (*history)[i];
      out += std::string(i ? "," : "") + "{\"version\":" + json_string(r.version_text) +
             ",\"name\":" + json_string(r.name) + ",\"applied_at\":" + json_string(r.applied_at) +
             ",\"duration_ms\":" + (r.duration_ms.empty() ? "null" : r.duration_ms) +
             ",\"dirty\":" + (r.is_dirty ? "true" : "false") +
             ",\"future\":" + (is_future(r) ? "true" : "false") + "}";
    }
    out += "],\"pending\":[";
    for (size_t i = 0; i < pending.size(); ++i)
      out += std::string(i ? "," : "") + "{\"version\":" + json_string(pending[i]->version_text) +
             ",\"name\":" + json_string(pending[i]->name) + ",\"path\":" + json_string(pending[i]->up.path) + "}";
    out += "],\"preflight\":[";
    for (size_t i = 0; i < findings.findings.size(); ++i)
      out += std::string(i ? "," : "") + preflight::to_json(findings.findings[i]);
    out += "],\"problem\":" + (plan ? std::string("null") : json_string(plan.error().message)) + "}\n";
  } else {
    for (const auto& r : *history)
      out += "applied  " + r.version_text + "  " + r.name + "  " + r.applied_at +
             (r.duration_ms.empty() ? "" : "  " + r.duration_ms + " ms") + (r.is_dirty ? "  DIRTY" : "") +
             (is_future(r) ? "  FUTURE" : "") + "\n";
    for (const auto* p : pending) out += "pending  " + p->version_text + "  " + p->name + "  " + p->up.path + "\n";
    for (const auto& f : findings.findings) out += "pre-flight  " + preflight::to_text(f) + "\n";
    out +=
        std::to_string(history->size()) + " applied, " + std::to_string(pending.size()) + " pending" +
        (future ? ", " + std::to_string(future) + " future (applied, newer than every migration file)" : "") +
        "\n";
  }
  print(out);
  if (!plan) return plan.error();
  // Pending is what status reports, not a failure of it: said at info level, exit 3 (SPEC §2).
  if (!pending.empty()) {
    log::info(std::to_string(pending.size()) + " pending migration(s)");
    return still_pending("");
  }
  return {};
}

}  // namespace schemagate::commands
