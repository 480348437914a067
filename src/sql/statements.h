#pragma once
// A migration's SQL as PostgreSQL reads it: its statements, where each starts, and what kind each
// is as far as running it goes. PostgreSQL 15's own parser (libpg_query) decides where statements
// end and what they are; syntax it does not know (newer than 15, or a mistake) is never refused
// here: it is kept as written, for the server to judge.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schemagate::sql {

enum class Kind {
  plain,           // runs anywhere, in a transaction block or not
  no_transaction,  // PostgreSQL refuses it in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...)
  begin,           // BEGIN, START TRANSACTION
  commit,          // COMMIT, END
  prepare,         // PREPARE TRANSACTION: ends the transaction, its work held for COMMIT PREPARED
  rollback,        // ROLLBACK, ABORT
  savepoint,       // SAVEPOINT, RELEASE, ROLLBACK TO: inside a transaction, it stays there
  routine,         // DO, CALL: a procedure may commit or roll back inside
  setting,         // SET, RESET (SET ROLE, SET SESSION AUTHORIZATION too): lasts as long as the session
  copy_in,         // COPY ... FROM STDIN: its data follows it in the script
  copy_out,        // COPY ... TO STDOUT: only psql can take what it sends back
  meta_command,    // a psql backslash line (\set, \restrict): not SQL
};

struct Statement {
  // As written, from just after the previous statement's semicolon (so leading blanks and
  // comments included), without a semicolon of its own.
  std::string_view text;
  size_t offset = 0;  // of text in the script
  Kind kind = Kind::plain;
  // PostgreSQL 15's parser read it. When not, its kind is guessed from its first words.
  bool understood = true;
  // copy_in: the inline data without the `\.` line that ends it; whether one did; whether text
  // followed the COPY's semicolon on its own line.
  std::string_view data;
  size_t data_offset = 0;
  bool data_ended = true;
  bool text_after = false;
};

// Every statement of the script, in order. Never fails. Scripts over kWholeScriptLimit are not
// handed whole to the parser (it takes about seven times the text in memory): they are split by
// the lexer (lexer.h) and only statements that may matter to how the script runs are parsed, one
// at a time.
std::vector<Statement> statements(std::string_view script);
constexpr size_t kWholeScriptLimit = 4 << 20;

// BEGIN, COMMIT and their kind, DO and CALL: statements whose failure may leave work done or
// undone beyond themselves.
bool controls_transactions(Kind kind);

// The statement from its first token, its first line and at most 80 characters: how logs name it.
std::string first_line(std::string_view statement);

// CREATE [UNIQUE] INDEX CONCURRENTLY with a name: what an interrupted one leaves behind (an INVALID
// index of that name, in its table's schema) can be found in the catalog and undone.
struct IndexBuild {
  std::string table_schema;  // empty: the table is found through the search_path
  std::string table;
  std::string index;
};
std::optional<IndexBuild> index_build(std::string_view statement);

}  // namespace schemagate::sql
