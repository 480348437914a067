#include "migrate/script.h"

#include "log/log.h"

namespace schemagate::migrate {

Script analyse(const Section& section) {
  Script s;
  // Said at debug level so that a test can see the no-op start read no statement.
  log::debug("reading the statements of " + section.path);
  s.statements = sql::statements(section.sql);
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
  if (opens == 1 && closes == 1 && s.statements.front().kind == sql::Kind::begin &&
      s.statements.back().kind == sql::Kind::commit) {
    s.own_transaction = true;
    s.commit_offset = s.statements.back().offset;
    return s;
  }
  // Several transactions in one file: each is the file's own business, so the migration runs as
  // written and stays marked dirty until it has finished.
  s.transactional = false;
  s.why_not_transactional = "BEGIN/COMMIT inside the migration";
  return s;
}

}  // namespace schemagate::migrate
