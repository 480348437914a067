#include "db/blockers.h"

#include <algorithm>
#include <array>

#include "log/log.h"

namespace schemagate::db {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

Blockers::Blockers(Connection& conn, milliseconds lock_timeout, const Interrupt& stop) : conn_(conn), stop_(stop) {
  // Two looks per lock_timeout: a wait that lasts the whole lock_timeout is always seen.
  milliseconds every = lock_timeout.count() > 0 ? std::clamp(lock_timeout / 2, milliseconds(20), milliseconds(1000))
                                                : milliseconds(1000);
  conn_.watch(every, [this](Deadline until) { look(until); });
}

Blockers::~Blockers() { conn_.watch({}, nullptr); }

void Blockers::look(Deadline until) {
  // Every wait here holds up the main session's loop, so each is short and ends by `until`
  // (a signal ends it at once); a side session that does not answer in time is dropped, and
  // another tried a second later.
  if (!side_ && next_open_.expired()) {
    next_open_ = Deadline::after(1s);
    auto opened = Connection::open(conn_.target(), Deadline::after(1s).earlier(until), stop_, "schemagate-watch");
    if (opened) {
      side_.emplace(std::move(*opened));
      side_->set_cancel_wait(0ms);
    } else {
      log::debug("no second session to see what the migration waits for: " + opened.error().message);
    }
  }
  if (!side_) return;
  // No query text: another session's statement may hold a secret.
  static constexpr const char* kSql =
      "select a.pid, coalesce(nullif(a.application_name, ''), 'no application_name'), coalesce(a.usename::text, '?'),"
      " coalesce(a.state, 'state not visible'),"
      " coalesce(to_char(coalesce(a.xact_start, a.backend_start) at time zone 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?')"
      " from pg_catalog.pg_stat_activity a where a.pid = any(pg_catalog.pg_blocking_pids($1::int)) order by 1";
  std::array<std::string, 1> pid{std::to_string(conn_.backend_pid())};
  auto rows = side_->query(kSql, pid, stop_, Deadline::after(500ms).earlier(until));
  if (!rows) side_.reset();
  std::string now;
  for (int r = 0; rows && r < rows->size(); ++r)
    now += std::string(r ? ", " : "") + "pid " + std::string(rows->at(r, 0)) + " (" + std::string(rows->at(r, 1)) +
           ", user " + std::string(rows->at(r, 2)) + ", " + std::string(rows->at(r, 3)) + " since " +
           std::string(rows->at(r, 4)) + ")";
  // An empty answer does not clear what an earlier look saw: the last look of a wait can reach
  // the server just after the lock timeout ended that wait, and the blocker seen a moment before
  // is still the one the 55P03 is about.
  if (now.empty()) return;
  // Once per holder, not at every retry of the same wait.
  if (now != reported_) log::info("the migration waits for a lock held by " + now);
  reported_ = now;
  seen_ = std::move(now);
}

}  // namespace schemagate::db
