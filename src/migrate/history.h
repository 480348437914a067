#pragma once
// The tracking table (SPEC §3): what has been applied, read and written through one connection.
#include <string>
#include <vector>

#include "db/connection.h"
#include "util/interrupt.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::migrate {

struct AppliedRow {
  std::string version;       // without leading zeros, as Migration::version
  std::string version_text;  // as stored
  std::string name;
  std::string checksum;      // empty when unknown (a table adopted from dbmate)
  std::string applied_at;
  std::string duration_ms;
  bool is_dirty = false;
  // golang-migrate keeps a single row, its newest version: every older version is applied too.
  bool covers_older = false;
};

// The table as SQL: "schema"."table", quoted (identifiers cannot travel as parameters). Unquoted
// parts are folded to lower case, as PostgreSQL folds them.
std::string qualified(const TableName& table);

// Every row, in version order; empty when the table does not exist yet. One round trip, no lock.
// Reads schemagate's table, dbmate's (version only) and golang-migrate's (version, dirty).
Result<std::vector<AppliedRow>> read_history(db::Connection& conn, const TableName& table,
                                             const Interrupt& stop);

// The table with its schema made explicit (the session's current_schema() when none was given),
// so that a migration changing the search_path (pg_dump's do) cannot lose it. One round trip.
Result<TableName> resolve_schema(db::Connection& conn, const TableName& table, const Interrupt& stop);

// Creates the table (and its schema, if named and missing), or adopts one left by dbmate or
// golang-migrate in place by adding the missing columns. REQUIRES: the advisory lock is held.
Status ensure_table(db::Connection& conn, const TableName& table, const Interrupt& stop);

// SQL text for a value spliced into a batch: a standard-conforming string literal.
std::string literal(std::string_view text);

}  // namespace schemagate::migrate
