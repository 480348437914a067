#include "migrate/history.h"

#include <algorithm>
#include <cctype>

#include "db/sqlstate.h"

namespace schemagate::migrate {
std::string literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

namespace {

std::string version_is(std::string_view version_text) { return " where version = " + literal(version_text); }

// Milliseconds since this migration started: since the mark (start_clock_sql, or SET LOCAL after
// schemagate's BEGIN), else since its transaction began (a file's own BEGIN; now() is the
// statement's start outside a transaction).
constexpr const char* kElapsedMs =
    "(extract(epoch from clock_timestamp() - coalesce(nullif(current_setting('schemagate.mark', true), '')"
    "::timestamptz, now())) * 1000)::bigint";

std::string without_leading_zeros(std::string_view v) {
  while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
  return std::string(v);
}

}  // namespace

std::string qualified(const TableName& table) {
  std::string out;
  if (!table.schema.empty()) out = quote_ident(table.schema_as_stored()) + ".";
  return out + quote_ident(table.name_as_stored());
}

Result<std::vector<AppliedRow>> read_history(db::Connection& conn, const TableName& table,
                                             const Interrupt& stop) {
  // SELECT * so that the same query reads our table and one adopted from another tool.
  auto rows = conn.exec("select * from " + qualified(table), stop);
  if (!rows) {
    if (rows.error().sqlstate == db::sqlstate::kUndefinedTable) return std::vector<AppliedRow>{};
    return reading_failed(qualified(table), rows.error());
  }
  int version = rows->column("version");
  if (version < 0)
    return bad_migrations(qualified(table) + " has no version column: it is not a migrations table");
  int name = rows->column("name"), checksum = rows->column("checksum"), dirty = rows->column("dirty"),
      applied_at = rows->column("applied_at"), duration = rows->column("duration_ms"),
      resume_at = rows->column("resume_at");
  auto text = [&](int r, int c) { return c < 0 || rows->is_null(r, c) ? std::string() : std::string(rows->at(r, c)); };
  const bool golang_migrate = dirty >= 0 && name < 0;
  std::vector<AppliedRow> out;
  for (int r = 0; r < rows->size(); ++r) {
    AppliedRow row;
    row.version_text = text(r, version);
    row.version = without_leading_zeros(row.version_text);
    row.name = text(r, name);
    row.checksum = text(r, checksum);
    row.is_dirty = text(r, dirty) == "t";
    row.applied_at = text(r, applied_at);
    row.duration_ms = text(r, duration);
    if (std::string at = text(r, resume_at); !at.empty()) row.resume_at = std::stoll(at);
    row.covers_older = golang_migrate;
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const AppliedRow& a, const AppliedRow& b) { return version_less(a.version, b.version); });
  return out;
}

Error reading_failed(const std::string& table, Error failed) {
  failed.message = "reading " + table + ": " + failed.message;
  if (failed.sqlstate != db::sqlstate::kInsufficientPrivilege) return failed;
  // Not a bad history (65) nor a failed migration (1): this role may not look. Retrying cannot
  // help, and permissive mode may still start the app, as when the database is out of reach.
  return unreachable(failed.message + "; the role schemagate connects as needs the SELECT privilege on " +
                         table + ": GRANT SELECT ON " + table + " TO <role>",
                     failed.sqlstate);
}

Result<TableName> resolve_schema(db::Connection& conn, const TableName& table, const Interrupt& stop) {
  if (!table.schema.empty()) return table;
  auto rows = conn.exec("select current_schema()", stop);
  if (!rows) return rows.error();
  if (rows->size() != 1 || rows->is_null(0, 0))
    return config_error("no schema for the tracking table " + qualified(table) +
                                        ": the search_path names no existing schema; set MIGRATIONS_TABLE=schema.table");
  TableName resolved = table;
  resolved.schema = std::string(rows->at(0, 0));
  resolved.schema_quoted = true;
  return resolved;
}

Status ensure_table(db::Connection& conn, const TableName& table, const Interrupt& stop) {
  const std::string t = qualified(table);
  if (!table.schema.empty()) {
    // Only when missing: CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege even when the
    // schema exists.
    const std::string schema[] = {table.schema_as_stored()};
    auto found = conn.query("select 1 from pg_catalog.pg_namespace where nspname = $1", schema, stop);
    if (!found) return found.error();
    if (found->size() == 0) {
      if (auto made = conn.exec("create schema " + quote_ident(schema[0]), stop); !made) {
        Error e = made.error();
        e.message = "creating schema " + quote_ident(schema[0]) + ": " + e.message;
        return e;
      }
    }
  }
  // Only when something is missing: even a no-op ALTER TABLE takes an ACCESS EXCLUSIVE lock,
  // and every replica's lock-free read of the table would queue behind it.
  const std::string name[] = {t};
  auto columns = conn.query(
      "select count(*) from pg_catalog.pg_attribute where attrelid = to_regclass($1) and not attisdropped and "
      "attname in ('version', 'name', 'checksum', 'applied_at', 'duration_ms', 'dirty', 'resume_at')",
      name, stop);
  if (!columns) return columns.error();
  if (columns->at(0, 0) == "7") return {};
  // ADD COLUMN IF NOT EXISTS adopts a dbmate or golang-migrate table in place.
  auto done = conn.exec(
      "create table if not exists " + t +
          " (version text primary key);\n"
          "alter table " + t +
          " add column if not exists name text not null default '',"
          " add column if not exists checksum text,"
          " add column if not exists applied_at timestamptz not null default now(),"
          " add column if not exists duration_ms bigint,"
          " add column if not exists dirty boolean not null default false,"
          " add column if not exists resume_at bigint",
      stop);
  if (!done) {
    Error e = done.error();
    e.message = "creating " + t + ": " + e.message;
    return e;
  }
  return {};
}

Status record_checksums(db::Connection& conn, const TableName& table, std::span<const Migration* const> list,
                        const std::string& fence, const Interrupt& stop) {
  // One string: one implicit transaction, the fence's included.
  std::string sql = fence.empty() ? "" : fence + ";\n";
  for (const Migration* m : list)
    sql += "insert into " + qualified(table) + " (version, name, checksum, dirty) values (" + literal(m->version_text) +
           ", " + literal(m->name) + ", " + literal(m->checksum) +
           ", false) on conflict (version) do update set checksum = excluded.checksum, name = excluded.name;\n";
  auto done = conn.exec(sql, stop);
  if (!done) return done.error();
  return {};
}

std::string start_clock_sql() {
  return "select pg_catalog.set_config('schemagate.mark', clock_timestamp()::text, false);\n";
}

std::string record_sql(const TableName& table, const Migration& m, bool dirty) {
  return "insert into " + qualified(table) +
         " (version, name, checksum, applied_at, duration_ms, dirty, resume_at) values (" + literal(m.version_text) +
         ", " + literal(m.name) + ", " + literal(m.checksum) + ", clock_timestamp(), " + kElapsedMs + ", " +
         (dirty ? "true" : "false") +
         ", null) on conflict (version) do update set name = excluded.name, checksum = excluded.checksum,"
         " applied_at = excluded.applied_at, duration_ms = excluded.duration_ms, dirty = excluded.dirty,"
         " resume_at = null"
         " returning version as schemagate_version, duration_ms";
}

std::string forget_sql(const TableName& table, const Migration& m) {
  return delete_sql(table, m.version_text) + " returning version as schemagate_version, " + kElapsedMs +
         " as duration_ms";
}

std::string mark_dirty_sql(const TableName& table, std::string_view version_text) {
  return "update " + qualified(table) + " set dirty = true" + version_is(version_text);
}

std::string mark_done_sql(const TableName& table, std::string_view version_text, std::chrono::milliseconds took) {
  return "update " + qualified(table) + " set dirty = false, resume_at = null, duration_ms = " +
         std::to_string(took.count()) + version_is(version_text);
}

std::string resume_at_sql(const TableName& table, std::string_view version_text, long long offset) {
  return "update " + qualified(table) + " set resume_at = " + (offset < 0 ? "null" : std::to_string(offset)) +
         version_is(version_text);
}

std::string delete_sql(const TableName& table, std::string_view version_text) {
  return "delete from " + qualified(table) + version_is(version_text);
}

std::string clear_dirty_sql(const TableName& table, std::string_view version_text) {
  return "update " + qualified(table) + " set dirty = false, resume_at = null" + version_is(version_text);
}

std::string store_checksum_sql(const TableName& table, const Migration& m) {
  return "update " + qualified(table) + " set checksum = " + literal(m.checksum) + ", name = " + literal(m.name) +
         version_is(m.version_text);
}

}  // namespace schemagate::migrate
