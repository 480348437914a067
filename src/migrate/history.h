#pragma once
// The tracking table (SPEC §3): what has been applied. Every statement that reads or writes it is
// here; apply, repair and stamp send what these functions build.
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "migrate/files.h"
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
  // While dirty: the byte offset, in the up SQL, of a CREATE INDEX CONCURRENTLY that was running
  // when the run stopped, every statement before it done (resume.h); -1 when there is none.
  long long resume_at = -1;
  // golang-migrate keeps a single row, its newest version: every older version is applied too.
  bool covers_older = false;
};

// The table as SQL: "schema"."table", quoted (identifiers cannot travel as parameters). Unquoted
// parts are folded to lower case, as PostgreSQL folds them.
std::string qualified(const TableName& table);
// A value spliced into SQL: a standard-conforming string literal, its quotes doubled.
std::string literal(std::string_view text);

// Every row, in version order; empty when the table does not exist yet. One round trip, no lock.
// Reads schemagate's table, dbmate's (version only) and golang-migrate's (version, dirty). A role
// that may not read the table fails as reading_failed says.
Result<std::vector<AppliedRow>> read_history(db::Connection& conn, const TableName& table,
                                             const Interrupt& stop);

// `failed`, an error reading a tracking table (`table` as SQL names it), as the caller reports it:
// a missing privilege (42501) is ErrorKind::Unreachable (69), the database refusing this role
// what every command needs, with the GRANT that mends it; anything else keeps its kind.
Error reading_failed(const std::string& table, Error failed);

// The table with its schema made explicit (the session's current_schema() when none was given),
// so that a migration changing the search_path (pg_dump's do) cannot lose it. One round trip.
Result<TableName> resolve_schema(db::Connection& conn, const TableName& table, const Interrupt& stop);

// Creates the table (and its schema, if named and missing), or adopts one left by dbmate or
// golang-migrate in place by adding the missing columns. REQUIRES: the advisory lock is held.
Status ensure_table(db::Connection& conn, const TableName& table, const Interrupt& stop);

// Stores the files' checksums (and names) on rows that have none or, in repair, a stale one: an
// upsert, since a table adopted from golang-migrate holds only its newest version's row.
// `fence` (Lock::fence_sql), when given, runs first in the same transaction.
Status record_checksums(db::Connection& conn, const TableName& table, std::span<const Migration* const> list,
                        const std::string& fence, const Interrupt& stop);

// The statements below are SQL text, sent alone or inside a batch; values are spliced in as
// standard-conforming literals (db::SessionSettings turns standard_conforming_strings on).

// Marks the start of a migration, for the duration its tracking row records.
std::string start_clock_sql();
// The migration's row, written inside its own transaction (or, `dirty`, before a migration that
// runs outside one). RETURNING lets the log name each migration as the server finishes it.
std::string record_sql(const TableName& table, const Migration& m, bool dirty);
// A rolled-back migration's row removed inside the down section's transaction; RETURNING as record_sql.
std::string forget_sql(const TableName& table, const Migration& m);
// A non-transactional migration: marked dirty before its down section runs, done after its last statement.
std::string mark_dirty_sql(const TableName& table, std::string_view version_text);
std::string mark_done_sql(const TableName& table, std::string_view version_text, std::chrono::milliseconds took);
// While a non-transactional migration runs: where it may resume (AppliedRow::resume_at), or -1 for nowhere.
std::string resume_at_sql(const TableName& table, std::string_view version_text, long long offset);
std::string delete_sql(const TableName& table, std::string_view version_text);
// repair: after a person has checked.
std::string clear_dirty_sql(const TableName& table, std::string_view version_text);
std::string store_checksum_sql(const TableName& table, const Migration& m);

}  // namespace schemagate::migrate
