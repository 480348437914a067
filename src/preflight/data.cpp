#include "preflight/data.h"

#include <span>

#include "log/log.h"
#include "util/table_name.h"

namespace schemagate::preflight::data {
namespace {

using std::chrono::milliseconds;

// How long one check may take before it is skipped, and said so.
constexpr milliseconds kCheckTime{2000};

bool interrupted(const Error& e) { return e.kind == ErrorKind::Interrupted; }

void skipped(const At& at, const std::string& what, const Error& e) {
  log::info("pre-flight: " + at.place.where() + ": " + what + " not checked: " +
            (e.kind == ErrorKind::Timeout ? "it would take over " + format_seconds(kCheckTime)
             : e.sqlstate == "42703" ? "it names a column that is not there yet (added earlier in the run?)"
                                     : e.message));
}

// The query's rows, or none when it was skipped (logged): every question a check asks the
// database, under the same bound.
Result<std::optional<db::Rows>> counts(db::Connection& conn, const std::string& sql, const At& at,
                                       const std::string& what, const Interrupt& stop,
                                       std::span<const std::string> params = {}) {
  auto rows = conn.query(sql, params, stop, Deadline::after(kCheckTime));
  if (!rows) {
    if (interrupted(rows.error())) return rows.error();
    skipped(at, what, rows.error());
    return std::optional<db::Rows>{};
  }
  return std::optional<db::Rows>{std::move(*rows)};
}

Finding failure(const At& at, std::string_view rule, const sql::Relation& table, std::string message) {
  Finding f = at.place;
  f.rule = std::string(rule);
  f.severity = Severity::blocking;
  f.table = table.display();
  f.message = std::move(message);
  return f;
}

std::string listed(const std::vector<std::string>& names, const std::string& prefix, const char* separator,
                   const std::string& suffix = "") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : separator) + prefix + quote_ident(n) + suffix;
  return out;
}

// Rows of `table` (aliased c) whose key references nothing in `references` (aliased p): MATCH
// SIMPLE, so a row with a NULL in its key passes.
// `references` is its SQL name, `shown` the name messages give it.
Answer count_orphans(db::Connection& conn, const At& at, const sql::Relation& table,
                     const std::string& references, const std::string& shown, const std::string& present,
                     const std::string& join, const std::string& columns, const Interrupt& stop) {
  auto read = counts(conn,
                     "select count(*) from " + qualified(table) + " c where " + present +
                         " and not exists (select from " + references + " p where " + join + ")",
                     at, "orphans in " + table.display(), stop);
  if (!read) return read.error();
  if (!*read || (*read)->at(0, 0) == "0") return std::optional<Finding>{};
  const std::string n((*read)->at(0, 0));
  return std::optional<Finding>{failure(
      at, "foreign-key-fails", table,
      at.statement + " will fail: " + n + " row(s) of " + table.display() + " reference no row of " + shown +
          " (" + columns + "); add the rows they reference, or fix them, in an earlier statement")};
}

}  // namespace

std::string qualified(const sql::Relation& r) {
  return r.schema.empty() ? quote_ident(r.name) : quote_ident(r.schema) + "." + quote_ident(r.name);
}

Answer nulls(db::Connection& conn, const At& at, const sql::Relation& table, const std::string& column,
             const Interrupt& stop) {
  auto read =
      counts(conn, "select count(*) from " + qualified(table) + " where " + quote_ident(column) + " is null",
             at, "the NULLs of " + table.display() + "." + column, stop);
  if (!read) return read.error();
  if (!*read || (*read)->at(0, 0) == "0") return std::optional<Finding>{};
  const std::string n((*read)->at(0, 0));
  return std::optional<Finding>{failure(at, "set-not-null-fails", table,
                                        "SET NOT NULL on " + table.display() + "." + column +
                                            " will fail: the column holds " + n + " NULL" +
                                            (n == "1" ? "" : "s") + "; fill them first (UPDATE ... WHERE " +
                                            column + " IS NULL) in an earlier statement")};
}

Answer rows_without_value(db::Connection& conn, const At& at, const sql::Column& column,
                          const Interrupt& stop) {
  auto read = counts(conn, "select exists (select from " + qualified(column.table) + ")", at,
                     "the rows of " + column.table.display(), stop);
  if (!read) return read.error();
  if (!*read || (*read)->at(0, 0) != "t") return std::optional<Finding>{};
  return std::optional<Finding>{
      failure(at, "add-column-not-null-fails", column.table,
              at.statement + " will fail: " + column.table.display() + " has rows, and the new column " +
                  column.name +
                  " would be NULL in each; give it a default, or add it nullable, fill "
                  "it, then SET NOT NULL")};
}

Answer duplicates(db::Connection& conn, const At& at, const sql::UniqueKey& key, const Interrupt& stop) {
  const std::string table = qualified(key.table);
  const std::string columns = listed(key.columns, "", ", ");
  std::string sql = "select (select count(*) from (select 1 from " + table + " where " +
                    listed(key.columns, "", " and ", " is not null") + " group by " + columns +
                    " having count(*) > 1) d), " +
                    (key.primary ? "(select count(*) from " + table + " where " +
                                       listed(key.columns, "", " or ", " is null") + ")"
                                 : std::string("0"));
  auto read = counts(conn, sql, at, "duplicates in " + key.table.display(), stop);
  if (!read) return read.error();
  if (!*read) return std::optional<Finding>{};
  const std::string dups((*read)->at(0, 0)), nulls((*read)->at(0, 1));
  if (dups == "0" && nulls == "0") return std::optional<Finding>{};
  std::string keys;
  for (const auto& c : key.columns) keys += (keys.empty() ? "" : ", ") + c;
  std::string message = at.statement + " will fail: ";
  if (dups != "0")
    message += dups + " value(s) of (" + keys + ") in " + key.table.display() + " appear more than once";
  if (nulls != "0") message += std::string(dups != "0" ? " and " : "") + nulls + " row(s) hold a NULL key";
  return std::optional<Finding>{
      failure(at, "unique-fails", key.table, message + "; clean the data first, in an earlier statement")};
}

Answer orphans(db::Connection& conn, const At& at, const sql::ForeignKey& key, const Interrupt& stop) {
  if (!key.match_simple || key.columns.empty()) return std::optional<Finding>{};
  std::vector<std::string> referenced = key.referenced;
  if (referenced.empty()) {  // REFERENCES t alone: its primary key
    const std::string params[] = {qualified(key.references)};
    auto pk =
        counts(conn,
               "select a.attname from pg_constraint c cross join unnest(c.conkey) with ordinality k(n, i) "
               "join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n "
               "where c.conrelid = to_regclass($1) and c.contype = 'p' order by k.i",
               at, "orphans in " + key.table.display(), stop, params);
    if (!pk) return pk.error();
    if (!*pk) return std::optional<Finding>{};
    for (int r = 0; r < (*pk)->size(); ++r) referenced.emplace_back((*pk)->at(r, 0));
  }
  // PostgreSQL itself refuses a key whose columns do not pair up; nothing to predict here.
  if (referenced.size() != key.columns.size()) return std::optional<Finding>{};
  std::string join, names;
  for (size_t i = 0; i < referenced.size(); ++i) {
    join += (i ? " and p." : "p.") + quote_ident(referenced[i]) + " = c." + quote_ident(key.columns[i]);
    names += (i ? ", " : "") + key.columns[i];
  }
  return count_orphans(conn, at, key.table, qualified(key.references), key.references.display(),
                       listed(key.columns, "c.", " and ", " is not null"), join, names, stop);
}

Answer violations(db::Connection& conn, const At& at, const sql::Validation& v, const Interrupt& stop) {
  // The constraint as the catalog holds it, its SQL built there: format('%I') quotes each name.
  const std::string params[] = {qualified(v.table), v.constraint};
  auto read =
      counts(conn,
             "select c.contype::text, pg_get_expr(c.conbin, c.conrelid), c.confrelid::regclass::text, "
             "c.confmatchtype::text, "
             "(select string_agg(format('p.%I = c.%I', fa.attname, a.attname), ' and ' order by k.i) "
             "   from unnest(c.conkey, c.confkey) with ordinality k(n, fn, i) "
             "   join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n "
             "   join pg_attribute fa on fa.attrelid = c.confrelid and fa.attnum = k.fn), "
             "(select string_agg(format('c.%I is not null', a.attname), ' and ' order by k.i) "
             "   from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = "
             "c.conrelid and a.attnum = k.n), "
             "(select string_agg(a.attname, ', ' order by k.i) "
             "   from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = "
             "c.conrelid and a.attnum = k.n) "
             "from pg_constraint c where c.conrelid = to_regclass($1) and c.conname = $2",
             at, "constraint " + v.constraint, stop, params);
  if (!read) return read.error();
  if (!*read) return std::optional<Finding>{};
  const db::Rows& found = **read;
  if (found.size() != 1) return std::optional<Finding>{};
  const std::string type(found.at(0, 0));
  if (type == "f" && found.at(0, 3) == "s")
    return count_orphans(conn, at, v.table, std::string(found.at(0, 2)), std::string(found.at(0, 2)),
                         std::string(found.at(0, 5)), std::string(found.at(0, 4)),
                         std::string(found.at(0, 6)), stop);
  if (type != "c") return std::optional<Finding>{};
  return breaking(conn, at, {v.table, std::string(found.at(0, 1))}, stop);
}

Answer breaking(db::Connection& conn, const At& at, const sql::Check& check, const Interrupt& stop) {
  // A CHECK passes when its expression is true or NULL: the rows where it is false break it.
  auto read =
      counts(conn, "select count(*) from " + qualified(check.table) + " where not (" + check.expression + ")",
             at, "CHECK (" + check.expression + ")", stop);
  if (!read) return read.error();
  if (!*read || (*read)->at(0, 0) == "0") return std::optional<Finding>{};
  return std::optional<Finding>{failure(at, "check-fails", check.table,
                                        at.statement + " will fail: " + std::string((*read)->at(0, 0)) +
                                            " row(s) of " + check.table.display() + " break CHECK (" +
                                            check.expression + "); fix them first, in an earlier statement")};
}

}  // namespace schemagate::preflight::data
