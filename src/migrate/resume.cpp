#include "migrate/resume.h"

#include <array>
#include <optional>

#include "db/session.h"
#include "log/log.h"
#include "migrate/locate.h"
#include "migrate/script.h"
#include "sql/lexer.h"

namespace schemagate::migrate {
namespace {

struct Plan {
  const Migration* migration;
  const sql::Statement* statement;  // the CREATE INDEX CONCURRENTLY that was running
  sql::IndexBuild build;
  size_t next;  // offset of the statement after it, or the end of the SQL
};

// Whether row's migration can be taken up again, and where.
std::optional<Plan> plan_for(const AppliedRow& row, const Script& script, const Migration& m) {
  if (row.checksum.empty() || row.checksum != m.checksum || script.transactional) return std::nullopt;
  for (size_t i = 0; i < script.statements.size(); ++i) {
    const sql::Statement& s = script.statements[i];
    if (s.offset != static_cast<size_t>(row.resume_at)) {
      if (s.kind == sql::Kind::setting) return std::nullopt;  // the new session would lack it
      continue;
    }
    auto build = sql::index_build(s.text);
    if (!build) return std::nullopt;
    size_t next = i + 1 < script.statements.size() ? script.statements[i + 1].offset : m.up.sql.size();
    return Plan{&m, &s, *build, next};
  }
  return std::nullopt;
}

// "valid", "invalid" or "absent", and the index's schema: where CREATE INDEX put it, beside its table.
Result<std::array<std::string, 2>> index_state(db::Connection& conn, const sql::IndexBuild& b, const Interrupt& stop) {
  const std::string params[] = {b.table_schema, b.table, b.index};
  auto rows = conn.query(
      "with t as (select relnamespace from pg_catalog.pg_class where oid = pg_catalog.to_regclass("
      "case when $1 = '' then pg_catalog.quote_ident($2) else pg_catalog.quote_ident($1) || '.' || "
      "pg_catalog.quote_ident($2) end)) "
      "select coalesce((select case when x.indisvalid then 'valid' else 'invalid' end from pg_catalog.pg_index x "
      "join pg_catalog.pg_class i on i.oid = x.indexrelid where i.relname = $3 and i.relnamespace = "
      "(select relnamespace from t)), 'absent'), coalesce((select relnamespace::regnamespace::text from t), '')",
      params, stop);
  if (!rows) return rows.error();
  return std::array<std::string, 2>{std::string(rows->at(0, 0)), std::string(rows->at(0, 1))};
}

}  // namespace

Result<int> resume_interrupted(db::Connection& conn, const TableName& table, const std::vector<Migration>& files,
                               const std::vector<AppliedRow>& applied, const ApplyOptions& options,
                               const Interrupt& stop) {
  int finished = 0;
  for (const AppliedRow& row : applied) {
    if (!row.is_dirty || row.resume_at < 0) continue;
    const Migration* m = nullptr;
    for (const Migration& f : files)
      if (f.version == row.version) m = &f;
    if (!m) continue;
    Script script = analyse(m->up);
    auto plan = plan_for(row, script, *m);
    if (!plan) continue;
    auto state = index_state(conn, plan->build, stop);
    if (!state) return state.error();
    const auto& [validity, schema] = *state;
    size_t from = plan->statement->offset;
    const std::string where = locate(m->up, from + plan->statement->text.size() -
                                                sql::without_leading_comments(plan->statement->text).size());
    if (validity == "valid") {
      log::info("resuming " + m->up.path + " after its CREATE INDEX CONCURRENTLY (" + where +
                "), which had finished: index " + plan->build.index + " is valid");
      from = plan->next;
    } else {
      if (validity == "invalid") {
        log::info("dropping the invalid index " + schema + "." + plan->build.index +
                  " that the interrupted CREATE INDEX CONCURRENTLY at " + where + " left behind");
        const std::string params[] = {schema, plan->build.index};
        auto quoted = conn.query("select pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2)", params, stop);
        if (!quoted) return quoted.error();
        // Like the build it undoes, the drop waits for older transactions: not under lock_timeout
        // (resume() sets the session's own settings again before the migration goes on).
        const std::string drop = "drop index concurrently if exists " + std::string(quoted->at(0, 0));
        if (options.pooled) {
          Status dropped = db::SessionSettings::without_lock_timeout_pooled(conn, drop, stop, options.deadline);
          if (!dropped) return dropped.error();
        } else {
          if (auto zero = conn.exec(db::SessionSettings::lock_timeout_sql(std::chrono::milliseconds(0)), stop); !zero)
            return zero.error();
          auto dropped = conn.exec(drop, stop, options.deadline);
          if (!dropped) return dropped.error();
        }
      }
      log::info("resuming " + m->up.path + " from its interrupted CREATE INDEX CONCURRENTLY at " + where);
    }
    if (Status done = resume(conn, table, *m, from, options, stop); !done) return done.error();
    ++finished;
  }
  return finished;
}

}  // namespace schemagate::migrate
