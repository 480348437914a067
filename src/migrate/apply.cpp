#include "migrate/apply.h"

#include <algorithm>
#include <map>
#include <cctype>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "db/blockers.h"
#include "db/session.h"
#include "db/sqlstate.h"
#include "db/transaction.h"
#include "log/log.h"
#include "migrate/history.h"
#include "migrate/locate.h"
#include "migrate/script.h"
#include "sql/lexer.h"

namespace schemagate::migrate {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// Enough to send a thousand ordinary migrations at once without building an unbounded string.
constexpr size_t kBatchBytes = 16 << 20;
// A migration larger than this (a data load, a pg_dump --inserts) is sent as it is, between the
// statements that open and close its transaction, rather than copied into a batch: libpq already
// holds a copy of it while it is sent, and a container's memory limit counts every copy.
constexpr size_t kSentApartBytes = 4 << 20;

std::string label(const Migration& m) { return m.version_text + (m.name.empty() ? "" : " " + m.name); }

enum class Direction { up, down };

// Where one migration's SQL sits inside a batch.
struct Piece {
  const Migration* migration;
  size_t sql_begin;
};

struct Batch {
  std::string text;
  std::vector<Piece> pieces;
  bool own_transaction = false;  // one migration that brings its own BEGIN/COMMIT
  bool incomplete = false;       // one migration that ends inside a quote or comment
  // One large migration: `text` opens the transaction, the migration's SQL follows as it is, and
  // `closing` records it and commits; three round trips, one transaction.
  bool sent_apart = false;
  std::string closing;
};

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

class Applier {
 public:
  Applier(db::Connection& conn, const TableName& table, Direction direction, const ApplyOptions& options,
          const Interrupt& stop)
      : conn_(conn),
        table_(table),
        direction_(direction),
        options_(options),
        stop_(stop),
        blockers_(conn, options.lock_timeout, stop) {}

  Result<int> run(std::span<const Migration* const> pending) {
    for (const Migration* m : pending) scripts_.emplace(m, analyse(section(*m)));
    settings_ = db::SessionSettings::for_server(conn_, options_.lock_timeout);
    prelude_ = session_prelude();
    auto result = run_all(pending);
    // What the migrations SET must not follow the session into the verify step (pg_dump empties
    // the search_path).
    if (result) (void)conn_.exec("reset all", stop_, options_.deadline);
    return result;
  }

  Result<int> run_all(std::span<const Migration* const> pending) {
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

 private:
  // MIGRATION_RETRY_DELAY_SECONDS after a transient failure, plus up to a quarter more so that
  // runners held up by the same lock do not come back in step.
  Status pause_before_retry(const Error& e, int attempt) {
    milliseconds pause = options_.retry_delay + milliseconds(jitter_() % (options_.retry_delay.count() / 4 + 1));
    log::warn(e.message + "; retrying in " + format_seconds(pause) + " (" + std::to_string(attempt) + "/" +
              std::to_string(options_.retry_attempts) + ")");
    if (int sig = stop_.sleep_until(Deadline::after(pause).earlier(options_.deadline))) return interrupted(sig);
    return {};
  }

  const Section& section(const Migration& m) const { return direction_ == Direction::up ? m.up : m.down; }
  const Script& script(const Migration& m) const { return scripts_.at(&m); }
  // The tracking row's change inside the migration's transaction, written as schemagate's own user
  // with its own settings, whatever the migration did to the session.
  std::string tracking(const Migration& m) const {
    return settings_.restore_sql(db::Scope::transaction) +
           (direction_ == Direction::up ? record_sql(table_, m, false) : forget_sql(table_, m));
  }
  std::string_view verb() const { return direction_ == Direction::up ? "applied " : "rolled back "; }

  // Sent before every migration: each starts from the same session state, whatever the one
  // before it SET (pg_dump output sets lock_timeout = 0 and an empty search_path), and with the
  // mark its duration is measured from.
  std::string session_prelude() const {
    return db::SessionSettings::reset_identity_sql() + "reset all;\n" + settings_.sql() + start_clock_sql();
  }

  // The longest run of transactional migrations from the front of pending that can share one
  // transaction.
  Batch build_batch(std::span<const Migration* const> pending) {
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
  Status run_batch(const Batch& batch, size_t& done) {
    std::vector<std::string> durations;
    auto on_rows = [&](const db::Rows& rows) {
      if (rows.column("schemagate_version") >= 0 && rows.size() == 1) durations.emplace_back(rows.at(0, 1));
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
  std::optional<size_t> replay_to_locate(const Batch& batch, size_t failed_index) {
    if (batch.own_transaction || batch.incomplete || options_.deadline.expired()) return std::nullopt;
    std::string before = "begin;\n";
    for (size_t i = 0; i < failed_index; ++i) {
      before += prelude_;
      before += section(*batch.pieces[i].migration).sql;
      before += "\n;\n";
    }
    before += prelude_;
    std::optional<size_t> found;
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

  Status run_outside_transaction(const Migration& m) {
    const Section& sec = section(m);
    log::info("running " + label(m) + (direction_ == Direction::up ? "" : " (down)") + " outside a transaction (" +
              script(m).why_not_transactional + "); it stays marked dirty until it finishes");
    auto started = std::chrono::steady_clock::now();
    if (auto reset = conn_.exec(prelude_, stop_, options_.deadline); !reset) return reset.error();
    std::string mark_sql =
        direction_ == Direction::up ? record_sql(table_, m, true) : mark_dirty_sql(table_, m.version_text);
    auto mark = conn_.exec(mark_sql, stop_, options_.deadline);
    if (!mark) return mark.error();
    bool first = true;
    for (const sql::Statement& s : script(m).statements) {
      // Without a server position, errors point at the statement's first token, not the blank before it.
      auto where = [&](const Error& e) {
        return s.offset + (e.position > 0 ? byte_offset_of(s.text, e.position)
                                          : s.text.size() - sql::without_leading_comments(s.text).size());
      };
      // CREATE INDEX CONCURRENTLY and its kind wait for every older transaction to end, and
      // PostgreSQL counts that as waiting for a lock: under lock_timeout any long query elsewhere
      // would fail them. Their own locks block nobody, so only the migration deadline bounds them.
      // (Sent on its own: a string of several statements is one implicit transaction.)
      bool waits_for_others = s.kind == sql::Kind::no_transaction;
      // Past the first statement, one that failed on a lock or a deadlock changed nothing by
      // itself and is tried again where it stands; but not one that can fail part-way (a
      // CONCURRENTLY one leaves an invalid index; DO and CALL may commit inside), one that ends or
      // opens a transaction (a failed COMMIT has already rolled back), nor one inside a
      // transaction block of the file's own (the failure aborted the block).
      const bool may_retry = !first && !waits_for_others && !conn_.in_transaction() && !sql::controls_transactions(s.kind);
      Result<db::Rows> ran = Error{};
      for (int attempt = 1;; ++attempt) {
        if (waits_for_others)
          (void)conn_.exec(db::SessionSettings::lock_timeout_sql(milliseconds(0)), stop_, options_.deadline);
        blockers_.forget();
        ran = conn_.exec(std::string(s.text), stop_, options_.deadline);
        if (!ran) ran = blockers_.explain(ran.error());
        if (waits_for_others)
          (void)conn_.exec(db::SessionSettings::lock_timeout_sql(options_.lock_timeout), stop_, options_.deadline);
        if (ran || !may_retry || conn_.in_transaction() || !db::sqlstate::is_transient(ran.error()) ||
            attempt > options_.retry_attempts)
          break;
        const Error& e = ran.error();
        if (Status paused = pause_before_retry(located(e, sec, where(e)), attempt); !paused) return paused.error();
        if (options_.deadline.expired()) break;
      }
      if (ran) {
        first = false;
        continue;
      }
      Error e = ran.error();
      // Failing on its first statement, the migration changed nothing: it leaves no mark either
      // (so that `repair` cannot later record it as applied) and may be retried like any other.
      if (first && e.kind == ErrorKind::MigrationFailed && direction_ == Direction::up) {
        (void)conn_.exec(delete_sql(table_, m.version_text), stop_, options_.deadline);
        e.message = "migration " + label(m) + " failed: " + e.message;
        size_t at = where(e);
        e.position = 0;
        return located(std::move(e), sec, at);
      }
      if (e.kind == ErrorKind::Interrupted || e.kind == ErrorKind::Unreachable) return e;
      if (e.kind == ErrorKind::Timeout || options_.deadline.expired())
        return timed_out("out of time (migrations.timeout) in " + label(m) +
                                             ", outside a transaction: its statement was cancelled; the statements "
                                             "before it stay done and the migration is marked dirty" +
                                             blockers_.named());
      e.message = "migration " + label(m) + " failed part-way and is marked dirty: " + e.message +
                  ". Check the database; if you finish the migration by hand, `schemagate repair` records it "
                  "as applied; if you undo it, delete its row: " + delete_sql(table_, m.version_text);
      // Not retried as a whole: part of the file has run.
      e.sqlstate.clear();
      size_t at = where(e);
      e.position = 0;
      return located(std::move(e), sec, at);
    }
    auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    std::string done_sql = settings_.restore_sql(db::Scope::session) +
                           (direction_ == Direction::up ? mark_done_sql(table_, m.version_text, ms)
                                                        : delete_sql(table_, m.version_text));
    auto clear = conn_.exec(done_sql, stop_, options_.deadline);
    if (!clear) {
      // The migration itself has run: retrying would run it twice.
      Error e = clear.error();
      e.sqlstate.clear();
      e.message = label(m) + " ran but recording it failed; it stays marked dirty: " + e.message;
      return e;
    }
    log::info(std::string(verb()) + label(m), {{"version", m.version_text}, {"name", m.name},
                                               {"duration_ms", std::to_string(ms.count())}});
    return {};
  }

  Error out_of_time(const Migration& m, const Migration* last = nullptr) {
    std::string what = last ? "the batch " + label(m) + " ... " + label(*last) : label(m);
    return timed_out(
                 "out of time (migrations.timeout) while " +
                     std::string(direction_ == Direction::up ? "applying " : "rolling back ") + what +
                     ": the statement was cancelled and rolled back" + blockers_.named());
  }

  db::Connection& conn_;
  TableName table_;
  Direction direction_;
  const ApplyOptions& options_;
  const Interrupt& stop_;
  db::SessionSettings settings_;
  std::string prelude_;
  int applied_ = 0;
  std::mt19937 jitter_{std::random_device{}()};
  std::map<const Migration*, Script> scripts_;  // of the migrations this run applies
  db::Blockers blockers_;
};

}  // namespace

Result<int> apply(db::Connection& conn, const TableName& table, std::span<const Migration* const> pending,
                  const ApplyOptions& options, const Interrupt& stop) {
  return Applier(conn, table, Direction::up, options, stop).run(pending);
}

Result<int> revert(db::Connection& conn, const TableName& table, std::span<const Migration* const> applied,
                   const ApplyOptions& options, const Interrupt& stop) {
  return Applier(conn, table, Direction::down, options, stop).run(applied);
}

}  // namespace schemagate::migrate
