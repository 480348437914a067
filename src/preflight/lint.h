#pragma once
// Pre-flight from the SQL alone (`schemagate lint`, SPEC §2): for each statement of the given
// migrations' up sections, what it locks and for how long, by the rules of rules.h. Sizes are not
// known here, so a rule that matters only on a big table is a warning; a change the running
// release may trip over (a drop, a rename) blocks unless a `-- schemagate:ack <rule-id>` line
// right above the statement acknowledges it.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "migrate/files.h"
#include "sql/effects.h"
#include "sql/statements.h"

namespace schemagate::preflight {

enum class Severity { warning, blocking, acknowledged };

struct Finding {
  std::string path;
  int line = 0, column = 0;
  std::string rule;
  Severity severity = Severity::warning;
  std::string table;
  std::string lock;
  std::string message;  // "CREATE INDEX i ON t blocks writes to t while ...; use ..."
  std::string where() const { return path + ":" + std::to_string(line) + ":" + std::to_string(column); }
};

struct Report {
  std::vector<Finding> findings;
  // Statements PostgreSQL 15's grammar does not read (newer syntax): never a finding.
  std::vector<Finding> not_analysed;
  int blocking() const;
};

Report lint(std::span<const migrate::Migration> migrations);

std::string_view severity_name(Severity s);  // "warning", "blocking", "acknowledged"
// {"file", "line", "column", "rule", "severity", "table", "lock", "message"}; a not-analysed
// statement has no rule, so only its place and message.
std::string to_json(const Finding& f, bool with_rule = true);
// "file:line:column: severity: message [rule]"
std::string to_text(const Finding& f);

// The pieces lint and the start-up pre-flight (check.h) share. Each statement of the migrations'
// up sections in order, with the byte offset of its first token:
void each_statement(std::span<const migrate::Migration* const> migrations,
                    const std::function<void(const migrate::Migration&, const sql::Statement&, size_t at)>& visit);
// The finding for one operation of the statement at `at`; severity from the rule alone.
Finding finding_for(const migrate::Section& section, size_t at, std::string_view statement, const sql::Operation& op,
                    const std::vector<std::string>& acks);
Finding not_analysed(const migrate::Section& section, size_t at, std::string_view statement);
// A statement that only writes rows (INSERT, UPDATE, DELETE, MERGE, COPY), told by its first
// word without parsing it: no rule is about one, and a data migration holds many.
bool only_writes(std::string_view statement);
// A finding with only its place filled in: for what the data, not a rule, says of a statement.
Finding located(const migrate::Section& section, size_t at);

// The rule ids a statement's `-- schemagate:ack <id> [<id>...]` lines (in the comments right above
// it) acknowledge.
std::vector<std::string> acknowledged(std::string_view statement);

}  // namespace schemagate::preflight
