#include "wait/wait.h"

#include <algorithm>
#include <string>

#include "db/sqlstate.h"
#include "log/log.h"

namespace schemagate::wait {
namespace {

// One attempt: a session, then proof that it can answer and write.
Result<db::Connection> attempt(const db::Target& target, const Policy& policy, const Interrupt& stop) {
  auto deadline = Deadline::after(policy.attempt_timeout);
  auto conn = db::Connection::open(target, deadline, stop);
  if (!conn) return conn.error();
  auto rows = conn->query("select pg_catalog.pg_is_in_recovery()", {}, stop, deadline);
  if (!rows) return rows.error();
  if (rows->size() == 1 && rows->at(0, 0) == "t")
    return unreachable("the server is a read-only standby (in recovery)");
  return conn;
}

}  // namespace

Result<db::Connection> until_ready(const db::Target& target, const Policy& policy, const Interrupt& stop) {
  const int attempts = std::max(1, policy.attempts);
  const std::string db = target.display();
  const auto start = std::chrono::steady_clock::now();
  log::debug("waiting for the database",
             {{"db", db}, {"attempts", std::to_string(attempts)},
              {"interval_ms", std::to_string(policy.interval.count())}});
  std::string last_reason;
  for (int n = 1; n <= attempts; ++n) {
    auto conn = attempt(target, policy, stop);
    if (conn) {
      log::info("database ready", {{"db", conn->describe()}, {"server", conn->server_version()},
                                   {"attempts", std::to_string(n)}, {"waited", seconds_since(start)}});
      return conn;
    }
    const Error& e = conn.error();
    if (e.kind == ErrorKind::Interrupted) return e;
    const std::string progress = "attempt " + std::to_string(n) + "/" + std::to_string(attempts);
    if (db::sqlstate::is_auth_failure(e)) {
      // Retrying a rejected password only delays the error and may lock the account.
      return unreachable(db + " refused the credentials (" + progress + ", not retried): " + e.message, e.sqlstate);
    }
    last_reason = e.message;
    log::warn(progress + " failed: " + e.message, {{"db", db}});
    if (n < attempts) {
      if (int sig = stop.sleep_until(Deadline::after(policy.interval))) return interrupted(sig);
    }
  }
  return unreachable(
               db + " not ready after " + std::to_string(attempts) + " attempts (" + seconds_since(start) +
                   "): " + last_reason);
}

}  // namespace schemagate::wait
