#include "preflight/check.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

#include "log/log.h"
#include "preflight/data.h"
#include "preflight/rules.h"
#include "sql/effects.h"
#include "util/table_name.h"

namespace schemagate::preflight {
namespace {

using std::chrono::milliseconds;

// A text[] literal: each element quoted, its backslashes and quotes escaped.
std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string scaled(double value, const char* const* units, int count, double step) {
  int u = 0;
  while (value >= step && u + 1 < count) {
    value /= step;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f%s" : "%.1f%s", value, units[u]);
  return text;
}

std::string rows_text(long long rows) {
  static const char* const kUnits[] = {"", "k", "M", "G"};
  return scaled(static_cast<double>(rows), kUnits, 4, 1000) + (rows == 1 ? " row" : " rows");
}

std::string bytes_text(long long bytes) {
  static const char* const kUnits[] = {" bytes", " kB", " MB", " GB", " TB"};
  return scaled(static_cast<double>(bytes), kUnits, 5, 1024);
}

// How long the catalog read, and a bounded count of an unanalysed table, may take.
constexpr milliseconds kSizeTime{2000};

struct Size {
  bool exists = false;
  long long rows = 0;
  bool rows_at_least = false;  // counted up to the line only: at least `rows`
  long long bytes = 0;
};

// A data check (data.h) to run once the sizes are known: against the rows already there, so only
// where no earlier pending statement changed them.
struct DataCheck {
  size_t statement_number;
  std::vector<sql::Relation> tables;  // skipped when one of them is known not to be there
  std::function<data::Answer(db::Connection&, const Interrupt&)> run;
};

bool contains(const std::vector<sql::Relation>& list, const sql::Relation& r) {
  return std::find(list.begin(), list.end(), r) != list.end();
}

// One finding still to be measured, with what measuring it needs.
struct Item {
  size_t statement_number;
  Finding finding;
  sql::Operation operation;
};

// Every table's size in one query: the planner's row estimate and the size on disk. A table never
// analysed has no estimate; its rows are counted, but only up to the line.
Result<std::map<std::string, Size>> sizes(db::Connection& conn, const std::vector<sql::Relation>& tables,
                                          long long max_rows, const Interrupt& stop) {
  std::map<std::string, Size> out;
  if (tables.empty()) return out;
  std::vector<std::string> schemas, names;
  for (const auto& t : tables) {
    schemas.push_back(t.schema);
    names.push_back(t.name);
  }
  const std::string params[] = {array_literal(schemas), array_literal(names)};
  auto rows = conn.query(
      "select c.oid is not null, coalesce(c.reltuples, -1)::bigint, coalesce(pg_total_relation_size(c.oid), 0) "
      "from unnest($1::text[], $2::text[]) with ordinality as x(s, n, i) left join pg_class c on c.oid = "
      "to_regclass(case when s = '' then quote_ident(n) else quote_ident(s) || '.' || quote_ident(n) end) order by i",
      params, stop, Deadline::after(kSizeTime));
  if (!rows) return rows.error();
  for (int r = 0; r < rows->size() && r < static_cast<int>(tables.size()); ++r) {
    Size s;
    s.exists = rows->at(r, 0) == "t";
    s.rows = std::stoll(std::string(rows->at(r, 1)));
    s.bytes = std::stoll(std::string(rows->at(r, 2)));
    if (s.exists && s.rows < 0) {
      auto counted = conn.exec("select count(*) from (select from " + data::qualified(tables[r]) + " limit " +
                                   std::to_string(max_rows + 1) + ") x",
                               stop, Deadline::after(kSizeTime));
      if (counted) {
        s.rows = std::stoll(std::string(counted->at(0, 0)));
        s.rows_at_least = s.rows > max_rows;
      } else if (counted.error().kind == ErrorKind::Interrupted) {
        return counted.error();
      } else {
        s.rows = 0;  // unknown: said as its size on disk alone
      }
    }
    out[tables[r].display()] = s;
  }
  return out;
}

// Whether ALTER COLUMN ... TYPE leaves the rows as they are, so PostgreSQL changes only the
// catalog: the cases its documentation names (ALTER TABLE, Notes) that migrations meet, from the
// column's type now: a varchar made longer or unbounded, or made text; text made unbounded
// varchar; a numeric given more precision at the same scale, or none; the type it already has.
Result<bool> keeps_rows(db::Connection& conn, const sql::Operation& op, const Interrupt& stop) {
  if (op.using_expression || op.type.empty()) return false;
  const std::string params[] = {data::qualified(op.table), op.object};
  auto now = conn.query(
      "select t.typname, a.atttypmod from pg_attribute a join pg_type t on t.oid = a.atttypid "
      "where a.attrelid = to_regclass($1) and a.attname = $2 and a.attnum > 0 and not a.attisdropped",
      params, stop, Deadline::after(kSizeTime));
  if (!now) return now.error().kind == ErrorKind::Interrupted ? Result<bool>(now.error()) : Result<bool>(false);
  if (now->size() != 1) return false;
  const std::string type(now->at(0, 0));
  const long long mod = std::stoll(std::string(now->at(0, 1)));  // -1: none; else it includes a 4-byte header
  const std::vector<long long>& mods = op.type_modifiers;
  if (type == "varchar") {
    if (op.type == "text") return true;
    if (op.type != "varchar") return false;
    return mods.empty() || (mod >= 0 && mods.size() == 1 && mods[0] >= mod - 4);
  }
  if (type == "text") return op.type == "text" || (op.type == "varchar" && mods.empty());
  if (type == "numeric" && op.type == "numeric") {
    if (mods.empty()) return true;
    if (mod < 0) return false;
    const long long precision = ((mod - 4) >> 16) & 0xffff, scale = (mod - 4) & 0xffff;
    return mods[0] >= precision && (mods.size() > 1 ? mods[1] : 0) == scale;
  }
  return type == op.type && mods.empty() && mod < 0;
}

void log_finding(const Finding& f, bool loud) {
  std::string line = "pre-flight: " + f.where() + ": " + f.message + " [" + f.rule + "]";
  if (f.severity == Severity::acknowledged) line += " (acknowledged)";
  if (loud)
    log::warn(line);
  else
    log::info(line);
}

}  // namespace

Result<Report> check(db::Connection& conn, std::span<const migrate::Migration* const> pending, const Policy& policy,
                     const Interrupt& stop) {
  Report report;
  std::vector<Item> items;
  std::vector<DataCheck> checks;
  std::vector<sql::Relation> created, written;
  std::vector<sql::ForeignKey> added;  // foreign keys added earlier in the run, for a later VALIDATE
  bool any_write = false;              // a statement that may change the rows of any table ran before
  size_t number = 0;
  each_statement(pending, [&](const migrate::Migration& m, const sql::Statement& st, size_t at) {
    ++number;
    sql::Effects e = sql::effects_of(st.text);
    if (!e.analysed) {
      report.not_analysed.push_back(not_analysed(m.up, at, st.text));
      any_write = true;  // nothing is known of it
      return;
    }
    const std::vector<std::string> acks = acknowledged(st.text);
    for (const sql::Operation& op : e.operations)
      if (!contains(created, op.table))  // created in the run: empty
        items.push_back({number, finding_for(m.up, at, st.text, op, acks), op});

    // The rows already there decide, as long as nothing before changed them.
    auto untouched = [&](const sql::Relation& t) { return !any_write && !contains(written, t) && !contains(created, t); };
    const data::At where{located(m.up, at), sql::first_line(st.text)};
    auto add = [&](std::vector<sql::Relation> tables, auto run) {
      checks.push_back({number, std::move(tables), [where, run](db::Connection& c, const Interrupt& s) { return run(c, where, s); }});
    };
    for (const sql::Operation& op : e.operations)
      if (op.op == sql::Op::set_not_null && untouched(op.table))
        add({op.table}, [table = op.table, column = op.object](db::Connection& c, const data::At& w, const Interrupt& s) {
          return data::nulls(c, w, table, column, s);
        });
    for (const sql::Column& column : e.required_columns)
      if (untouched(column.table))
        add({column.table}, [column](db::Connection& c, const data::At& w, const Interrupt& s) {
          return data::rows_without_value(c, w, column, s);
        });
    for (const sql::UniqueKey& key : e.unique_keys)
      if (untouched(key.table) && !key.partial && !key.columns.empty())
        add({key.table}, [key](db::Connection& c, const data::At& w, const Interrupt& s) { return data::duplicates(c, w, key, s); });
    for (const sql::ForeignKey& key : e.foreign_keys) {
      if (key.validated && untouched(key.table) && untouched(key.references))
        add({key.table, key.references},
            [key](db::Connection& c, const data::At& w, const Interrupt& s) { return data::orphans(c, w, key, s); });
      if (!key.validated && !key.name.empty()) added.push_back(key);
    }
    for (const sql::Validation& v : e.validations) {
      auto earlier = std::find_if(added.begin(), added.end(), [&](const sql::ForeignKey& k) {
        return k.table == v.table && k.name == v.constraint;
      });
      if (earlier != added.end()) {
        if (untouched(v.table) && untouched(earlier->references))
          add({v.table, earlier->references},
              [key = *earlier](db::Connection& c, const data::At& w, const Interrupt& s) { return data::orphans(c, w, key, s); });
      } else if (!any_write && written.empty() && !contains(created, v.table)) {
        // What the catalog's constraint references is known only there: no write at all before.
        add({v.table}, [v](db::Connection& c, const data::At& w, const Interrupt& s) { return data::violations(c, w, v, s); });
      }
    }
    created.insert(created.end(), e.creates.begin(), e.creates.end());
    written.insert(written.end(), e.writes.begin(), e.writes.end());
    any_write = any_write || e.may_write_any;
  });

  // A type change PostgreSQL makes in the catalog alone is no finding.
  std::vector<Item> kept;
  for (Item& item : items) {
    if (item.operation.op == sql::Op::alter_column_type) {
      auto keeps = keeps_rows(conn, item.operation, stop);
      if (!keeps) return keeps.error();
      if (*keeps) continue;
    }
    kept.push_back(std::move(item));
  }
  items = std::move(kept);

  std::vector<sql::Relation> tables;
  for (const Item& item : items)
    if (rule_for(item.operation.op).cost != Cost::incompatible && !contains(tables, item.operation.table)) tables.push_back(item.operation.table);
  // Sizes only inform: a catalog that cannot be read leaves the findings as lint has them.
  auto measured = sizes(conn, tables, policy.max_rows, stop);
  if (!measured && measured.error().kind == ErrorKind::Interrupted) return measured.error();
  if (!measured) {
    log::info("pre-flight: the tables' sizes could not be read: " + measured.error().message);
    measured = std::map<std::string, Size>{};
  }

  std::vector<std::pair<size_t, Finding>> found;  // by statement number, sorted at the end
  for (Item& item : items) {
    Finding& f = item.finding;
    auto size = measured->find(item.operation.table.display());
    if (size != measured->end() && size->second.exists) {
      const Size& s = size->second;
      f.message += " [" + f.table + ": " + (s.rows_at_least ? "over " : "") + rows_text(s.rows) + ", " +
                   bytes_text(s.bytes) + "]";
      bool over = rule_for(item.operation.op).cost == Cost::on_size && (s.rows > policy.max_rows || s.bytes > policy.max_bytes);
      if (over && f.severity == Severity::warning) f.severity = Severity::blocking;
    }
    found.emplace_back(item.statement_number, std::move(f));
  }
  for (const DataCheck& c : checks) {
    bool missing = std::any_of(c.tables.begin(), c.tables.end(), [&](const sql::Relation& t) {
      auto size = measured->find(t.display());
      return size != measured->end() && !size->second.exists;
    });
    if (missing) continue;
    auto failure = c.run(conn, stop);
    if (!failure) return failure.error();
    // After the statement's own findings: the failure it predicts.
    if (*failure) found.emplace_back(c.statement_number, std::move(**failure));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [n, f] : found) report.findings.push_back(std::move(f));
  return report;
}

Status judge(const Report& report, const Policy& policy) {
  for (const Finding& f : report.findings) log_finding(f, f.severity == Severity::blocking);
  for (const Finding& f : report.not_analysed) log::info("pre-flight: " + f.where() + ": " + f.message);
  if (!policy.block || report.blocking() == 0) return {};
  const Finding& first = *std::find_if(report.findings.begin(), report.findings.end(),
                                       [](const Finding& f) { return f.severity == Severity::blocking; });
  return bad_migrations("pre-flight (MIGRATIONS_PREFLIGHT=block): " + std::to_string(report.blocking()) +
                        " finding(s) over the line, nothing was applied; the first: " + first.where() + ": " +
                        first.message + " [" + first.rule + "]");
}

}  // namespace schemagate::preflight
