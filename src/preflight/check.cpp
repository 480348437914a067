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

// The column `op` names, if an earlier statement of the run added it.
std::optional<sql::Effects::AddedColumn> added_column(const std::vector<sql::Effects::AddedColumn>& added,
                                                      const sql::Operation& op) {
  using sql::Op;
  if (op.op != Op::alter_column_type && op.op != Op::set_not_null && op.op != Op::drop_column &&
      op.op != Op::rename_column)
    return std::nullopt;
  for (auto it = added.rbegin(); it != added.rend(); ++it)
    if (it->column.table == op.table && it->column.name == op.object) return *it;
  return std::nullopt;
}

// Whether a statement has something to check against the rows already there (data.h).
bool asks_the_data(const sql::Effects& e) {
  bool sets_not_null = std::any_of(e.operations.begin(), e.operations.end(),
                                   [](const sql::Operation& op) { return op.op == sql::Op::set_not_null; });
  bool checked_key = std::any_of(e.foreign_keys.begin(), e.foreign_keys.end(),
                                 [](const sql::ForeignKey& k) { return k.validated; });
  return sets_not_null || checked_key || !e.unique_keys.empty() || !e.validations.empty() || !e.checks.empty() ||
         !e.required_columns.empty();
}

// Whether a rule is about the rows already there (a scan, a rewrite) rather than what the running
// release may use (a drop, a rename): only the first still counts for a column added in the run.
bool about_rows(sql::Op op) { return rule_for(op).cost != Cost::incompatible; }

// One finding still to be measured, with what measuring it needs.
struct Item {
  size_t statement_number;
  Finding finding;
  sql::Operation operation;
  std::optional<sql::Effects::AddedColumn> added;  // the column it names, when added earlier in the run
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

// Whether changing a column of type `now` (with its modifiers) to `op`'s type leaves the rows as
// they are, so PostgreSQL changes only the catalog: the cases its documentation names (ALTER
// TABLE, Notes) that migrations meet: a varchar made longer or unbounded, or made text; text made
// unbounded varchar; a numeric given more precision at the same scale, or none; the same type.
bool keeps_rows(const std::string& now, const std::vector<long long>& now_mods, const sql::Operation& op) {
  const std::vector<long long>& mods = op.type_modifiers;
  if (op.using_expression || op.type.empty() || now.empty()) return false;
  if (now == "varchar") {
    if (op.type == "text") return true;
    if (op.type != "varchar") return false;
    return mods.empty() || (now_mods.size() == 1 && mods.size() == 1 && mods[0] >= now_mods[0]);
  }
  if (now == "text") return op.type == "text" || (op.type == "varchar" && mods.empty());
  if (now == "numeric" && op.type == "numeric") {
    if (mods.empty()) return true;
    if (now_mods.empty()) return false;
    return mods[0] >= now_mods[0] && (mods.size() > 1 ? mods[1] : 0) == (now_mods.size() > 1 ? now_mods[1] : 0);
  }
  return now == op.type && mods.empty() && now_mods.empty();
}

// The column's type now, from the catalog: its name and modifiers as the parser gives a type's
// (atttypmod unpacked for varchar and numeric). Empty when unknown.
Result<std::pair<std::string, std::vector<long long>>> type_now(db::Connection& conn, const sql::Operation& op,
                                                                const Interrupt& stop) {
  using Type = std::pair<std::string, std::vector<long long>>;
  const std::string params[] = {data::qualified(op.table), op.object};
  auto now = conn.query(
      "select t.typname, a.atttypmod from pg_attribute a join pg_type t on t.oid = a.atttypid "
      "where a.attrelid = to_regclass($1) and a.attname = $2 and a.attnum > 0 and not a.attisdropped",
      params, stop, Deadline::after(kSizeTime));
  if (!now) return now.error().kind == ErrorKind::Interrupted ? Result<Type>(now.error()) : Result<Type>(Type{});
  if (now->size() != 1) return Type{};
  Type type{std::string(now->at(0, 0)), {}};
  const long long mod = std::stoll(std::string(now->at(0, 1)));  // -1: none; else it counts a 4-byte header
  if (mod >= 4 && type.first == "varchar") type.second = {mod - 4};
  if (mod >= 4 && type.first == "numeric") type.second = {((mod - 4) >> 16) & 0xffff, (mod - 4) & 0xffff};
  return type;
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
  std::vector<sql::ForeignKey> not_valid;  // foreign keys added NOT VALID earlier in the run
  std::vector<sql::Effects::AddedColumn> added;
  bool any_write = false;              // a statement that may change the rows of any table ran before

  auto visit = [&](const migrate::Migration& m, const sql::Statement& st, size_t at, size_t number,
                   const sql::Effects& e) {
    if (!e.analysed) {
      report.not_analysed.push_back(not_analysed(m.up, at, st.text));
      any_write = true;  // nothing is known of it
      return;
    }
    const std::vector<std::string> acks = acknowledged(st.text);
    for (const sql::Operation& op : e.operations) {
      if (contains(created, op.table)) continue;  // created in the run: empty
      auto added_here = added_column(added, op);
      if (added_here && !about_rows(op.op)) continue;  // unknown to the running release
      items.push_back({number, finding_for(m.up, at, st.text, op, acks), op, added_here});
    }

    // The rows already there decide, as long as nothing before changed them; when something may
    // have, the data is not asked, and the log says so.
    const data::At where{located(m.up, at), sql::first_line(st.text)};
    auto untouched = [&](const sql::Relation& t) {
      if (contains(created, t)) return false;  // empty
      if (!any_write && !contains(written, t)) return true;
      log::info("pre-flight: " + where.place.where() + ": not checked against the data: an earlier pending "
                "statement may change the rows of " + t.display());
      return false;
    };
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
    for (const sql::Check& check : e.checks)
      if (untouched(check.table))
        add({check.table}, [check](db::Connection& c, const data::At& w, const Interrupt& s) {
          return data::breaking(c, w, check, s);
        });
    for (const sql::UniqueKey& key : e.unique_keys)
      if (untouched(key.table) && !key.partial && !key.columns.empty())
        add({key.table}, [key](db::Connection& c, const data::At& w, const Interrupt& s) { return data::duplicates(c, w, key, s); });
    for (const sql::ForeignKey& key : e.foreign_keys) {
      if (key.validated && untouched(key.table) && untouched(key.references))
        add({key.table, key.references},
            [key](db::Connection& c, const data::At& w, const Interrupt& s) { return data::orphans(c, w, key, s); });
      if (!key.validated && !key.name.empty()) not_valid.push_back(key);
    }
    for (const sql::Validation& v : e.validations) {
      auto earlier = std::find_if(not_valid.begin(), not_valid.end(), [&](const sql::ForeignKey& k) {
        return k.table == v.table && k.name == v.constraint;
      });
      if (earlier != not_valid.end()) {
        if (untouched(v.table) && untouched(earlier->references))
          add({v.table, earlier->references},
              [key = *earlier](db::Connection& c, const data::At& w, const Interrupt& s) { return data::orphans(c, w, key, s); });
      } else if (!any_write && written.empty() && !contains(created, v.table)) {
        // What the catalog's constraint references is known only there: no write at all before.
        add({v.table}, [v](db::Connection& c, const data::At& w, const Interrupt& s) { return data::violations(c, w, v, s); });
      } else if (!contains(created, v.table)) {
        log::info("pre-flight: " + where.place.where() + ": not checked against the data: an earlier pending "
                  "statement writes rows");
      }
    }
    created.insert(created.end(), e.creates.begin(), e.creates.end());
    added.insert(added.end(), e.added_columns.begin(), e.added_columns.end());
    written.insert(written.end(), e.writes.begin(), e.writes.end());
    any_write = any_write || e.may_write_any;
  };

  // A data migration can hold a hundred thousand INSERTs. What a statement that only writes rows
  // does matters only to a data check after it, and only until something may have written
  // anything: it is parsed then, and only then. Everything else is parsed first, to know where
  // the last data check is.
  struct Pending {
    const migrate::Migration* migration;
    sql::Statement statement;
    size_t at;
    std::optional<sql::Effects> effects;
  };
  std::vector<Pending> all;
  each_statement(pending, [&](const migrate::Migration& m, const sql::Statement& st, size_t at) {
    all.push_back({&m, st, at, std::nullopt});
    if (!only_writes(st.text)) all.back().effects = sql::effects_of(st.text);
  });
  size_t checks_end = 0;  // past the last statement with something to check against the data
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].effects && asks_the_data(*all[i].effects)) checks_end = i + 1;

  for (size_t i = 0; i < all.size(); ++i) {
    Pending& p = all[i];
    if (!p.effects) {
      if (i >= checks_end || any_write) continue;
      p.effects = sql::effects_of(p.statement.text);
    }
    visit(*p.migration, p.statement, p.at, i + 1, *p.effects);
  }


  // A type change PostgreSQL makes in the catalog alone is no finding. A column added earlier in
  // the run has the type it was added with.
  std::vector<Item> kept;
  for (Item& item : items) {
    if (item.operation.op == sql::Op::alter_column_type) {
      std::pair<std::string, std::vector<long long>> now;
      if (item.added) {
        now = {item.added->type, item.added->type_modifiers};
      } else {
        auto read = type_now(conn, item.operation, stop);
        if (!read) return read.error();
        now = std::move(*read);
      }
      if (keeps_rows(now.first, now.second, item.operation)) continue;
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
