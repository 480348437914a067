#pragma once
// One direction of a migration read for running: its statements (sql/statements.h) and how it
// must run. Made only for migrations about to run or be shown, so a start with nothing pending
// parses nothing.
#include <optional>
#include <string>
#include <vector>

#include "migrate/files.h"
#include "sql/statements.h"

namespace schemagate::migrate {

struct Script {
  std::vector<sql::Statement> statements;
  bool transactional = true;
  std::string why_not_transactional;  // "transaction:false", or the statement that needs it
  // The file opens its own transaction (BEGIN first, COMMIT last, as golang-migrate files do):
  // the tracking row is inserted before that COMMIT, at byte offset commit_offset of the SQL.
  bool own_transaction = false;
  size_t commit_offset = 0;
  // What psql would do but schemagate cannot (SPEC §3): COPY ... TO STDOUT, COPY ... FROM STDIN
  // whose data has no `\.` line to end it (or text after its semicolon, which psql would run after
  // the data), a backslash line other than pg_dump's `\restrict` / `\unrestrict` guards (skipped).
  // BadMigrations naming file:line:col, found before anything runs.
  std::optional<Error> problem;
};

// pg_dump's \restrict and \unrestrict lines: psql's alone, skipped.
bool is_skipped_meta_command(const sql::Statement& statement);

// A section runs in a transaction unless its marker says transaction:false or it holds a
// statement PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...).
// A file with several transactions of its own runs as written, outside one.
Script analyse(const Section& section);

}  // namespace schemagate::migrate
