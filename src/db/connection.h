#pragma once
#include <chrono>
#include <functional>
#include <memory>
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
  Result<Rows> collect(const Interrupt& stop, Deadline deadline, const OnRows& on_rows = nullptr);
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
};

}  // namespace schemagate::db
