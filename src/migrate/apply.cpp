#include "migrate/apply.h"

#include "migrate/applier.h"

#include <algorithm>

namespace schemagate::migrate {
namespace applying {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// One migration's SQL as written, then the change to its tracking row, inside the batch's
// transaction. A file that brings its own BEGIN/COMMIT travels alone and gets the change just
// before its COMMIT.
// `tracking` restores schemagate's own session first (db::SessionSettings::restore_sql).
void append(Batch& batch, const Section& section, const Script& script, const Migration& m,
            const std::string& tracking, const std::string& prelude) {
  batch.text.reserve(batch.text.size() + prelude.size() + section.sql.size() + tracking.size() + 64);
  batch.text += prelude;
  batch.pieces.push_back({&m, batch.text.size()});
  if (script.own_transaction) {
    batch.text.append(section.sql, 0, script.commit_offset);
    batch.text += "\n;\n";
    batch.text += tracking;
    batch.text += ";\n";
    batch.text.append(section.sql, script.commit_offset);
    batch.text += "\n;\n";
  } else if (!sql::is_complete(section.sql)) {
    // It ends inside a quote or comment, which would swallow anything after it: sent as it is, it
    // fails with the server's own message and position.
    batch.text += section.sql;
    batch.incomplete = true;
  } else {
    // The newline ends a last line comment; the semicolon a last statement written without one.
    batch.text += section.sql;
    batch.text += "\n;\n";
    batch.text += tracking;
    batch.text += ";\n";
  }
}

Error located(Error e, const Section& section, size_t byte_offset) {
  e.message = locate(section, byte_offset) + ": " + e.message;
  return e;
}

Error unlocated(Error e, const Section& section) {
  e.message = section.path + ": " + e.message;
  return e;
}

Result<int> Applier::run(std::span<const Migration* const> pending) {
  for (const Migration* m : pending) scripts_.emplace(m, analyse(section(*m)));
  settings_ = db::SessionSettings::for_server(conn_, options_.lock_timeout);
  prelude_ = session_prelude();
  auto result = run_all(pending);
  // What the migrations SET must not follow the session into the verify step (pg_dump empties
  // the search_path).
  if (result) (void)conn_.exec("reset all", stop_, options_.deadline);
  return result;
}

Status Applier::resume(const Migration& m, size_t from) {
  scripts_.emplace(&m, analyse(section(m)));
  settings_ = db::SessionSettings::for_server(conn_, options_.lock_timeout);
  prelude_ = session_prelude();
  Status done = run_outside_transaction(m, from);
  if (done) (void)conn_.exec("reset all", stop_, options_.deadline);
  return done;
}

Result<int> Applier::run_all(std::span<const Migration* const> pending) {
  size_t next = 0;
  int retries_left = options_.retry_attempts;
  while (next < pending.size()) {
    const Migration& m = *pending[next];
    Status ran;
    size_t done = 0;
    if (!script(m).transactional) {
      ran = run_outside_transaction(m);
      done = ran ? 1 : 0;
    } else {
      auto batch = build_batch(pending.subspan(next));
      auto result = run_batch(batch, done);
      ran = result;
    }
    next += done;
    applied_ += static_cast<int>(done);
    if (ran) {
      retries_left = options_.retry_attempts;
      continue;
    }
    const Error& e = ran.error();
    if (!db::sqlstate::is_transient(e) || retries_left == 0) return e;
    --retries_left;
    if (Status paused = pause_before_retry(e, options_.retry_attempts - retries_left); !paused)
      return paused.error();
    if (options_.deadline.expired()) return out_of_time(*pending[next]);
  }
  return applied_;
}

// The longest run of transactional migrations from the front of pending that can share one
// transaction.
Batch Applier::build_batch(std::span<const Migration* const> pending) {
  size_t count = 0, bytes = 0;
  for (const Migration* m : pending) {
    const Section& s = section(*m);
    if (!script(*m).transactional) break;
    // Alone: a file with its own BEGIN/COMMIT, and one that ends inside a quote or comment
    // (it would swallow what follows it; alone, it fails with the server's own message).
    bool alone = script(*m).own_transaction || !sql::is_complete(s.sql) || s.sql.size() > kSentApartBytes;
    if (count > 0 && (alone || bytes + s.sql.size() > kBatchBytes)) break;
    ++count;
    bytes += s.sql.size();
    if (alone) break;
  }
  Batch batch;
  batch.own_transaction = count == 1 && script(*pending[0]).own_transaction;
  if (batch.own_transaction) {
    // Its BEGIN may set an isolation level, which must come before any query in the
    // transaction: the prelude goes on its own.
    append(batch, section(*pending[0]), script(*pending[0]), *pending[0], tracking(*pending[0]), "");
    return batch;
  }
  if (count == 1 && !batch.incomplete && section(*pending[0]).sql.size() > kSentApartBytes &&
      sql::is_complete(section(*pending[0]).sql)) {
    batch.sent_apart = true;
    batch.text = "begin;\n" + prelude_;
    batch.pieces.push_back({pending[0], 0});  // the server's positions count from its SQL
    batch.closing = tracking(*pending[0]) + ";\ncommit;\n";
    return batch;
  }
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += section(*pending[i]).sql.size() + prelude_.size() + 1024;
  batch.text.reserve(total);
  batch.text = "begin;\n";
  for (size_t i = 0; i < count; ++i)
    append(batch, section(*pending[i]), script(*pending[i]), *pending[i], tracking(*pending[i]), prelude_);
  if (!batch.incomplete) batch.text += "commit;\n";
  return batch;
}

// All or nothing: on any error the server rolls the whole batch back.
Status Applier::run_batch(const Batch& batch, size_t& done) {
  std::vector<std::string> durations;
  // A migration's tracking row comes back as it finishes: notices after it are the next one's.
  noticing_ = batch.pieces.front().migration;
  auto on_rows = [&](const db::Rows& rows) {
    if (rows.column("schemagate_version") < 0 || rows.size() != 1) return;
    durations.emplace_back(rows.at(0, 1));
    noticing_ = batch.pieces[std::min(durations.size(), batch.pieces.size() - 1)].migration;
  };
  if (batch.own_transaction)
    if (auto reset = conn_.exec(prelude_, stop_, options_.deadline); !reset) return reset.error();
  blockers_.forget();
  // The batch opens its own transaction; whatever stops it, none is left open.
  auto tx = db::Transaction::of(conn_);
  auto ran = conn_.exec(batch.text, stop_, options_.deadline, on_rows);
  // What the server's error position counts in.
  const std::string* sent = &batch.text;
  if (ran && batch.sent_apart) {
    sent = &section(*batch.pieces.front().migration).sql;
    ran = conn_.exec(*sent, stop_, options_.deadline, on_rows);
    if (ran) {
      sent = &batch.closing;
      ran = conn_.exec(batch.closing, stop_, options_.deadline, on_rows);
    }
  }
  if (ran && batch.incomplete) {
    // The server found it complete after all; it ran without its tracking row: undo it.
    tx.rollback();
    done = 0;
    return unlocated(migration_failed("ends inside an unterminated quote or comment"),
                     section(*batch.pieces.front().migration));
  }
  if (ran) {
    // Logged once committed: a line per migration that is really there.
    for (size_t i = 0; i < batch.pieces.size(); ++i) {
      const Migration& m = *batch.pieces[i].migration;
      log::info(std::string(verb()) + label(m), {{"version", m.version_text}, {"name", m.name},
                                                 {"duration_ms", i < durations.size() ? durations[i] : "?"}});
    }
    done = batch.pieces.size();
    return {};
  }
  done = 0;
  Error e = blockers_.explain(ran.error());
  if (e.kind == ErrorKind::Interrupted || e.kind == ErrorKind::Unreachable) return e;
  tx.rollback();
  // The migration that failed: the first whose tracking change did not come back.
  const Migration& failed = *batch.pieces[std::min(durations.size(), batch.pieces.size() - 1)].migration;
  // The server holds back a batch's results until it ends, so a cancelled batch cannot say
  // which of its migrations was running: name them all.
  if (e.kind == ErrorKind::Timeout)
    return batch.pieces.size() == 1 ? out_of_time(failed)
                                    : out_of_time(*batch.pieces.front().migration, batch.pieces.back().migration);
  std::string rolled_back = batch.pieces.size() > 1
                                ? " (the " + std::to_string(batch.pieces.size()) +
                                      " migrations of its batch were rolled back with it)"
                                : "";
  if (durations.size() == batch.pieces.size() && batch.pieces.size() > 1) {
    // Every migration ran; the COMMIT itself failed (a deferred constraint).
    e.message = "the batch " + label(*batch.pieces.front().migration) + " ... " +
                label(*batch.pieces.back().migration) + " failed at COMMIT and was rolled back: " + e.message;
    return unlocated(std::move(e), section(failed));
  }
  e.message = "migration " + label(failed) + " failed" + rolled_back + ": " + e.message;
  if (e.position > 0 && (!batch.sent_apart || sent == &section(failed).sql)) {
    size_t at = byte_offset_of(*sent, e.position);
    for (auto it = batch.pieces.rbegin(); it != batch.pieces.rend(); ++it) {
      const Section& s = section(*it->migration);
      if (at >= it->sql_begin && at < it->sql_begin + s.sql.size()) {
        e.position = 0;
        return located(std::move(e), s, at - it->sql_begin);
      }
    }
  }
  size_t failed_index = std::min(durations.size(), batch.pieces.size() - 1);
  // A large migration that failed after its SQL ran (at its COMMIT) has nothing to locate.
  if (batch.sent_apart && sent != &section(failed).sql) return unlocated(std::move(e), section(failed));
  auto at = replay_to_locate(batch, failed_index);
  if (int sig = stop_.signal()) return interrupted(sig);
  if (at) return located(std::move(e), section(failed), *at);
  return unlocated(std::move(e), section(failed));
}

// The server gives no position for errors found while running (division by zero, a constraint,
// a missing relation at execution). To still point at the statement, run the batch again up to
// the failing migration, then that migration statement by statement, inside a transaction that
// is always rolled back. Only on the failure path; returns the failing statement's offset.
std::optional<size_t> Applier::replay_to_locate(const Batch& batch, size_t failed_index) {
  if (batch.own_transaction || batch.incomplete || options_.deadline.expired()) return std::nullopt;
  std::string before = "begin;\n";
  for (size_t i = 0; i < failed_index; ++i) {
    before += prelude_;
    before += section(*batch.pieces[i].migration).sql;
    before += "\n;\n";
  }
  before += prelude_;
  std::optional<size_t> found;
  noticing_ = nullptr;
  auto tx = db::Transaction::of(conn_);  // always rolled back
  // A large migration replays statement by statement: bounded, so that locating an error cannot
  // eat the migration timeout.
  Deadline replay_by = Deadline::after(10s).earlier(options_.deadline);
  if (conn_.exec(before, stop_, replay_by)) {
    for (const sql::Statement& st : script(*batch.pieces[failed_index].migration).statements) {
      auto ran = conn_.exec(std::string(st.text), stop_, replay_by);
      if (ran) continue;
      // Only the server's refusal points at the statement; a signal or running out of time does not.
      if (ran.error().kind == ErrorKind::MigrationFailed)
        found = st.offset + (st.text.size() - sql::without_leading_comments(st.text).size());
      break;
    }
  }
  return found;
}

}  // namespace applying

using applying::Applier;
using applying::Direction;

Result<int> apply(db::Connection& conn, const TableName& table, std::span<const Migration* const> pending,
                  const ApplyOptions& options, const Interrupt& stop) {
  return Applier(conn, table, Direction::up, options, stop).run(pending);
}

Status resume(db::Connection& conn, const TableName& table, const Migration& m, size_t from,
              const ApplyOptions& options, const Interrupt& stop) {
  return Applier(conn, table, Direction::up, options, stop).resume(m, from);
}

Result<int> revert(db::Connection& conn, const TableName& table, std::span<const Migration* const> applied,
                   const ApplyOptions& options, const Interrupt& stop) {
  return Applier(conn, table, Direction::down, options, stop).run(applied);
}

}  // namespace schemagate::migrate
