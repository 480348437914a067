#pragma once
// The applier behind apply() and revert() (apply.h), in two files: apply.cpp sends transactional
// migrations in batches, apply_outside.cpp runs a non-transactional one statement by statement.
// Internal to migrate/.
#include "migrate/apply.h"

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

// Enough to send a thousand ordinary migrations at once without building an unbounded string.
constexpr size_t kBatchBytes = 16 << 20;
// A migration larger than this (a data load, a pg_dump --inserts) is sent as it is, between the
// statements that open and close its transaction, rather than copied into a batch: libpq already
// holds a copy of it while it is sent, and a container's memory limit counts every copy.
constexpr size_t kSentApartBytes = 4 << 20;

inline std::string label(const Migration& m) { return m.version_text + (m.name.empty() ? "" : " " + m.name); }

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
            const std::string& tracking, const std::string& prelude);

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
  // them; a replay's (replay_to_locate) repeat what was logged already.
  void note(const db::Connection::Notice& n) const;

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
  Batch build_batch(std::span<const Migration* const> pending);

  // All or nothing: on any error the server rolls the whole batch back.
  Status run_batch(const Batch& batch, size_t& done);

  // The server gives no position for errors found while running (division by zero, a constraint,
  // a missing relation at execution). To still point at the statement, run the batch again up to
  // the failing migration, then that migration statement by statement, inside a transaction that
  // is always rolled back. Only on the failure path; returns the failing statement's offset.
  std::optional<size_t> replay_to_locate(const Batch& batch, size_t failed_index);

  // Statement by statement, marked dirty until done; from byte `from` of its SQL when resuming.
  Status run_outside_transaction(const Migration& m, size_t from = 0);

  Error out_of_time(const Migration& m, const Migration* last = nullptr);

  db::Connection& conn_;
  TableName table_;
  Direction direction_;
  const ApplyOptions& options_;
  const Interrupt& stop_;
  db::SessionSettings settings_;
  const Migration* noticing_ = nullptr;  // the migration whose statements the server runs now
  std::string prelude_;
  int applied_ = 0;
  std::mt19937 jitter_{std::random_device{}()};
  std::map<const Migration*, Script> scripts_;  // of the migrations this run applies
  db::Blockers blockers_;
};

}  // namespace schemagate::migrate::applying
