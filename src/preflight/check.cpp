#include "preflight/check.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "log/log.h"
#include "preflight/rules.h"
#include "sql/effects.h"
#include "util/table_name.h"

namespace schemagate::preflight {
namespace {

using std::chrono::milliseconds;

// How long a read-only data check may take before it is skipped, and said so.
constexpr milliseconds kCheckTime{2000};
constexpr std::string_view kNotNullFails = "set-not-null-fails";
constexpr std::string_view kUniqueFails = "unique-fails";

std::string qualified(const sql::Relation& r) {
  return r.schema.empty() ? quote_ident(r.name) : quote_ident(r.schema) + "." + quote_ident(r.name);
}

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

struct Size {
  bool exists = false;
  long long rows = 0;
  bool rows_at_least = false;  // counted up to the line only: at least `rows`
  long long bytes = 0;
};

// A uniqueness to check against the rows already there, where its statement is.
struct UniqueCheck {
  size_t statement_number;  // orders the findings as the statements are ordered
  Finding at;
  std::string statement;
  sql::UniqueKey key;
};

std::string column_list(const std::vector<std::string>& columns, const char* separator) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : separator) + quote_ident(c);
  return out;
}

// Duplicates (and, for a primary key, NULLs) the key would meet: a finding, or none. Read-only and
// bounded; one that would take too long is skipped, and said so.
Result<std::optional<Finding>> check_unique(db::Connection& conn, const UniqueCheck& u, const Interrupt& stop) {
  const std::string table = qualified(u.key.table);
  std::string not_null;
  for (const auto& c : u.key.columns) not_null += (not_null.empty() ? " where " : " and ") + quote_ident(c) + " is not null";
  std::string sql = "select (select count(*) from (select 1 from " + table + not_null + " group by " +
                    column_list(u.key.columns, ", ") + " having count(*) > 1) d), " +
                    (u.key.primary ? "(select count(*) from " + table + " where " +
                                         column_list(u.key.columns, " is null or ") + " is null)"
                                   : std::string("0"));
  auto counted = conn.exec(sql, stop, Deadline::after(kCheckTime));
  if (!counted) {
    if (counted.error().kind == ErrorKind::Interrupted) return counted.error();
    log::info("pre-flight: " + u.at.where() + ": duplicates in " + u.key.table.display() + " not checked: " +
              (counted.error().kind == ErrorKind::Timeout ? "it would take over " + format_seconds(kCheckTime)
                                                          : counted.error().message));
    return std::optional<Finding>{};
  }
  std::string duplicates(counted->at(0, 0)), nulls(counted->at(0, 1));
  if (duplicates == "0" && nulls == "0") return std::optional<Finding>{};
  Finding f = u.at;
  f.rule = std::string(kUniqueFails);
  f.severity = Severity::blocking;
  f.table = u.key.table.display();
  std::string keys;
  for (const auto& c : u.key.columns) keys += (keys.empty() ? "" : ", ") + c;
  f.message = u.statement + " will fail: ";
  if (duplicates != "0") f.message += duplicates + " value(s) of (" + keys + ") in " + f.table + " appear more than once";
  if (nulls != "0") f.message += std::string(duplicates != "0" ? " and " : "") + nulls + " row(s) hold a NULL key";
  f.message += "; clean the data first, in an earlier statement";
  return std::optional<Finding>{std::move(f)};
}

// One finding still to be measured, with what measuring it needs.
struct Item {
  size_t statement_number;
  Finding finding;
  sql::Op op;
  sql::Relation table;
  std::string column;
  bool count_nulls = false;  // SET NOT NULL over data no earlier pending statement changes
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
      params, stop, Deadline::after(kCheckTime));
  if (!rows) return rows.error();
  for (int r = 0; r < rows->size() && r < static_cast<int>(tables.size()); ++r) {
    Size s;
    s.exists = rows->at(r, 0) == "t";
    s.rows = std::stoll(std::string(rows->at(r, 1)));
    s.bytes = std::stoll(std::string(rows->at(r, 2)));
    if (s.exists && s.rows < 0) {
      auto counted = conn.exec("select count(*) from (select from " + qualified(tables[r]) + " limit " +
                                   std::to_string(max_rows + 1) + ") x",
                               stop, Deadline::after(kCheckTime));
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
  std::vector<UniqueCheck> uniques;
  std::vector<sql::Relation> created, written;
  bool any_write = false;  // a statement that may change the rows of any table ran before
  size_t number = 0;
  std::vector<std::pair<size_t, Finding>> found;  // by statement number, sorted at the end
  each_statement(pending, [&](const migrate::Migration& m, const sql::Statement& st, size_t at) {
    ++number;
    sql::Effects e = sql::effects_of(st.text);
    if (!e.analysed) {
      report.not_analysed.push_back(not_analysed(m.up, at, st.text));
      any_write = true;  // nothing is known of it
      return;
    }
    const std::vector<std::string> acks = acknowledged(st.text);
    for (const sql::Operation& op : e.operations) {
      if (std::find(created.begin(), created.end(), op.table) != created.end()) continue;  // empty
      Item item{number, finding_for(m.up, at, st.text, op, acks), op.op, op.table, op.object};
      item.count_nulls = op.op == sql::Op::set_not_null && !any_write &&
                         std::find(written.begin(), written.end(), op.table) == written.end();
      items.push_back(std::move(item));
    }
    for (const sql::UniqueKey& key : e.unique_keys) {
      bool untouched = !any_write && std::find(written.begin(), written.end(), key.table) == written.end() &&
                       std::find(created.begin(), created.end(), key.table) == created.end();
      if (untouched && !key.partial && !key.columns.empty())
        uniques.push_back({number, located(m.up, at), sql::first_line(st.text), key});
    }
    created.insert(created.end(), e.creates.begin(), e.creates.end());
    written.insert(written.end(), e.writes.begin(), e.writes.end());
    any_write = any_write || e.may_write_any;
  });

  std::vector<sql::Relation> tables;
  for (const Item& item : items)
    if (rule_for(item.op).cost != Cost::incompatible &&
        std::find(tables.begin(), tables.end(), item.table) == tables.end())
      tables.push_back(item.table);
  // Sizes only inform: a catalog that cannot be read leaves the findings as lint has them.
  auto measured = sizes(conn, tables, policy.max_rows, stop);
  if (!measured && measured.error().kind == ErrorKind::Interrupted) return measured.error();
  if (!measured) {
    log::info("pre-flight: the tables' sizes could not be read: " + measured.error().message);
    measured = std::map<std::string, Size>{};
  }

  for (Item& item : items) {
    Finding& f = item.finding;
    auto size = measured->find(item.table.display());
    bool over = false;
    if (size != measured->end() && size->second.exists) {
      const Size& s = size->second;
      f.message += " [" + f.table + ": " + (s.rows_at_least ? "over " : "") + rows_text(s.rows) + ", " +
                   bytes_text(s.bytes) + "]";
      over = rule_for(item.op).cost == Cost::on_size && s.rows > policy.max_rows;
      if (over && f.severity == Severity::warning) f.severity = Severity::blocking;
    }
    found.emplace_back(item.statement_number, f);
    if (item.count_nulls && size != measured->end() && size->second.exists) {
      auto nulls = conn.exec("select count(*) from " + qualified(item.table) + " where " + quote_ident(item.column) +
                                 " is null",
                             stop, Deadline::after(kCheckTime));
      if (!nulls && nulls.error().kind == ErrorKind::Interrupted) return nulls.error();
      if (!nulls) {
        log::info("pre-flight: " + f.where() + ": the NULLs of " + f.table + "." + item.column + " not checked: " +
                  (nulls.error().kind == ErrorKind::Timeout ? "it would take over " + format_seconds(kCheckTime)
                                                            : nulls.error().message));
      } else if (std::string n(nulls->at(0, 0)); n != "0") {
        // Right after the statement's own finding: the failure it predicts.
        Finding fails = f;
        fails.rule = std::string(kNotNullFails);
        fails.severity = Severity::blocking;
        fails.message = "SET NOT NULL on " + f.table + "." + item.column + " will fail: the column holds " + n +
                        " NULL" + (n == "1" ? "" : "s") + "; fill them first (UPDATE ... WHERE " + item.column +
                        " IS NULL) in an earlier statement";
        found.emplace_back(item.statement_number, std::move(fails));
      }
    }
  }
  for (const UniqueCheck& u : uniques) {
    if (auto size = measured->find(u.key.table.display()); size != measured->end() && !size->second.exists) continue;
    auto duplicates = check_unique(conn, u, stop);
    if (!duplicates) return duplicates.error();
    if (*duplicates) found.emplace_back(u.statement_number, std::move(**duplicates));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [n, f] : found) report.findings.push_back(std::move(f));
  for (const Finding& f : report.findings) log_finding(f, f.severity == Severity::blocking);
  for (const Finding& f : report.not_analysed) log::info("pre-flight: " + f.where() + ": " + f.message);

  if (policy.block && report.blocking() > 0) {
    const Finding& first = *std::find_if(report.findings.begin(), report.findings.end(),
                                         [](const Finding& f) { return f.severity == Severity::blocking; });
    return bad_migrations("pre-flight (MIGRATIONS_PREFLIGHT=block): " + std::to_string(report.blocking()) +
                          " finding(s) over the line, nothing was applied; the first: " + first.where() + ": " +
                          first.message + " [" + first.rule + "]");
  }
  return report;
}

}  // namespace schemagate::preflight
