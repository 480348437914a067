#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/target.h"
#include "util/deadline.h"
#include "util/interrupt.h"
#include "util/result.h"

struct pg_conn;    // libpq's PGconn; no libpq header outside db/*.cpp
struct pg_result;  // libpq's PGresult

namespace schemagate::db {

// The rows of one statement, text format. Owns the libpq result.
class Rows {
 public:
  int size() const;
  int columns() const;
  bool is_null(int row, int column) const;
  std::string_view at(int row, int column) const;
  // The column with exactly this name, or -1.
  int column(std::string_view name) const;

 private:
  friend class Connection;
  struct Clear {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, Clear> res_;
};

// One server session. Move-only; the session (and its advisory locks) ends when this dies.
// Every call polls the socket beside the Interrupt's descriptor: a signal or the deadline cancels
// the statement on the server and returns Interrupted / Timeout. After Interrupted the session is
// closed: the run is stopping, and the server undoes the session's work when it ends.
// Errors: ErrorKind::Unreachable when the session is lost or cannot be opened, otherwise
// ErrorKind::MigrationFailed with the SQLSTATE and the server's message, detail and hint.
// Every message is scrubbed of the target's secrets.
class Connection {
 public:
  // application_name is "schemagate" so other sessions can tell who holds a lock; a helper
  // session names itself differently.
  static Result<Connection> open(const Target& target, Deadline deadline, const Interrupt& stop,
                                 const char* application_name = "schemagate");

  // Called with the rows of every statement that returns some, as each arrives.
  using OnRows = std::function<void(const Rows&)>;

  // One or more statements in the simple protocol; returns the last statement's rows. The
  // server runs them as one implicit transaction unless they contain their own BEGIN/COMMIT, and
  // stops at the first error.
  Result<Rows> exec(const std::string& sql, const Interrupt& stop, Deadline deadline = Deadline::never(),
                    const OnRows& on_rows = nullptr);
  // One statement; parameters travel separately from the SQL, as text.
  Result<Rows> query(std::string_view sql, std::span<const std::string> params, const Interrupt& stop,
                     Deadline deadline = Deadline::never());

  // One step of a pipeline: a statement (the extended protocol takes one at a time), a sync point
  // (the server runs what came before it, reports back, and ends an implicit transaction), or a
  // COPY ... FROM STDIN with its rows, which leaves pipeline mode while it runs.
  struct Step {
    enum class Kind { statement, sync, copy_in };
    Kind kind = Kind::statement;
    std::string_view sql;   // statement, copy_in: one statement, as written
    std::string_view data;  // copy_in: its rows in COPY's text format, without the `\.` line
    size_t tag = 0;         // the caller's, handed back with the step
  };
  // Called with each statement as its answer arrives: its rows (none for most), or its failure.
  using OnStep = std::function<void(const Step&, const Result<Rows>&)>;
  // Sends `steps` in libpq's pipeline mode: many before the first answer comes back, answers
  // read as they come, so a thousand small statements cost no thousand round trips. Once a step
  // fails nothing more is sent; the server skips what was sent after it up to the next sync (a
  // COPY waits until every step before it is answered: put a sync before it). Returns the first
  // failure, as exec does. REQUIRES: `steps` ends with a sync.
  Status pipeline(std::span<const Step> steps, const OnStep& on_step, const Interrupt& stop,
                  Deadline deadline = Deadline::never());

  // While a statement has been running for `every`, and again each `every` after, `look` is
  // called (on this thread, between reads of the socket): how the caller sees what a long
  // statement waits for. Not called while a cancel is being answered. Empty `look` stops it.
  // `look` gets the time it may take: the statement's own deadline, and a moment only for the
  // last look, made when that deadline has come, before the cancel.
  void watch(std::chrono::milliseconds every, std::function<void(Deadline)> look);

  // A message the server sends beside results (RAISE NOTICE, a WARNING): its severity as the
  // server names it (NOTICE, WARNING, INFO, ...) and its text on one line, scrubbed of secrets.
  struct Notice {
    std::string severity;
    std::string message;
  };
  // Called with every notice from now on. Empty: logged at debug level, as the notices of
  // schemagate's own statements are ("relation already exists, skipping").
  void on_notice(std::function<void(const Notice&)> handler);

  // `user@host:port/dbname` as connected.
  std::string describe() const;
  const Target& target() const { return target_; }
  int backend_pid() const;  // the server process serving this session, or 0
  // Inside a transaction block (open or failed), as the server last said.
  bool in_transaction() const;
  // Ends the transaction block, open or failed. Not interruptible (a stop must still undo), but
  // bounded (as a cancel is): a server that no longer answers is dropped, which undoes it too.
  void rollback();
  // How long a cancelled statement may take to end before the session is dropped (2 s); zero
  // drops it at once, for a session whose answer nobody needs.
  void set_cancel_wait(std::chrono::milliseconds wait) { cancel_wait_ = wait; }
  // "15.18"
  std::string server_version() const;
  int server_version_number() const;  // 150018
  void close();

 private:
  struct Finish {
    void operator()(pg_conn* c) const noexcept;
  };
  // One attempt at the target, or at one host of its list.
  static Result<Connection> open_at(const Target& target, const Target::Endpoint* endpoint, Deadline deadline,
                                    const Interrupt& stop, const char* application_name);
  // What one round of sending and reading does beyond a plain query (a pipeline, COPY data):
  // collect() calls it as the socket allows.
  class Exchange {
   public:
    virtual ~Exchange() = default;
    // Sends what it can without blocking; `halted` once a step failed or a stop began. False
    // when libpq refused.
    virtual bool send(Connection& conn, bool halted) = 0;
    virtual bool wants_to_send() const = 0;
    virtual bool awaiting() const = 0;  // a result is due, so PQgetResult may be called
    // One result, or none (the end of a query's results). True when the exchange is over.
    virtual bool take(Rows& result, const std::optional<Error>& first_error) = 0;
    // COPY ... FROM STDIN asked for data: whether this exchange has it, and to start sending it.
    virtual bool feeds_copy() const = 0;
    virtual bool feed_copy(Connection& conn) = 0;
  };
  struct Waiting {
    bool stopping;
    Deadline drain_by;
    Deadline next_look;
  };
  Result<Rows> collect(const Interrupt& stop, Deadline deadline, const OnRows& on_rows = nullptr,
                       Exchange* exchange = nullptr);
  // A wait that ended with no I/O: a look (watch) or the start of a cancel. False when the session
  // was dropped.
  bool after_wait(bool signalled, Waiting& waiting, const Interrupt& stop, std::optional<Error>& first_error);
  Error server_error(const pg_result* r) const;
  bool end_unexpected_copy(int copy_status);
  Error failure(std::string_view what) const;

  // Where libpq's notice receiver finds the handler: on the heap, so it outlives a move.
  struct NoticeSink {
    std::function<void(const Notice&)> handler;
    Target target;
  };
  std::unique_ptr<NoticeSink> notices_;
  std::unique_ptr<pg_conn, Finish> conn_;
  Target target_;
  std::chrono::milliseconds watch_every_{0};
  std::function<void(Deadline)> look_;
  std::chrono::milliseconds cancel_wait_{2000};
  bool copy_out_ = false;  // the server is sending COPY data nobody asked for: read it away
};

}  // namespace schemagate::db
