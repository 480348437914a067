#include "migrate/lock.h"

#include <array>
#include <chrono>
#include <random>
#include <string>

#include "db/session.h"
#include "log/log.h"
#include "migrate/history.h"
#include "migrate/lease.h"

namespace schemagate::migrate {
namespace {

using namespace std::chrono_literals;

// The key: a 64-bit hash of "schemagate:<database>:<schema>.<table>", the schema resolved by the
// server when the name is unqualified.
constexpr const char* kKey =
    "hashtextextended('schemagate:' || current_database() || ':' || coalesce(nullif($1, ''), current_schema())"
    " || '.' || $2, 0)";

std::array<std::string, 2> key_params(const TableName& t) { return {t.schema_as_stored(), t.name_as_stored()}; }

// "pid 4711 (schemagate, connected 2026-11-21T10:00:00Z)", or empty when nobody holds it.
std::string holder(db::Connection& conn, const TableName& table, const Interrupt& stop) {
  auto params = key_params(table);
  auto rows = conn.query(
      std::string("select a.pid, coalesce(a.application_name, ''),"
                  " coalesce(to_char(a.backend_start at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?')"
                  " from pg_catalog.pg_locks l join pg_catalog.pg_stat_activity a on a.pid = l.pid,"
                  " (select ") + kKey + " as k) key"
                  " where l.locktype = 'advisory' and l.granted and l.objsubid = 1"
                  " and l.database = (select oid from pg_catalog.pg_database where datname = current_database())"
                  " and l.classid::bigint = (key.k >> 32) & 4294967295 and l.objid::bigint = key.k & 4294967295",
      params, stop, Deadline::after(std::chrono::seconds(2)));
  if (!rows || rows->size() == 0) return {};
  std::string app(rows->at(0, 1));
  return "pid " + std::string(rows->at(0, 0)) + " (" + (app.empty() ? "no application_name" : app) +
         ", connected " + std::string(rows->at(0, 2)) + ")";
}

class AdvisoryLock final : public Lock {
 public:
  AdvisoryLock(db::Connection& conn, TableName table) : conn_(conn), table_(std::move(table)) {}
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;
  // The session may be gone or inside a failed transaction by now; then it has given the lock
  // back already or will when it ends, and the unlock's failure says nothing new.
  ~AdvisoryLock() override {
    if (held_ && !conn_.in_transaction()) (void)unlock(Interrupt{}, Deadline::after(1s));
  }

  Status release(const Interrupt& stop) override {
    held_ = false;
    return unlock(stop, Deadline::never());
  }

 private:
  Status unlock(const Interrupt& stop, Deadline deadline) {
    auto params = key_params(table_);
    auto done = conn_.query(std::string("select pg_catalog.pg_advisory_unlock(") + kKey + ")", params, stop, deadline);
    if (!done) return done.error();
    return {};
  }

  db::Connection& conn_;
  TableName table_;
  bool held_ = true;
};

// Both locks (MIGRATIONS_LOCK=auto): released in the order taken, the lease last, which fences.
class BothLocks final : public Lock {
 public:
  BothLocks(std::unique_ptr<Lock> lease, std::unique_ptr<Lock> advisory)
      : lease_(std::move(lease)), advisory_(std::move(advisory)) {}
  Status release(const Interrupt& stop) override {
    Status first = advisory_->release(stop);
    Status second = lease_->release(stop);
    return first ? second : first;
  }
  std::string fence_sql() const override { return lease_->fence_sql(); }

 private:
  std::unique_ptr<Lock> lease_, advisory_;
};

// Whether the session is pooled, told by the server process that answered: a pooler gives its
// clients a backend key of its own, so pg_backend_pid() differs from the pid the connection was
// given at start-up. (A plain TCP proxy passes the key through.)
bool pooled(const db::Connection& conn, int answered_by) { return answered_by != 0 && answered_by != conn.backend_pid(); }

// Through a pooler, whether it hands each transaction whichever server session is free
// (transaction mode). A second connection asks which backend answers it: in transaction mode the
// pooler may hand it the server session this one just used and left idle, and both report the same
// pid. Only that answer is sure: another backend is what session mode gives, and also what a
// transaction-mode pooler gives when another client took the idle one first. False when it
// cannot connect.
bool shares_backends(const db::Connection& conn, int answered_by, const Interrupt& stop) {
  auto probe = db::Connection::open(conn.target(), Deadline::after(5s), stop, "schemagate probe");
  if (!probe) return false;
  auto pid = probe->exec("select pg_catalog.pg_backend_pid()", stop, Deadline::after(2s));
  return pid && pid->size() == 1 && std::string(pid->at(0, 0)) == std::to_string(answered_by);
}

}  // namespace

Result<std::unique_ptr<Lock>> take_migration_lock(db::Connection& conn, const TableName& table, LockKind kind,
                                                  Deadline deadline, const Interrupt& stop) {
  int answered_by = 0;
  if (kind == LockKind::advisory) {
    auto lock = take_lock(conn, table, deadline, stop, &answered_by);
    if (lock && pooled(conn, answered_by))
      log::warn("connected through a pooler, and MIGRATIONS_LOCK=advisory: a session advisory lock holds only while "
                "the pooler keeps this client on one server session (session mode); in transaction mode it lands on "
                "whichever server session ran the statement, other runners may take it too, and it can outlive this "
                "run there. MIGRATIONS_LOCK=auto or table takes a lease that holds through a pooler");
    return lock;
  }
  auto lease = take_lease(conn, table, deadline, stop, &answered_by);
  if (!lease) return lease.error();
  if (pooled(conn, answered_by)) {
    // The lease alone: the mode cannot be told for sure (shares_backends), and an advisory lock
    // taken through a transaction-mode pooler would stay on a server session it goes on handing
    // to others, where later runners could not take it.
    if (kind == LockKind::table)
      log::info("connected through a pooler (the backend that answers is not the one the connection was given)");
    else if (shares_backends(conn, answered_by, stop))
      log::info("connected through a transaction-mode pooler (two connections share one server backend): the "
                "migration lease is the lock; session settings do not carry from one transaction to the next");
    else
      log::info("connected through a pooler (a second connection was handed another server backend: session mode, "
                "or transaction mode busy with other clients): the migration lease is the lock");
    return lease;
  }
  if (kind == LockKind::table) return lease;
  auto advisory = take_lock(conn, table, deadline, stop);
  if (!advisory) return advisory.error();
  return std::unique_ptr<Lock>(std::make_unique<BothLocks>(std::move(*lease), std::move(*advisory)));
}

Result<std::unique_ptr<Lock>> take_lock(db::Connection& conn, const TableName& table, Deadline deadline,
                                        const Interrupt& stop, int* backend_pid) {
  auto params = key_params(table);
  const std::string try_lock =
      std::string("select pg_catalog.pg_try_advisory_lock(") + kKey + "), pg_catalog.pg_backend_pid()";
  std::mt19937 jitter(std::random_device{}());
  auto start = std::chrono::steady_clock::now();
  auto next_report = start;
  for (;;) {
    // Out of time: say who holds the lock, as the log did while waiting.
    auto out_of_time = [&] {
      std::string who = holder(conn, table, stop);
      return timed_out("timed out waiting for the migration lock" +
                       (who.empty() ? std::string() : " (held by " + who + ")"));
    };
    if (deadline.expired()) return out_of_time();
    // Each poll is quick; its own bound keeps a stalled server from outliving the deadline much.
    auto got = conn.query(try_lock, params, stop, Deadline::after(std::chrono::seconds(10)).earlier(deadline));
    // A poll the deadline cut short (a slow server) is the same timeout.
    if (!got && got.error().kind == ErrorKind::Timeout && deadline.expired()) return out_of_time();
    if (!got) return got.error();
    if (got->size() == 1 && got->at(0, 0) == "t") {
      if (backend_pid) *backend_pid = std::stoi(std::string(got->at(0, 1)));
      if (next_report != start) log::info("migration lock taken");
      return std::unique_ptr<Lock>(std::make_unique<AdvisoryLock>(conn, table));
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= next_report) {
      std::string who = holder(conn, table, stop);
      log::info("waiting for the migration lock" + (who.empty() ? std::string() : ", held by " + who));
      next_report = now + 10s;
    }
    // 100-300 ms: replicas that started together do not poll in step.
    auto pause = std::chrono::milliseconds(100 + static_cast<int>(jitter() % 200));
    if (int sig = stop.sleep_until(Deadline::after(pause).earlier(deadline))) return interrupted(sig);
  }
}

Result<Prepared> prepare_session(db::Connection& conn, const TableName& table, std::chrono::milliseconds lock_timeout,
                                 const Interrupt& stop) {
  // One round trip: the settings are made only when the backend that answers is this session's.
  const std::string pid[] = {std::to_string(conn.backend_pid())};
  auto answered = conn.query("select pg_catalog.pg_backend_pid(), case when pg_catalog.pg_backend_pid() = $1::int "
                             "then pg_catalog.concat(" +
                                 db::SessionSettings::for_server(conn, lock_timeout).set_config_calls(db::Scope::session) +
                                 ") end",
                             pid, stop);
  if (!answered) return answered.error();
  auto resolved = resolve_schema(conn, table, stop);
  if (!resolved) return resolved.error();
  return Prepared{std::move(*resolved), pooled(conn, std::stoi(std::string(answered->at(0, 0))))};
}

Result<Locked> lock_tracking_table(db::Connection& conn, const TableName& table, std::chrono::milliseconds lock_timeout,
                                   LockKind kind, Deadline deadline, const Interrupt& stop) {
  auto prepared = prepare_session(conn, table, lock_timeout, stop);
  if (!prepared) return prepared.error();
  auto lock = take_migration_lock(conn, prepared->table, kind, deadline, stop);
  if (!lock) return lock.error();
  return Locked{std::move(prepared->table), std::move(*lock), {}, prepared->pooled};
}

Result<Locked> lock_and_read_history(db::Connection& conn, const TableName& table,
                                     std::chrono::milliseconds lock_timeout, LockKind kind, Deadline deadline,
                                     const Interrupt& stop) {
  auto locked = lock_tracking_table(conn, table, lock_timeout, kind, deadline, stop);
  if (!locked) return locked.error();
  auto applied = read_history(conn, locked->table, stop);
  if (!applied) return applied.error();
  locked->applied = std::move(*applied);
  return locked;
}

}  // namespace schemagate::migrate
