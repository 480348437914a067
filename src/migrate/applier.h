#pragma once
// The applier behind apply() and revert() (apply.h), in two files: apply.cpp sends transactional
// migrations in a pipeline, each its own transaction; apply_outside.cpp runs a non-transactional
// one statement by statement.
// Internal to migrate/.
#include "migrate/apply.h"

#include <deque>
#include <map>
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

namespace schemagate::migrate::applying {

inline std::string label(const Migration& m) { return m.version_text + (m.name.empty() ? "" : " " + m.name); }

enum class Direction { up, down };

// What a step of a window does for its migration.
enum class Role {
  own,        // schemagate's: BEGIN, the session's settings, a sync
  statement,  // one of the migration's statements
  record,     // the tracking row's change, which comes back with the migration's duration
  commit,     // the step whose success commits the migration
};

// Migrations sent in one pipeline (db::Connection::pipeline): each migration its own
// transaction with its tracking row, or, with MIGRATIONS_SINGLE_TRANSACTION, all of them one.
struct Window {
  struct Step {
    size_t migration;  // index into the window's migrations
    Role role;
    const sql::Statement* statement;  // Role::statement
  };
  std::vector<db::Connection::Step> steps;  // tag: index into `about`
  std::vector<Step> about;
  std::deque<std::string> texts;  // the SQL schemagate adds; steps point into it
};

Error located(Error e, const Section& section, size_t byte_offset);

Error unlocated(Error e, const Section& section);

class Applier {
 public:
  Applier(db::Connection& conn, const TableName& table, Direction direction, const ApplyOptions& options,
          const Interrupt& stop)
      : conn_(conn),
        table_(table),
        direction_(direction),
        options_(options),
        stop_(stop),
        blockers_(conn, options.lock_timeout, stop) {
    conn_.on_notice([this](const db::Connection::Notice& n) { note(n); });
  }
  ~Applier() { conn_.on_notice(nullptr); }
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  Result<int> run(std::span<const Migration* const> pending);
  // The rest of non-transactional migration m, from the statement at byte `from` of its SQL.
  Status resume(const Migration& m, size_t from);

  Result<int> run_all(std::span<const Migration* const> pending);

 private:
  // MIGRATION_RETRY_DELAY_SECONDS after a transient failure, plus up to a quarter more so that
  // runners held up by the same lock do not come back in step.
  Status pause_before_retry(const Error& e, int attempt);

  // RAISE NOTICE and WARNING from a migration reach the log, tagged with the migration that raised
  // them.
  void note(const db::Connection::Notice& n) const;

  const Section& section(const Migration& m) const { return direction_ == Direction::up ? m.up : m.down; }
  const Script& script(const Migration& m) const { return scripts_.at(&m); }
  // The tracking row's change inside the migration's transaction (RETURNING its duration).
  std::string tracking(const Migration& m) const {
    return direction_ == Direction::up ? record_sql(table_, m, false) : forget_sql(table_, m);
  }
  std::string_view verb() const { return direction_ == Direction::up ? "applied " : "rolled back "; }

  // Sent before a non-transactional migration: it starts from the same session state whatever the
  // one before it SET (pg_dump output sets lock_timeout = 0 and an empty search_path), and with the
  // mark its duration is measured from. Nothing through a pooler: a statement outside a transaction
  // cannot carry a setting of its own, and a session SET would stay on whichever server session
  // ran it, for the next client; the migration's statements run under the server's settings.
  std::string session_prelude() const {
    if (options_.pooled) return {};
    return db::SessionSettings::reset_identity_sql() + "reset all;\n" + settings_.sql() + start_clock_sql();
  }

  // The migrations of `window` (transactional, in order) as pipeline steps: each its own
  // transaction, or all of them one when `single`.
  Window build_window(std::span<const Migration* const> window, bool single);
  // Sends the window; `done` is how many of its migrations committed.
  Status run_window(std::span<const Migration* const> window, bool single, size_t& done);
  // The error a failed step of the window stands for, naming its migration and where in its file.
  Error failure(const Window& w, std::span<const Migration* const> window, std::optional<size_t> failed_tag,
                size_t done, Error e, bool single);
  // The statements that start a migration: settings back to schemagate's, the mark its duration
  // is measured from and, when it follows `previous` in a window, a check that `previous` committed.
  std::string start_sql(const Migration* previous) const;
  std::string guard_sql(const Migration& previous) const;
  // `sql` after the fence (ApplyOptions::fence), as one implicit transaction: not written once
  // this runner no longer holds the lock.
  std::string fenced(const std::string& sql) const { return options_.fence.empty() ? sql : options_.fence + ";\n" + sql; }

  // COPY ... FROM STDIN with its rows, outside a transaction.
  Result<db::Rows> copy_in(const sql::Statement& s);
  // Statement by statement, marked dirty until done; from byte `from` of its SQL when resuming.
  Status run_outside_transaction(const Migration& m, size_t from = 0);

  Error out_of_time(const Migration& m);
  // Tells options_.on_start, once, that the server has started on `m`.
  void starting(const Migration& m);

  db::Connection& conn_;
  TableName table_;
  Direction direction_;
  const ApplyOptions& options_;
  const Interrupt& stop_;
  db::SessionSettings settings_;
  const Migration* noticing_ = nullptr;  // the migration whose statements the server runs now
  const Migration* started_ = nullptr;   // the last one on_start was told of
  std::string prelude_;
  int applied_ = 0;
  std::mt19937 jitter_{std::random_device{}()};
  std::map<const Migration*, Script> scripts_;  // of the migrations this run applies
  db::Blockers blockers_;
};

}  // namespace schemagate::migrate::applying
