// Suite `db`: the connection wrapper itself (src/db/connection.h) against a real server, for what no
// migration file can reach once the file checks have run: whatever state a statement puts the
// session in (COPY IN, COPY OUT, COPY BOTH), the deadline and a stop signal still end it and
// nothing spins (SPEC §1 step 6). Links schemagate_core.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "db/connection.h"
#include "db/target.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "util/interrupt.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("db");

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

db::Connection open(const Project& p) {
  auto target = db::Target::parse(p.cluster().url(p.db()));
  REQUIRE(target);
  auto conn = db::Connection::open(*target, Deadline::after(10s), Interrupt{});
  REQUIRE_MESSAGE(conn, (conn ? "" : conn.error().message));
  return std::move(*conn);
}

// Never end by themselves. The first streams rows as fast as the server makes them; the second
// computes before its first row (generate_series in FROM is materialized), so the server's
// CopyOutResponse is still in its buffer when the cancel comes, and arrives together with the
// error.
const std::vector<std::string> kEndlessCopyOut = {
    "copy (select repeat('x', 200) from pg_class a, pg_class b, pg_class c, pg_class d) to stdout",
    "copy (select g from generate_series(1, 1000000000000) g) to stdout"};

TEST_CASE("COPY FROM STDIN and COPY BOTH sent where no data is expected are ended at once, not waited in") {
  Project p;
  p.psql("create table t (x int);");
  db::Connection conn = open(p);
  auto started = Clock::now();
  auto copy_in = conn.exec("copy t from stdin", Interrupt{}, Deadline::after(30s));
  REQUIRE_FALSE(copy_in);
  CHECK(contains(copy_in.error().message, "schemagate sends no COPY data for this statement"));
  CHECK(seconds_since(started) < 2.0);
  // The session is usable afterwards and nothing was loaded.
  auto after = conn.exec("select count(*) from t", Interrupt{}, Deadline::after(10s));
  REQUIRE(after);
  CHECK(after->at(0, 0) == "0");

  // COPY BOTH: what START_REPLICATION answers on a replication session; a normal session refuses
  // the command, and the refusal comes back as an error, not a hang.
  auto both = conn.exec("start_replication 0/0", Interrupt{}, Deadline::after(10s));
  CHECK_FALSE(both);
}

TEST_CASE("COPY TO STDOUT that never ends: the deadline cancels it (2 s: out of time within 4 s)") {
  for (const std::string& copy : kEndlessCopyOut) {
    CAPTURE(copy);
    Project p;
    db::Connection conn = open(p);
    auto started = Clock::now();
    auto result = conn.exec(copy, Interrupt{}, Deadline::after(2s));
    double took = seconds_since(started);
    REQUIRE_FALSE(result);
    CHECK_MESSAGE(result.error().kind == ErrorKind::Timeout, result.error().message);
    CHECK(took >= 1.9);
    CHECK(took < 4.0);
    CHECK(wait_until([&] { return p.backends("state = 'active' and query like 'copy (select%'") == 0; }, 5s));
    // The session is usable afterwards.
    auto after = conn.exec("select 1", Interrupt{}, Deadline::after(10s));
    CHECK(after);
  }
}

TEST_CASE("COPY TO STDOUT that never ends: a stop signal ends it within 2 s") {
  Project p;
  const std::string& copy = kEndlessCopyOut.front();
  db::Connection conn = open(p);
  // SIGTERM blocked in this thread and the watcher it starts, read from a signalfd, as the binary
  // does (exec/signal_gate).
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t previous;
  REQUIRE(pthread_sigmask(SIG_BLOCK, &term, &previous) == 0);
  int fd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK);
  REQUIRE(fd >= 0);
  Interrupt stop(fd);

  std::atomic<bool> sent{false};
  Clock::time_point signalled;
  std::thread watcher([&] {
    // Once the server is streaming the rows, the signal arrives.
    if (wait_until([&] { return p.backends("state = 'active' and query like 'copy (select%'") == 1; }, 20s)) {
      signalled = Clock::now();
      sent = true;
      kill(getpid(), SIGTERM);
    }
  });
  auto result = conn.exec(copy, stop, Deadline::after(60s));
  auto ended = Clock::now();
  watcher.join();
  close(fd);
  REQUIRE(pthread_sigmask(SIG_SETMASK, &previous, nullptr) == 0);

  REQUIRE(sent);
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::Interrupted);
  CHECK(std::chrono::duration<double>(ended - signalled).count() < 2.0);
  // A stopped session is closed (the run exits next): its backend goes with it.
  CHECK(wait_until([&] { return p.backends("query like 'copy (select%'") == 0; }, 5s));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
