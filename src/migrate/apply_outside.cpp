#include "migrate/applier.h"

#include <algorithm>

namespace schemagate::migrate::applying {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

Status Applier::run_outside_transaction(const Migration& m, size_t from) {
  const Section& sec = section(m);
  if (from == 0)
    log::info("running " + label(m) + (direction_ == Direction::up ? "" : " (down)") + " outside a transaction (" +
              script(m).why_not_transactional + "); it stays marked dirty until it finishes");
  auto started = std::chrono::steady_clock::now();
  noticing_ = &m;
  starting(m);
  if (!prelude_.empty())
    if (auto reset = conn_.exec(prelude_, stop_, options_.deadline); !reset) return reset.error();
  std::string mark_sql =
      direction_ == Direction::up ? record_sql(table_, m, true) : mark_dirty_sql(table_, m.version_text);
  if (from == 0)
    if (auto mark = conn_.exec(fenced(mark_sql), stop_, options_.deadline); !mark) return mark.error();
  bool first = from == 0;
  long long resumable_at = -1;  // as the tracking row says
  for (const sql::Statement& s : script(m).statements) {
    if (s.offset < from) continue;
    // An interrupted CREATE INDEX CONCURRENTLY can be taken up again by the next run (resume.h):
    // the row says so while one runs, and only if every statement before it has finished.
    long long here = direction_ == Direction::up && s.kind == sql::Kind::no_transaction && sql::index_build(s.text)
                         ? static_cast<long long>(s.offset)
                         : -1;
    if (here != resumable_at) {
      if (auto noted = conn_.exec(fenced(resume_at_sql(table_, m.version_text, here)), stop_, options_.deadline); !noted)
        return noted.error();
      resumable_at = here;
    }
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
    // On a direct session, around the statement; through a pooler, in the statement's own
    // pipeline segment (db::SessionSettings::without_lock_timeout_pooled).
    const bool lift_lock_timeout = waits_for_others && !options_.pooled;
    // Past the first statement, one that failed on a lock or a deadlock changed nothing by
    // itself and is tried again where it stands; but not one that can fail part-way (a
    // CONCURRENTLY one leaves an invalid index; DO and CALL may commit inside), one that ends or
    // opens a transaction (a failed COMMIT has already rolled back), nor one inside a
    // transaction block of the file's own (the failure aborted the block).
    const bool may_retry = !first && !waits_for_others && !conn_.in_transaction() && !sql::controls_transactions(s.kind);
    Result<db::Rows> ran = Error{};
    for (int attempt = 1;; ++attempt) {
      if (lift_lock_timeout)
        (void)conn_.exec(db::SessionSettings::lock_timeout_sql(milliseconds(0)), stop_, options_.deadline);
      blockers_.forget();
      if (waits_for_others && options_.pooled) {
        Status lifted = db::SessionSettings::without_lock_timeout_pooled(conn_, s.text, stop_, options_.deadline);
        ran = lifted ? Result<db::Rows>(db::Rows()) : Result<db::Rows>(lifted.error());
      } else {
        ran = s.kind == sql::Kind::copy_in ? copy_in(s) : conn_.exec(std::string(s.text), stop_, options_.deadline);
      }
      if (!ran) ran = blockers_.explain(ran.error());
      if (lift_lock_timeout)
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
      // Through a pooler the session has no settings of schemagate's: a transaction block the file
      // opens carries them itself, as SET LOCALs (not queries: a SET TRANSACTION may follow).
      if (s.kind == sql::Kind::begin && options_.pooled)
        if (auto set = conn_.exec(settings_.sql(db::Scope::transaction), stop_, options_.deadline); !set)
          return set.error();
      continue;
    }
    Error e = ran.error();
    // Failing on its first statement, the migration changed nothing: it leaves no mark either
    // (so that `repair` cannot later record it as applied, nor a rollback that undid nothing
    // need one) and may be retried like any other.
    if (first && e.kind == ErrorKind::MigrationFailed) {
      (void)conn_.exec(direction_ == Direction::up ? delete_sql(table_, m.version_text)
                                                   : clear_dirty_sql(table_, m.version_text),
                       stop_, options_.deadline);
      e.message = "migration " + label(m) + (direction_ == Direction::up ? "" : " (down)") + " failed: " + e.message;
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
    // Refused on its data, a CREATE INDEX CONCURRENTLY would be refused again: not for resuming.
    if (resumable_at >= 0) (void)conn_.exec(resume_at_sql(table_, m.version_text, -1), stop_, options_.deadline);
    // The server's text may end its own sentence (a hint does).
    if (!e.message.ends_with('.')) e.message += '.';
    e.message = "migration " + label(m) + (direction_ == Direction::up ? "" : " (down)") +
                " failed part-way and is marked dirty: " + e.message +
                (direction_ == Direction::up
                     ? " Check the database; if you finish the migration by hand, `schemagate repair` records it "
                       "as applied; if you undo it, delete its row: " + delete_sql(table_, m.version_text)
                     : " Check the database; if you finish rolling it back by hand, delete its row: " +
                           delete_sql(table_, m.version_text) +
                           "; if you restore what it undid, `schemagate repair` records it as applied again");
    // Not retried as a whole: part of the file has run.
    e.sqlstate.clear();
    size_t at = where(e);
    e.position = 0;
    return located(std::move(e), sec, at);
  }
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  // As schemagate's own user, whatever the migration SET: the fence and the row after the restore
  // (one implicit transaction, where SET LOCAL holds, through a pooler).
  std::string done_sql = settings_.restore_sql(options_.pooled ? db::Scope::transaction : db::Scope::session) +
                         fenced(direction_ == Direction::up ? mark_done_sql(table_, m.version_text, ms)
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

Result<db::Rows> Applier::copy_in(const sql::Statement& s) {
  const db::Connection::Step steps[] = {{db::Connection::Step::Kind::copy_in, s.text, s.data, 0},
                                        {db::Connection::Step::Kind::sync, {}, {}, 1}};
  Status copied = conn_.pipeline(steps, [](const auto&, const auto&) {}, stop_, options_.deadline);
  if (!copied) return copied.error();
  return db::Rows();
}

// MIGRATION_RETRY_DELAY_SECONDS after a transient failure, plus up to a quarter more so that
// runners held up by the same lock do not come back in step.
Status Applier::pause_before_retry(const Error& e, int attempt) {
  milliseconds pause = options_.retry_delay + milliseconds(jitter_() % (options_.retry_delay.count() / 4 + 1));
  log::warn(e.message + "; retrying in " + format_seconds(pause) + " (" + std::to_string(attempt) + "/" +
            std::to_string(options_.retry_attempts) + ")");
  if (int sig = stop_.sleep_until(Deadline::after(pause).earlier(options_.deadline))) return interrupted(sig);
  return {};
}

// RAISE NOTICE and WARNING from a migration reach the log, tagged with the migration that raised
// them; a replay's (replay_to_locate) repeat what was logged already.
void Applier::note(const db::Connection::Notice& n) const {
  if (!noticing_) {
    log::debug("server: " + n.severity + ":  " + n.message);
    return;
  }
  const Migration& m = *noticing_;
  const std::string text = label(m) + ": " + n.message;
  const log::Fields fields = {{"version", m.version_text}, {"severity", n.severity}};
  if (n.severity == "WARNING") log::warn("warning from " + text, fields);
  else if (n.severity == "DEBUG" || n.severity == "LOG") log::debug("server message from " + text, fields);
  else log::info("notice from " + text, fields);
}

Error Applier::out_of_time(const Migration& m) {
  return timed_out("out of time (migrations.timeout) while " +
                   std::string(direction_ == Direction::up ? "applying " : "rolling back ") + label(m) +
                   ": the statement was cancelled and rolled back" + blockers_.named());
}

}  // namespace schemagate::migrate::applying
