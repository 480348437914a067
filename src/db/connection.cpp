#include "db/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <thread>
#include <chrono>
#include <vector>

#include "db/sqlstate.h"
#include "log/log.h"

namespace schemagate::db {
namespace {

// libpq's connection errors span lines ("...failed: FATAL:  28P01: password ...\n" plus a hint);
// a log line must not.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// With PQERRORS_VERBOSE the server's ErrorResponse is rendered as "FATAL:  28P01: message";
// libpq keeps no structured field for errors raised while connecting, so this is where the
// SQLSTATE that decides "retry or give up" can be read (the code is never translated).
std::string sqlstate_in(std::string_view message) {
  for (std::string_view severity : {"FATAL:  ", "ERROR:  ", "PANIC:  "}) {
    size_t at = message.find(severity);
    if (at == std::string_view::npos) continue;
    std::string_view rest = message.substr(at + severity.size());
    if (rest.size() >= 6 && rest[5] == ':') {
      bool ok = true;
      for (char c : rest.substr(0, 5)) ok = ok && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'));
      if (ok) return std::string(rest.substr(0, 5));
    }
  }
  return {};
}

// Drops libpq's verbose "LOCATION:  auth.c:..." trailer, which names server source lines.
std::string without_location(std::string text) {
  for (size_t at = text.find("LOCATION:"); at != std::string::npos; at = text.find("LOCATION:")) {
    size_t end = text.find('\n', at);
    text.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
  }
  return text;
}

enum class Ready { io, signal, deadline };

// Waits for the socket, a stop signal or the deadline, whichever comes first.
Ready wait_socket(int sock, short events, const Interrupt& stop, Deadline deadline) {
  for (;;) {
    if (stop.signal()) return Ready::signal;
    if (deadline.expired()) return Ready::deadline;
    pollfd fds[2] = {{sock, events, 0}, {stop.fd(), POLLIN, 0}};
    int n = poll(fds, 2, deadline.poll_timeout_ms());
    if (n < 0 && errno != EINTR) return Ready::io;  // let libpq report the socket's state
    if (n > 0 && fds[0].revents) return Ready::io;
  }
}

}  // namespace

void Rows::Clear::operator()(pg_result* r) const noexcept { PQclear(r); }
int Rows::size() const { return res_ ? PQntuples(res_.get()) : 0; }
int Rows::columns() const { return res_ ? PQnfields(res_.get()) : 0; }
bool Rows::is_null(int row, int column) const { return PQgetisnull(res_.get(), row, column); }
std::string_view Rows::at(int row, int column) const {
  return {PQgetvalue(res_.get(), row, column),
          static_cast<size_t>(PQgetlength(res_.get(), row, column))};
}

int Rows::column(std::string_view name) const {
  for (int c = 0; c < columns(); ++c)
    if (name == PQfname(res_.get(), c)) return c;
  return -1;
}

void Connection::Finish::operator()(pg_conn* c) const noexcept { PQfinish(c); }

Result<Connection> Connection::open(const Target& target, Deadline deadline, const Interrupt& stop,
                                    const char* application_name) {
  const auto& endpoints = target.endpoints;
  if (endpoints.size() < 2) return open_at(target, nullptr, deadline, stop, application_name);
  // Each host in turn, as libpq's blocking connect would: for connect_timeout each, else for an
  // even share of the time left, so a host that never answers cannot keep the next one untried.
  std::string why;
  Error last;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    Deadline mine = deadline;
    if (target.connect_timeout_s > 0)
      mine = Deadline::after(std::chrono::seconds(target.connect_timeout_s)).earlier(deadline);
    else if (!deadline.is_never())
      mine = Deadline::after(std::chrono::milliseconds(deadline.poll_timeout_ms() /
                                                       static_cast<int>(endpoints.size() - i)));
    auto c = open_at(target, &endpoints[i], mine, stop, application_name);
    if (c || c.error().kind == ErrorKind::Interrupted) return c;
    last = c.error();
    const Target::Endpoint& e = endpoints[i];
    why += (why.empty() ? "" : "; ") +
           host_port(e.host.empty() ? e.hostaddr : e.host, e.port.empty() ? "5432" : e.port) + ": " +
           last.message;
    // As libpq: a host that answered and refused the credentials ends the list.
    if (sqlstate::is_auth_failure(last) || deadline.expired()) break;
  }
  last.message = why;
  return last;
}

Result<Connection> Connection::open_at(const Target& target, const Target::Endpoint* endpoint, Deadline deadline,
                                       const Interrupt& stop, const char* application_name) {
  std::vector<const char*> keys, values;
  if (!target.conninfo.empty()) {
    keys.push_back("dbname");  // expanded: a URL or conninfo string goes in the dbname slot
    values.push_back(target.conninfo.c_str());
  }
  // After the string, so that one host of its list is tried alone.
  if (endpoint) {
    for (auto [key, value] : {std::pair{"host", &endpoint->host}, std::pair{"hostaddr", &endpoint->hostaddr},
                              std::pair{"port", &endpoint->port}}) {
      if (value->empty()) continue;
      keys.push_back(key);
      values.push_back(value->c_str());
    }
  }
  // After the string, so it wins over an application_name the string may carry (SPEC §1 step 4).
  keys.push_back("application_name");
  values.push_back(application_name);
  keys.push_back(nullptr);
  values.push_back(nullptr);

  Connection c;
  c.target_ = target;
  c.conn_.reset(PQconnectStartParams(keys.data(), values.data(), 1));
  if (!c.conn_) return unreachable("out of memory");
  PQsetErrorVerbosity(c.conn_.get(), PQERRORS_VERBOSE);

  PostgresPollingStatusType state =
      PQstatus(c.conn_.get()) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) return c.failure("");
    short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    switch (wait_socket(PQsocket(c.conn_.get()), events, stop, deadline)) {
      case Ready::signal: return interrupted(stop.signal());
      case Ready::deadline:
        return timed_out("no answer from the server in time");
      case Ready::io: break;
    }
    state = PQconnectPoll(c.conn_.get());
  }
  PQsetErrorVerbosity(c.conn_.get(), PQERRORS_DEFAULT);
  // libpq prints server notices to stderr by default; they belong in the log, scrubbed.
  c.notices_ = std::make_unique<NoticeSink>(NoticeSink{nullptr, target});
  PQsetNoticeReceiver(
      c.conn_.get(),
      [](void* arg, const pg_result* r) {
        const NoticeSink& sink = *static_cast<const NoticeSink*>(arg);
        auto field = [r](int code) {
          const char* v = PQresultErrorField(r, code);
          return std::string(v ? v : "");
        };
        Notice n{field(PG_DIAG_SEVERITY_NONLOCALIZED), sink.target.scrub(one_line(field(PG_DIAG_MESSAGE_PRIMARY)))};
        if (sink.handler) sink.handler(n);
        else log::debug("server: " + n.severity + ":  " + n.message);
      },
      c.notices_.get());
  // Non-blocking sends, so a large statement can be interrupted while it is being written.
  PQsetnonblocking(c.conn_.get(), 1);
  return c;
}

Error Connection::failure(std::string_view what) const {
  std::string raw = without_location(PQerrorMessage(conn_.get()));
  std::string message = target_.scrub(one_line(raw));
  if (!what.empty()) message = std::string(what) + ": " + message;
  if (message.empty()) message = "connection failed";
  return unreachable(std::move(message), sqlstate_in(raw));
}

Result<Rows> Connection::exec(const std::string& sql, const Interrupt& stop, Deadline deadline,
                              const OnRows& on_rows) {
  if (!conn_) return unreachable("connection is closed");
  if (!PQsendQuery(conn_.get(), sql.c_str())) return failure("could not send");
  return collect(stop, deadline, on_rows);
}

Result<Rows> Connection::query(std::string_view sql, std::span<const std::string> params,
                               const Interrupt& stop, Deadline deadline) {
  if (!conn_) return unreachable("connection is closed");
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  if (!PQsendQueryParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0))
    return failure("could not send");
  return collect(stop, deadline);
}

Error Connection::server_error(const pg_result* r) const {
  auto field = [r](int code) {
    const char* v = PQresultErrorField(r, code);
    return std::string(v ? v : "");
  };
  std::string message = field(PG_DIAG_SQLSTATE) + ": " + field(PG_DIAG_MESSAGE_PRIMARY);
  if (auto d = field(PG_DIAG_MESSAGE_DETAIL); !d.empty()) message += "; detail: " + d;
  if (auto h = field(PG_DIAG_MESSAGE_HINT); !h.empty()) message += "; hint: " + h;
  Error e{ErrorKind::MigrationFailed, target_.scrub(one_line(message)), 0, field(PG_DIAG_SQLSTATE),
          std::atoi(field(PG_DIAG_STATEMENT_POSITION).c_str())};
  if (PQstatus(conn_.get()) == CONNECTION_BAD) e.kind = ErrorKind::Unreachable;
  return e;
}

// The server asked for COPY data this exchange does not have, or sent COPY data nobody asked
// for: end the COPY rather than wait in it (SPEC §1 step 6: nothing a migration does can make
// schemagate hang). True when libpq failed.
bool Connection::end_unexpected_copy(int copy_status) {
  auto status = static_cast<ExecStatusType>(copy_status);
  pg_conn* c = conn_.get();
  if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
    if (PQputCopyEnd(c, "schemagate sends no COPY data for this statement") < 0) return true;
  }
  // COPY OUT data is read away by collect's loop (copy_out_), which also sees where it ends.
  return false;
}

Result<Rows> Connection::collect(const Interrupt& stop, Deadline deadline, const OnRows& on_rows,
                                 Exchange* exchange) {
  pg_conn* c = conn_.get();
  std::optional<Error> first_error;
  Rows last;
  Waiting waiting{false, deadline, look_ ? Deadline::after(watch_every_) : Deadline::never()};
  for (;;) {
    if (exchange && !exchange->send(*this, waiting.stopping || first_error.has_value()))
      return failure("could not send");
    int flushed = PQflush(c);  // 1: more to send, 0: all sent, -1: failed
    if (flushed < 0) return failure("lost the connection");
    // COPY OUT data arrives outside PQgetResult; read it away as it comes.
    if (copy_out_) {
      char* row = nullptr;
      int got = 0;
      while ((got = PQgetCopyData(c, &row, 1)) > 0) PQfreemem(row);
      if (got == -1) copy_out_ = false;
      if (got == -2) return failure("lost the connection");
    }
    if (flushed == 0 && !copy_out_ && !PQisBusy(c) && (!exchange || exchange->awaiting())) {
      pg_result* r = PQgetResult(c);
      if (exchange) {
        if (r && (PQresultStatus(r) == PGRES_FATAL_ERROR || PQresultStatus(r) == PGRES_NONFATAL_ERROR) && !first_error)
          first_error = server_error(r);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_EMPTY_QUERY;
        if (r && (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)) {
          if (st != PGRES_COPY_IN || !exchange->feeds_copy()) {
            copy_out_ = st != PGRES_COPY_IN;
            if (end_unexpected_copy(static_cast<int>(st))) return failure("lost the connection");
          } else if (!exchange->feed_copy(*this)) {
            return failure("could not send COPY data");
          }
          PQclear(r);
          continue;
        }
        Rows rows;
        rows.res_.reset(r);
        if (exchange->take(rows, first_error)) break;
        continue;
      }
      if (!r) break;
      Rows rows;
      rows.res_.reset(r);
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
        if (!first_error) first_error = server_error(r);
      } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
        copy_out_ = st != PGRES_COPY_IN;
        if (end_unexpected_copy(static_cast<int>(st))) return failure("lost the connection");
      } else {
        if (on_rows && st == PGRES_TUPLES_OK && !first_error) on_rows(rows);
        last = std::move(rows);
      }
      continue;
    }
    short events = POLLIN | (flushed == 1 || (exchange && exchange->wants_to_send()) ? POLLOUT : 0);
    Ready ready = wait_socket(PQsocket(c), events, waiting.stopping ? Interrupt{} : stop,
                              waiting.stopping ? waiting.drain_by : waiting.drain_by.earlier(waiting.next_look));
    if (ready == Ready::io) {
      if (!PQconsumeInput(c)) return failure("lost the connection");
      continue;
    }
    if (!after_wait(ready == Ready::signal, waiting, stop, first_error)) break;
  }
  // A stopped run exits next: closing the session is how the server rolls back and lets go of
  // the lock at once; a ROLLBACK or an unlock sent now could wait on a stalled server.
  if (first_error && first_error->kind == ErrorKind::Interrupted) close();
  copy_out_ = false;
  if (first_error) return *first_error;
  return last;
}

bool Connection::after_wait(bool signalled, Waiting& w, const Interrupt& stop, std::optional<Error>& first_error) {
  if (!signalled && !w.stopping && !w.drain_by.expired()) {
    look_(w.drain_by);
    w.next_look = Deadline::after(watch_every_);
    return true;
  }
  // Out of time: one last look at what the statement waits for, while it still waits.
  if (!signalled && !w.stopping && look_) look_(Deadline::after(std::chrono::milliseconds(300)));
  if (w.stopping) {
    // The server did not answer the cancel in time: drop the session rather than hang.
    close();
    return false;
  }
  // SPEC §1: stop (or run out of time) means cancel on the server, then read what it says.
  w.stopping = true;
  first_error = signalled ? interrupted(stop.signal()) : timed_out("statement cancelled: out of time");
  // PQcancel connects and waits for the server's answer with no time limit: on a thread of its
  // own it cannot hold up this loop, which gives up on the session cancel_wait_ from now either way.
  if (PGcancel* cancel = PQgetCancel(conn_.get())) {
    std::thread([cancel] {
      char ignored[256];
      PQcancel(cancel, ignored, sizeof ignored);
      PQfreeCancel(cancel);
    }).detach();
  }
  w.drain_by = Deadline::after(cancel_wait_);
  return true;
}

std::string Connection::describe() const {
  if (!conn_) return target_.display();
  std::string host = PQhost(conn_.get());
  return std::string(PQuser(conn_.get())) + "@" +
         host_port(host.empty() ? "[local]" : host, PQport(conn_.get())) + "/" + PQdb(conn_.get());
}

void Connection::on_notice(std::function<void(const Notice&)> handler) {
  if (notices_) notices_->handler = std::move(handler);
}

void Connection::watch(std::chrono::milliseconds every, std::function<void(Deadline)> look) {
  watch_every_ = every;
  look_ = std::move(look);
}

int Connection::backend_pid() const { return conn_ ? PQbackendPID(conn_.get()) : 0; }

bool Connection::in_transaction() const {
  return conn_ && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
}

void Connection::rollback() {
  (void)exec("rollback", Interrupt{}, Deadline::after(cancel_wait_));
}

int Connection::server_version_number() const { return conn_ ? PQserverVersion(conn_.get()) : 0; }

std::string Connection::server_version() const {
  int v = conn_ ? PQserverVersion(conn_.get()) : 0;
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

void Connection::close() { conn_.reset(); }

}  // namespace schemagate::db
