#pragma once
#include "db/connection.h"
#include "util/interrupt.h"
#include "util/result.h"

namespace schemagate::db {

// Leaves no transaction block open on its session: when it dies, a transaction still open (or
// failed) is rolled back. Either it opens the block itself (begin) or it guards one that SQL sent
// through it opens (of: a batch whose text carries its own BEGIN and COMMIT). Declare it after the
// connection it guards, so that it dies first. Move-only.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& conn, const Interrupt& stop);
  static Transaction of(Connection& conn) { return Transaction(conn); }
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() { rollback(); }

  Status commit(const Interrupt& stop);
  // Now rather than at destruction: before the session is used for something else.
  void rollback();

 private:
  explicit Transaction(Connection& conn) : conn_(&conn) {}
  Connection* conn_;
};

}  // namespace schemagate::db
