#include "migrate/script.h"

#include "log/log.h"
#include "migrate/locate.h"
#include "sql/lexer.h"

namespace schemagate::migrate {

namespace {

// The first statement psql would run but schemagate cannot, as an error naming where it is.
std::optional<Error> psql_only(const Section& section, const std::vector<sql::Statement>& statements) {
  for (const sql::Statement& st : statements) {
    std::string why;
    if (st.kind == sql::Kind::copy_out)
      why = "COPY ... TO STDOUT sends its rows to psql, and a migration has nowhere to put them; write them "
            "to a file the server can reach, or drop the statement";
    else if (st.kind == sql::Kind::copy_in && !st.data_ended)
      why = "COPY ... FROM STDIN has no line \\. ending its data";
    else if (st.kind == sql::Kind::copy_in && st.text_after)
      why = "text follows COPY ... FROM STDIN; on its line (psql would run it after the data): put the data on "
            "the lines after the statement";
    else if (st.kind == sql::Kind::meta_command && !is_skipped_meta_command(st))
      why = "psql's " + std::string(st.text.substr(0, st.text.find(' '))) +
            " is not SQL: schemagate sends SQL to the server, it is not psql";
    if (why.empty()) continue;
    size_t at = st.offset + (st.text.size() - sql::without_leading_comments(st.text).size());
    return bad_migrations(locate(section, at) + ": " + why);
  }
  return std::nullopt;
}

}  // namespace

bool is_skipped_meta_command(const sql::Statement& statement) {
  return statement.kind == sql::Kind::meta_command &&
         (statement.text.starts_with("\\restrict") || statement.text.starts_with("\\unrestrict"));
}

Script analyse(const Section& section) {
  Script s;
  // Said at debug level so that a test can see the no-op start read no statement.
  log::debug("reading the statements of " + section.path);
  s.statements = sql::statements(section.sql);
  s.problem = psql_only(section, s.statements);
  if (section.transaction_false) {
    s.transactional = false;
    s.why_not_transactional = "transaction:false";
    return s;
  }
  size_t opens = 0, closes = 0;
  for (const sql::Statement& st : s.statements) {
    if (st.kind == sql::Kind::no_transaction) {
      s.transactional = false;
      s.why_not_transactional = sql::first_line(st.text);
      return s;
    }
    opens += st.kind == sql::Kind::begin;
    closes += st.kind == sql::Kind::commit || st.kind == sql::Kind::rollback || st.kind == sql::Kind::prepare;
  }
  if (opens == 0 && closes == 0) return s;
  // psql's own lines around the SQL (pg_dump's \restrict) are no statements of the transaction.
  const sql::Statement* first = nullptr;
  const sql::Statement* last = nullptr;
  for (const sql::Statement& st : s.statements) {
    if (st.kind == sql::Kind::meta_command) continue;
    if (!first) first = &st;
    last = &st;
  }
  if (opens == 1 && closes == 1 && first->kind == sql::Kind::begin && last->kind == sql::Kind::commit) {
    s.own_transaction = true;
    s.commit_offset = last->offset;
    return s;
  }
  // Several transactions in one file: each is the file's own business, so the migration runs as
  // written and stays marked dirty until it has finished.
  s.transactional = false;
  s.why_not_transactional = "BEGIN/COMMIT inside the migration";
  return s;
}

}  // namespace schemagate::migrate
