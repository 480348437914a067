#include "migrate/lease.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "log/log.h"
#include "migrate/history.h"

namespace schemagate::migrate {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// This runner's mark on the lease: random, so two runners never share one (two containers, each
// PID 1 on a host of the same name).
std::string new_holder() {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 24; ++i) token += kHex[random() % 16];
  return token;
}

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) return "?";
  return host;
}

Status create_table(db::Connection& conn, const std::string& lease, const Interrupt& stop) {
  const std::string sql = "create table if not exists " + lease +
                          " (id int primary key check (id = 1), holder text not null, held_by text not null,"
                          " acquired_at timestamptz not null, expires_at timestamptz not null,"
                          " pid int, backend_start timestamptz, direct boolean not null default false)";
  // Runners creating it at once: all but one fail, on the catalog's unique index or on the table's
  // row type, and the table is there all the same; IF NOT EXISTS then says so.
  auto raced = [](const Error& e) {
    return e.sqlstate == "23505" || e.sqlstate == "42P07" || e.sqlstate == "42710";
  };
  auto made = conn.exec(sql, stop);
  for (int again = 0; !made && raced(made.error()) && again < 3; ++again) made = conn.exec(sql, stop);
  if (!made) return made.error();
  return {};
}

// The lease held, and renewed on a session of its own until released. The renewing thread never
// logs (the log is this thread's); what it saw is reported here, on release.
class Lease final : public Lock {
 public:
  Lease(db::Connection& conn, std::string table, std::string holder)
      : conn_(conn), table_(std::move(table)), holder_(std::move(holder)) {
    renewer_ = std::thread([this] { renew_until_released(); });
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() override {
    stop_renewing();
    if (held_ && !conn_.in_transaction()) (void)give_back(Interrupt{}, Deadline::after(1s));
  }

  Status release(const Interrupt& stop) override {
    stop_renewing();
    held_ = false;
    if (lost_)
      log::warn("the migration lease on " + table_ + " was lost while it was held (" + lost_why() + ")");
    return give_back(stop, Deadline::never());
  }

  std::string fence_sql() const override {
    return "do $schemagate_fence$ begin if not exists (select from " + table_ +
           " where id = 1 and holder = " + literal(holder_) +
           " and expires_at > pg_catalog.now()) then raise exception 'this runner no longer holds the "
           "migration lease "
           "on %: it expired or another runner took it over; nothing more is recorded', " +
           literal(table_) + "; end if; end $schemagate_fence$";
  }

 private:
  Status give_back(const Interrupt& stop, Deadline deadline) {
    const std::string params[] = {holder_};
    auto done =
        conn_.query("delete from " + table_ + " where id = 1 and holder = $1", params, stop, deadline);
    if (!done) return done.error();
    return {};
  }

  void stop_renewing() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (renewer_.joinable()) renewer_.join();
  }

  std::string lost_why() {
    std::lock_guard<std::mutex> guard(mutex_);
    return why_;
  }

  // A third of the lease's length apart: two renewals may fail before it runs out.
  void renew_until_released() {
    const Interrupt never;
    std::optional<db::Connection> session;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, kLeaseLength / 3, [this] { return stopping_; })) {
      lock.unlock();
      std::string failure;
      if (!session) {
        auto opened = db::Connection::open(conn_.target(), Deadline::after(5s), never, "schemagate lease");
        if (opened)
          session.emplace(std::move(*opened));
        else
          failure = opened.error().message;
      }
      if (session) {
        const std::string params[] = {holder_, std::to_string(kLeaseLength.count())};
        auto renewed = session->query(
            "update " + table_ +
                " set expires_at = pg_catalog.now() + pg_catalog.make_interval(secs => $2::int)"
                " where id = 1 and holder = $1 and expires_at > pg_catalog.now() returning 1",
            params, never, Deadline::after(5s));
        if (!renewed) {
          failure = renewed.error().message;
          session.reset();
        } else if (renewed->size() == 0) {
          lost_ = true;
          failure = "it had expired, or another runner took it over";
        }
      }
      lock.lock();
      if (!failure.empty()) why_ = "renewing it failed: " + failure;
      // Whether it still holds is for the fence to say, in the transaction that records.
    }
  }

  db::Connection& conn_;
  const std::string table_;
  const std::string holder_;
  bool held_ = true;
  std::atomic<bool> lost_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string why_;
  std::thread renewer_;
};

}  // namespace

TableName lease_table(const TableName& table) {
  TableName lease = table;
  lease.name = table.name + "_lock";
  lease.as_written = table.as_written + "_lock";
  return lease;
}

Result<std::unique_ptr<Lock>> take_lease(db::Connection& conn, const TableName& table, Deadline deadline,
                                         const Interrupt& stop, int* backend_pid) {
  const std::string lease = qualified(lease_table(table));
  if (Status made = create_table(conn, lease, stop); !made) return made.error();
  const std::string holder = new_holder();
  const std::string params[] = {holder, std::to_string(kLeaseLength.count()), host_name(),
                                std::to_string(conn.backend_pid())};
  // One statement, so one committed transaction: taken when free, expired, or held by a session
  // that has ended (known only of a holder connected directly, whose server session is its own;
  // through a pooler the server session outlives the client, and the lease must run out). Never
  // from a live holder whose lease runs. held_by says who holds it as the advisory lock's waiters
  // say it; the row as it was comes back too, to say whose lease this was and why it was free.
  const std::string take =
      "with me as (select a.pid, a.backend_start, 'pid ' || a.pid || ' (' ||"
      " coalesce(nullif(a.application_name, ''), 'no application_name') || ', connected ' ||"
      " coalesce(to_char(a.backend_start at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?') ||"
      " ') on host ' || $3 as held_by from pg_catalog.pg_stat_activity a where a.pid = "
      "pg_catalog.pg_backend_pid()),"
      " before as (select held_by, expires_at <= pg_catalog.now() as expired from " +
      lease +
      " where id = 1)"
      " insert into " +
      lease +
      " as l (id, holder, held_by, acquired_at, expires_at, pid, backend_start, direct)"
      " values (1, $1, coalesce((select held_by from me), 'host ' || $3), pg_catalog.now(),"
      " pg_catalog.now() + pg_catalog.make_interval(secs => $2::int), pg_catalog.pg_backend_pid(),"
      " (select backend_start from me), pg_catalog.pg_backend_pid() = $4::int)"
      " on conflict (id) do update set holder = excluded.holder, held_by = excluded.held_by,"
      " acquired_at = excluded.acquired_at, expires_at = excluded.expires_at, pid = excluded.pid,"
      " backend_start = excluded.backend_start, direct = excluded.direct"
      " where l.expires_at <= pg_catalog.now() or (l.direct and not exists (select from "
      "pg_catalog.pg_stat_activity a"
      " where a.pid = l.pid and (a.backend_start is null or a.backend_start = l.backend_start)))"
      " returning pg_catalog.pg_backend_pid(), (select held_by from before), (select expired from before)";
  const std::string who =
      "select held_by, greatest(0, ceil(extract(epoch from expires_at - pg_catalog.now())))::int from " +
      lease + " where id = 1";
  auto holder_text = [&]() -> std::string {
    auto rows = conn.exec(who, stop, Deadline::after(2s));
    if (!rows || rows->size() == 0) return {};
    return std::string(rows->at(0, 0)) + ", its lease ending in " + std::string(rows->at(0, 1)) +
           " s unless renewed";
  };
  std::mt19937 jitter(std::random_device{}());
  const auto start = std::chrono::steady_clock::now();
  auto next_report = start;
  for (;;) {
    auto out_of_time = [&] {
      std::string held_by = holder_text();
      return timed_out("timed out waiting for the migration lock" +
                       (held_by.empty() ? std::string() : " (held by " + held_by + ")"));
    };
    if (deadline.expired()) return out_of_time();
    auto got = conn.query(take, params, stop, Deadline::after(10s).earlier(deadline));
    if (!got && got.error().kind == ErrorKind::Timeout && deadline.expired()) return out_of_time();
    if (!got) return got.error();
    if (got->size() == 1) {
      if (backend_pid) *backend_pid = std::stoi(std::string(got->at(0, 0)));
      if (!got->is_null(0, 1))
        log::warn("took over the migration lock from " + std::string(got->at(0, 1)) +
                  (got->at(0, 2) == "t" ? ", whose lease had run out (it stopped without giving it back)"
                                        : ", whose session has ended (it stopped without giving it back)"));
      if (next_report != start) log::info("migration lock taken");
      return std::unique_ptr<Lock>(std::make_unique<Lease>(conn, lease, holder));
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= next_report) {
      std::string held_by = holder_text();
      log::info("waiting for the migration lock" +
                (held_by.empty() ? std::string() : ", held by " + held_by));
      next_report = now + 10s;
    }
    auto pause = milliseconds(100 + static_cast<int>(jitter() % 200));
    if (int sig = stop.sleep_until(Deadline::after(pause).earlier(deadline))) return interrupted(sig);
  }
}

}  // namespace schemagate::migrate
