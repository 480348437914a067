#include "migrate/apply.h"

#include <algorithm>

#include "migrate/applier.h"

namespace schemagate::migrate {
namespace applying {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

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
  // Before anything runs: psql-only SQL, and what a single transaction cannot hold.
  for (const Migration* m : pending) {
    const Script& s = script(*m);
    if (s.problem) return *s.problem;
    if (options_.single_transaction && (!s.transactional || s.own_transaction))
      return bad_migrations(
          section(*m).path + ": " +
          (s.own_transaction ? "opens its own transaction" : "runs outside a transaction (" + s.why_not_transactional + ")") +
          ", which one transaction for the whole run (MIGRATIONS_SINGLE_TRANSACTION) cannot hold; nothing was applied");
  }
  settings_ = db::SessionSettings::for_server(conn_, options_.lock_timeout);
  prelude_ = session_prelude();
  auto result = run_all(pending);
  // What the migrations SET must not follow the session into the verify step (pg_dump empties
  // the search_path). Through a pooler each migration's transaction has reset it already, and a
  // RESET now would reach whichever server session is free.
  if (result && !options_.pooled) (void)conn_.exec("reset all", stop_, options_.deadline);
  return result;
}

Status Applier::resume(const Migration& m, size_t from) {
  scripts_.emplace(&m, analyse(section(m)));
  settings_ = db::SessionSettings::for_server(conn_, options_.lock_timeout);
  prelude_ = session_prelude();
  Status done = run_outside_transaction(m, from);
  if (done && !options_.pooled) (void)conn_.exec("reset all", stop_, options_.deadline);
  return done;
}

void Applier::starting(const Migration& m) {
  if (started_ == &m) return;
  started_ = &m;
  if (options_.on_start) options_.on_start(m);
}

Result<int> Applier::run_all(std::span<const Migration* const> pending) {
  size_t next = 0;
  int retries_left = options_.retry_attempts;
  while (next < pending.size()) {
    Status ran;
    size_t done = 0;
    if (!script(*pending[next]).transactional) {
      ran = run_outside_transaction(*pending[next]);
      done = ran ? 1 : 0;
    } else {
      // Every transactional migration up to the next one that is not goes in one pipeline.
      size_t end = next;
      while (end < pending.size() && script(*pending[end]).transactional) ++end;
      ran = run_window(pending.subspan(next, end - next), options_.single_transaction, done);
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

std::string Applier::guard_sql(const Migration& previous) const {
  // A division by zero when `previous` is not as it should be by now (recorded going up, gone
  // going down): its COMMIT failed after this migration was already on its way.
  std::string count = "(select count(*)::int from " + qualified(table_) + " where version = '" +
                      previous.version_text + "')";
  return "1 / " + (direction_ == Direction::up ? count : "(1 - " + count + ")");
}

std::string Applier::start_sql(const Migration* previous) const {
  return "select " + settings_.set_config_calls(db::Scope::transaction) +
         ", pg_catalog.set_config('schemagate.mark', pg_catalog.clock_timestamp()::text, true)" +
         (previous ? ", " + guard_sql(*previous) : "");
}

Window Applier::build_window(std::span<const Migration* const> window, bool single) {
  Window w;
  auto step = [&](db::Connection::Step::Kind kind, std::string_view sql, size_t migration, Role role,
                  const sql::Statement* statement = nullptr) {
    w.steps.push_back({kind, sql, statement ? statement->data : std::string_view(), w.about.size()});
    w.about.push_back({migration, role, statement});
  };
  auto own = [&](std::string text, size_t migration, Role role = Role::own) {
    w.texts.push_back(std::move(text));
    step(db::Connection::Step::Kind::statement, w.texts.back(), migration, role);
  };
  auto sync = [&](size_t migration) { step(db::Connection::Step::Kind::sync, {}, migration, Role::own); };
  // Whatever the migration did to its session, its row is written (and a file's own transaction
  // guarded, below) as schemagate's own user with schemagate's settings
  // (db::SessionSettings::restore_sql).
  auto record = [&](size_t i, const Migration* guarded_by = nullptr) {
    own("reset session authorization", i);
    own("reset role", i);
    own("select pg_catalog.set_config('search_path', 'pg_catalog', true), " +
            settings_.set_config_calls(db::Scope::transaction),
        i);
    if (guarded_by) own("select " + guard_sql(*guarded_by), i);
    if (!options_.fence.empty()) own(options_.fence, i);
    own(tracking(*window[i]), i, Role::record);
  };
  // After a COMMIT, before the sync: nothing the migration SET outlives it. Through a
  // transaction-mode pooler the server session goes to another client (the app, perhaps) only once
  // the sync has been answered, and pg_dump's header empties the search_path. After the COMMIT, not
  // before: the COMMIT runs deferred triggers under the settings the migration and its row had.
  auto reset = [&](size_t i) { own("reset all", i); };

  if (single) own("begin", 0);
  for (size_t i = 0; i < window.size(); ++i) {
    const Script& s = script(*window[i]);
    const Migration* previous = i > 0 && !single ? window[i - 1] : nullptr;
    if (s.own_transaction) {
      // What an earlier migration left is reset in a transaction of its own; the settings follow
      // the file's BEGIN (below).
      own("reset all", i);
      sync(i);
    } else {
      if (!single) own("begin", i);
      own("reset all", i);
      own(start_sql(previous), i);
    }
    for (size_t k = 0; k < s.statements.size(); ++k) {
      const sql::Statement& st = s.statements[k];
      if (st.kind == sql::Kind::meta_command) continue;  // pg_dump's guards; others refused in run()
      if (s.own_transaction && st.offset == s.commit_offset) {
        record(i, previous);
        step(db::Connection::Step::Kind::statement, st.text, i, Role::commit, &st);
        reset(i);
        continue;
      }
      if (st.kind == sql::Kind::copy_in) {
        sync(i);  // COPY leaves the pipeline: everything before it answered first
        step(db::Connection::Step::Kind::copy_in, st.text, i, Role::statement, &st);
        continue;
      }
      step(db::Connection::Step::Kind::statement, st.text, i, Role::statement, &st);
      // SET LOCALs, not a SELECT: a SET TRANSACTION ISOLATION LEVEL after the BEGIN must come
      // before any query of the transaction. Its duration is measured from the BEGIN (now()).
      if (s.own_transaction && st.kind == sql::Kind::begin)
        for (std::string& set : settings_.statements(db::Scope::transaction)) own(std::move(set), i);
    }
    if (!s.own_transaction) {
      record(i);
      if (!single) {
        own("commit", i, Role::commit);
        reset(i);
      }
    }
    if (!single) sync(i);
  }
  if (single) {
    own("commit", window.size() - 1, Role::commit);
    reset(window.size() - 1);
    sync(window.size() - 1);
  }
  return w;
}

Status Applier::run_window(std::span<const Migration* const> window, bool single, size_t& done) {
  const Window w = build_window(window, single);
  std::vector<std::string> durations(window.size(), "?");
  std::optional<size_t> failed_tag;
  done = 0;
  auto committed = [&](size_t i) {
    const Migration& m = *window[i];
    log::info(std::string(verb()) + label(m),
              {{"version", m.version_text}, {"name", m.name}, {"duration_ms", durations[i]}});
  };
  noticing_ = window.front();
  starting(*window.front());
  auto on_step = [&](const db::Connection::Step& step, const Result<db::Rows>& result) {
    const Window::Step& about = w.about[step.tag];
    noticing_ = window[about.migration];
    if (!result) {
      failed_tag = step.tag;
      return;
    }
    // The server has gone on to the next step, which may be the next migration's (a sync
    // reports nothing of its own, so look past it).
    size_t next = step.tag + 1;
    while (next < w.steps.size() && w.steps[next].kind == db::Connection::Step::Kind::sync) ++next;
    if (next < w.steps.size()) starting(*window[w.about[next].migration]);
    if (about.role == Role::record && result->size() == 1) durations[about.migration] = result->at(0, 1);
    if (about.role != Role::commit) return;
    // Logged as each commits: a line per migration that is really there.
    if (single) {
      for (size_t i = 0; i < window.size(); ++i) committed(i);
      done = window.size();
    } else {
      committed(about.migration);
      done = about.migration + 1;
    }
  };
  blockers_.forget();
  // A failed migration leaves its transaction open and aborted: none is left open.
  auto tx = db::Transaction::of(conn_);
  Status ran = conn_.pipeline(w.steps, on_step, stop_, options_.deadline);
  if (ran) return {};
  Error e = blockers_.explain(ran.error());
  if (e.kind == ErrorKind::Interrupted || e.kind == ErrorKind::Unreachable) return e;
  tx.rollback();
  return failure(w, window, failed_tag, done, std::move(e), single);
}

Error Applier::failure(const Window& w, std::span<const Migration* const> window, std::optional<size_t> failed_tag,
                       size_t done, Error e, bool single) {
  // Without a failed step (out of time between two), the first migration that did not commit.
  const Window::Step* about = failed_tag ? &w.about[*failed_tag] : nullptr;
  size_t index = about ? about->migration : std::min(window.size() - 1, done);
  const Migration& m = *window[index];
  const Section& sec = section(m);
  if (e.kind == ErrorKind::Timeout) return out_of_time(m);
  const std::string rolled_back =
      single && window.size() > 1 ? " (one transaction for the run: nothing was applied)" : "";
  if (about && about->role == Role::commit && !about->statement) {
    // Every statement ran; the COMMIT itself failed (a deferred constraint, a serialization failure).
    e.message = "migration " + label(m) + " failed at COMMIT and was rolled back" + rolled_back + ": " + e.message;
    return unlocated(std::move(e), sec);
  }
  e.message = "migration " + label(m) + " failed" + rolled_back + ": " + e.message;
  if (!about || !about->statement) return unlocated(std::move(e), sec);
  // The server counts its position in characters of the statement it was sent; without one, the
  // statement's first token.
  const sql::Statement& st = *about->statement;
  size_t at = st.offset + (e.position > 0 ? byte_offset_of(st.text, e.position)
                                          : st.text.size() - sql::without_leading_comments(st.text).size());
  e.position = 0;
  return located(std::move(e), sec, at);
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
