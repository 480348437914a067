#include "preflight/lint.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <sstream>

#include "migrate/locate.h"
#include "preflight/rules.h"
#include "sql/effects.h"
#include "sql/lexer.h"
#include "sql/statements.h"
#include "util/json.h"

namespace schemagate::preflight {
namespace {

void place(Finding& f, const migrate::Section& section, size_t offset) {
  migrate::Position at = migrate::position(section, offset);
  f.path = section.path;
  f.line = at.line;
  f.column = at.column;
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

// Whether `word` shows in `text` as a whole word, in any case (SQL folds unquoted names).
bool contains_word(std::string_view text, std::string_view word) {
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string t = lower(text), w = lower(word);
  auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = t.find(w); at != std::string::npos; at = t.find(w, at + 1))
    if ((at == 0 || !part(t[at - 1])) && (at + w.size() == t.size() || !part(t[at + w.size()]))) return true;
  return false;
}

}  // namespace

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::blocking: return "blocking";
    case Severity::acknowledged: return "acknowledged";
    case Severity::warning: break;
  }
  return "warning";
}

std::string to_json(const Finding& f, bool with_rule) {
  std::string out = "{\"file\":" + json_string(f.path) + ",\"line\":" + std::to_string(f.line) +
                    ",\"column\":" + std::to_string(f.column);
  if (with_rule)
    out += ",\"rule\":" + json_string(f.rule) + ",\"severity\":" + json_string(severity_name(f.severity)) +
           ",\"table\":" + json_string(f.table) + ",\"lock\":" + json_string(f.lock);
  return out + ",\"message\":" + json_string(f.message) + "}";
}

bool only_writes(std::string_view statement) {
  std::string_view body = sql::without_leading_comments(statement);
  size_t end = 0;
  while (end < body.size() && std::isalpha(static_cast<unsigned char>(body[end]))) ++end;
  std::string word(body.substr(0, end));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word == "insert" || word == "update" || word == "delete" || word == "merge" || word == "copy";
}

std::string to_text(const Finding& f) {
  return f.where() + ": " + std::string(severity_name(f.severity)) + ": " + f.message + " [" + f.rule + "]";
}

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

Finding finding_for(const migrate::Section& section, size_t at, std::string_view statement, const sql::Operation& op,
                    const std::vector<std::string>& acks) {
  const Rule& rule = rule_for(op.op);
  Finding f;
  place(f, section, at);
  f.rule = std::string(rule.id);
  f.table = op.table.display();
  f.lock = std::string(rule.lock);
  // An ALTER of several subcommands gives a finding each: what each is about must show, even
  // where the first line, all the message quotes of the statement, does not.
  const std::string shown = sql::first_line(statement);
  std::string about;
  if (!op.object.empty() && !contains_word(shown, op.object)) about = " (" + op.object + ")";
  f.message = shown + about + " " + replace_table(rule.does, f.table) + " (" + f.lock + " lock); " +
              std::string(rule.safely);
  if (std::find(acks.begin(), acks.end(), f.rule) != acks.end())
    f.severity = Severity::acknowledged;
  else
    f.severity = rule.cost == Cost::incompatible ? Severity::blocking : Severity::warning;
  return f;
}

void each_statement(std::span<const migrate::Migration* const> migrations,
                    const std::function<void(const migrate::Migration&, const sql::Statement&, size_t at)>& visit) {
  for (const migrate::Migration* m : migrations)
    for (const sql::Statement& st : sql::statements(m->up.sql)) {
      if (st.kind == sql::Kind::meta_command) continue;
      std::string_view body = sql::without_leading_comments(st.text);
      if (body.empty()) continue;
      visit(*m, st, st.offset + (st.text.size() - body.size()));
    }
}

Finding located(const migrate::Section& section, size_t at) {
  Finding f;
  place(f, section, at);
  return f;
}

Finding not_analysed(const migrate::Section& section, size_t at, std::string_view statement) {
  Finding f;
  place(f, section, at);
  f.message = sql::first_line(statement) + ": not analysed (PostgreSQL 15's grammar does not read it)";
  return f;
}

Report lint(std::span<const migrate::Migration> migrations) {
  Report report;
  std::vector<const migrate::Migration*> all;
  for (const migrate::Migration& m : migrations) all.push_back(&m);
  const migrate::Migration* current = nullptr;
  std::vector<sql::Relation> created;  // in the current migration: empty, nothing to lock for long
  std::vector<sql::Column> added;      // in the current migration: unknown to the running release
  each_statement(all, [&](const migrate::Migration& m, const sql::Statement& st, size_t at) {
    if (&m != current) {
      current = &m;
      created.clear();
      added.clear();
    }
    if (only_writes(st.text)) return;
    sql::Effects e = sql::effects_of(st.text);
    if (!e.analysed) {
      report.not_analysed.push_back(not_analysed(m.up, at, st.text));
      return;
    }
    const std::vector<std::string> acks = acknowledged(st.text);
    for (const sql::Operation& op : e.operations) {
      // Created earlier in this migration: empty, and unknown to the release that is running.
      if (std::find(created.begin(), created.end(), op.table) != created.end()) continue;
      // Dropping or renaming a column added earlier in this migration: no release ever used it.
      if ((op.op == sql::Op::drop_column || op.op == sql::Op::rename_column) &&
          std::any_of(added.begin(), added.end(),
                      [&](const sql::Column& c) { return c.table == op.table && c.name == op.object; }))
        continue;
      report.findings.push_back(finding_for(m.up, at, st.text, op, acks));
    }
    for (const sql::Relation& r : e.creates) created.push_back(r);
    for (const auto& a : e.added_columns) added.push_back(a.column);
  });
  return report;
}

}  // namespace schemagate::preflight
