#include "migrate/lock.h"

#include <array>
#include <chrono>
#include <random>
#include <string>

#include "db/session.h"
#include "log/log.h"
#include "migrate/history.h"

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

}  // namespace

Result<std::unique_ptr<Lock>> take_lock(db::Connection& conn, const TableName& table, Deadline deadline,
                                        const Interrupt& stop) {
  auto params = key_params(table);
  const std::string try_lock = std::string("select pg_catalog.pg_try_advisory_lock(") + kKey + ")";
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

Result<TableName> prepare_session(db::Connection& conn, const TableName& table, std::chrono::milliseconds lock_timeout,
                                  const Interrupt& stop) {
  auto limited = conn.exec(db::SessionSettings::for_server(conn, lock_timeout).sql(), stop);
  if (!limited) return limited.error();
  return resolve_schema(conn, table, stop);
}

Result<Locked> lock_tracking_table(db::Connection& conn, const TableName& table, std::chrono::milliseconds lock_timeout,
                                   Deadline deadline, const Interrupt& stop) {
  auto resolved = prepare_session(conn, table, lock_timeout, stop);
  if (!resolved) return resolved.error();
  auto lock = take_lock(conn, *resolved, deadline, stop);
  if (!lock) return lock.error();
  return Locked{std::move(*resolved), std::move(*lock), {}};
}

Result<Locked> lock_and_read_history(db::Connection& conn, const TableName& table,
                                     std::chrono::milliseconds lock_timeout, Deadline deadline, const Interrupt& stop) {
  auto locked = lock_tracking_table(conn, table, lock_timeout, deadline, stop);
  if (!locked) return locked.error();
  auto applied = read_history(conn, locked->table, stop);
  if (!applied) return applied.error();
  locked->applied = std::move(*applied);
  return locked;
}

}  // namespace schemagate::migrate
