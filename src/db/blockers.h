#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "db/connection.h"
#include "db/sqlstate.h"
#include "util/deadline.h"
#include "util/interrupt.h"
#include "util/result.h"

namespace schemagate::db {

// Who a session's statement waits for. A lock_timeout error does not say which session held the
// lock, so once a statement has run for a while a second session asks the server
// (pg_blocking_pids) while it still waits. The second session is opened only then: a run whose
// statements are quick never opens it. Watches `conn` from construction to destruction
// (Connection::watch); `conn` must outlive it.
class Blockers {
 public:
  Blockers(Connection& conn, std::chrono::milliseconds lock_timeout, const Interrupt& stop);
  ~Blockers();
  Blockers(const Blockers&) = delete;
  Blockers& operator=(const Blockers&) = delete;

  // Before each statement: what held up an earlier one says nothing about this one.
  void forget() { seen_.clear(); }
  // "; blocked by pid 4711 (psql, user app, idle in transaction since ...)", or empty.
  std::string named() const { return seen_.empty() ? "" : "; blocked by " + seen_; }
  // A lock timeout (55P03) with the blocker named; any other error as it is.
  Error explain(Error e) const {
    if (e.sqlstate == sqlstate::kLockNotAvailable) e.message += named();
    return e;
  }

 private:
  void look(Deadline until);

  Connection& conn_;
  const Interrupt& stop_;
  std::optional<Connection> side_;
  Deadline next_open_ = Deadline::after(std::chrono::milliseconds(0));
  std::string seen_, reported_;
};

}  // namespace schemagate::db
