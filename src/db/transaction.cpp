#include "db/transaction.h"

namespace schemagate::db {

Result<Transaction> Transaction::begin(Connection& conn, const Interrupt& stop) {
  if (auto begun = conn.exec("begin", stop); !begun) return begun.error();
  return Transaction(conn);
}

Status Transaction::commit(const Interrupt& stop) {
  auto done = conn_->exec("commit", stop);
  if (!done) return done.error();
  return {};
}

void Transaction::rollback() {
  if (conn_ && conn_->in_transaction()) conn_->rollback();
}

}  // namespace schemagate::db
