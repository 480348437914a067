#include "wait/wait.h"

#include <algorithm>
#include <string>

#include "db/sqlstate.h"
#include "log/log.h"
#include "util/file.h"

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

// A rotated secret file as it is now: trailing newlines dropped (as Docker and Kubernetes write
// them). An unreadable or empty file, met mid-rotation, is a failed attempt, not an error of the
// settings: the caller tries again.
Result<std::string> read_secret(const db::Target& target) {
  auto content = read_file(target.secret_file);
  if (!content)
    return unreachable(target.secret_variable + " (" + target.secret_file + ") cannot be read: " +
                       content.error().message);
  std::string text = std::move(*content);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty())
    return unreachable(target.secret_variable + " (" + target.secret_file + ") is empty (being rotated?)");
  return text;
}

// The target with the secret file's current contents: `current` itself when they have not
// changed. Its passwords are known to the log before anything can print them.
Result<db::Target> refreshed(const db::Target& current) {
  if (current.secret_file.empty()) return current;
  auto text = read_secret(current);
  if (!text) return text.error();
  if (*text == current.conninfo) return current;
  auto parsed = db::Target::parse(*text);  // its error message is scrubbed of the text's passwords
  if (!parsed)
    return unreachable(current.secret_variable + " (" + current.secret_file +
                       ") does not hold a connection URL now (being rotated?): " + parsed.error().message);
  for (const auto& secret : parsed->secrets) log::add_secret(secret);
  parsed->secret_file = current.secret_file;
  parsed->secret_variable = current.secret_variable;
  log::info(current.secret_variable + " (" + current.secret_file + ") has changed; connecting with its new contents");
  return parsed;
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
  db::Target current = target;
  for (int n = 1; n <= attempts; ++n) {
    // A rotated secret is picked up by the next attempt.
    auto fresh = refreshed(current);
    auto conn = fresh ? attempt(*fresh, policy, stop) : Result<db::Connection>(fresh.error());
    if (fresh) current = std::move(*fresh);
    if (conn) {
      log::info("database ready", {{"db", conn->describe()}, {"server", conn->server_version()},
                                   {"attempts", std::to_string(n)}, {"waited", seconds_since(start)}});
      return conn;
    }
    const Error& e = conn.error();
    if (e.kind == ErrorKind::Interrupted) return e;
    const std::string progress = "attempt " + std::to_string(n) + "/" + std::to_string(attempts);
    if (db::sqlstate::is_auth_failure(e)) {
      // Retrying a rejected password only delays the error and may lock the account; unless the
      // secret was rotated meanwhile: then the new one gets its attempt, at once.
      auto after = refreshed(current);
      if (after && after->conninfo != current.conninfo && n < attempts) {
        log::warn(progress + " failed: " + e.message + "; the secret has changed since, trying the new one",
                  {{"db", db}});
        current = std::move(*after);
        continue;
      }
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
