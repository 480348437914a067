#include "preflight/lint.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "migrate/locate.h"
#include "preflight/rules.h"
#include "sql/effects.h"
#include "sql/lexer.h"
#include "sql/statements.h"

namespace schemagate::preflight {
namespace {

// "path:line:col" split back into its parts, as locate() writes it.
void place(Finding& f, const migrate::Section& section, size_t offset) {
  std::string at = migrate::locate(section, offset);
  size_t col = at.rfind(':');
  size_t line = at.rfind(':', col - 1);
  f.path = at.substr(0, line);
  f.line = std::stoi(at.substr(line + 1, col - line - 1));
  f.column = std::stoi(at.substr(col + 1));
}

// A rule's text with its placeholder word T replaced by the table's name.
std::string replace_table(std::string_view does, const std::string& table) {
  std::string out;
  for (size_t i = 0; i < does.size(); ++i) {
    bool word = does[i] == 'T' && (i == 0 || does[i - 1] == ' ') &&
                (i + 1 == does.size() || !std::isalnum(static_cast<unsigned char>(does[i + 1])));
    if (word)
      out += table;
    else
      out += does[i];
  }
  return out;
}

}  // namespace

int Report::blocking() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [](const Finding& f) { return f.severity == Severity::blocking; }));
}

std::vector<std::string> acknowledged(std::string_view statement) {
  std::vector<std::string> ids;
  std::string_view leading = statement.substr(0, statement.size() - sql::without_leading_comments(statement).size());
  std::istringstream lines{std::string(leading)};
  for (std::string line; std::getline(lines, line);) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || std::string_view(line).substr(start).rfind(migrate::kAckMarker, 0) != 0) continue;
    std::istringstream words(line.substr(start + migrate::kAckMarker.size()));
    for (std::string id; words >> id;) {
      id.erase(std::remove(id.begin(), id.end(), ','), id.end());
      if (!id.empty()) ids.push_back(id);
    }
  }
  return ids;
}

Report lint(std::span<const migrate::Migration> migrations) {
  Report report;
  for (const migrate::Migration& m : migrations) {
    const migrate::Section& section = m.up;
    std::vector<sql::Relation> created;  // in this migration: empty, nothing to lock for long
    for (const sql::Statement& st : sql::statements(section.sql)) {
      if (st.kind == sql::Kind::meta_command) continue;
      std::string_view body = sql::without_leading_comments(st.text);
      if (body.empty()) continue;
      const size_t at = st.offset + (st.text.size() - body.size());
      sql::Effects e = sql::effects_of(st.text);
      if (!e.analysed) {
        Finding f;
        place(f, section, at);
        f.message = sql::first_line(st.text) + ": not analysed (PostgreSQL 15's grammar does not read it)";
        report.not_analysed.push_back(std::move(f));
        continue;
      }
      const std::vector<std::string> acks = acknowledged(st.text);
      for (const sql::Operation& op : e.operations) {
        const Rule& rule = rule_for(op.op);
        // Created earlier in this migration: empty, and unknown to the release that is running.
        if (std::find(created.begin(), created.end(), op.table) != created.end()) continue;
        Finding f;
        place(f, section, at);
        f.rule = std::string(rule.id);
        f.table = op.table.display();
        f.lock = std::string(rule.lock);
        f.message = sql::first_line(st.text) + " " + replace_table(rule.does, f.table) + " (" + f.lock +
                    " lock); " + std::string(rule.safely);
        if (std::find(acks.begin(), acks.end(), f.rule) != acks.end())
          f.severity = Severity::acknowledged;
        else
          f.severity = rule.cost == Cost::incompatible ? Severity::blocking : Severity::warning;
        report.findings.push_back(std::move(f));
      }
      for (const sql::Relation& r : e.creates) created.push_back(r);
    }
  }
  return report;
}

}  // namespace schemagate::preflight
