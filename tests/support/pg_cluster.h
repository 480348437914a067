// A throwaway PostgreSQL 15 cluster for integration tests: initdb in a temp dir, a free port on
// 127.0.0.1, durability off for speed, stopped and deleted in the destructor. Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace schemagate::testing {

// PostgreSQL 15's programs (initdb, pg_ctl, psql...), where Debian installs them.
inline std::string pg_bin(const std::string& name) { return "/usr/lib/postgresql/15/bin/" + name; }
inline const std::string kPsql = pg_bin("psql");

// `argv` prefixed with `runuser -u postgres --` when running as root: initdb, pg_ctl and the
// server refuse to run as root.
std::vector<std::string> as_server_user(std::vector<std::string> argv);

// A port of 127.0.0.1 free now (the kernel's pick for port 0); a server started on it moments later
// may lose it to another process, and should retry.
int pick_free_port();

class PgCluster {
 public:
  // One cluster per test process, started on first use and stopped at exit. Tests share it by
  // each taking a database of their own (create_database).
  static PgCluster& shared();

  // A private cluster, for a test that stops, restarts or breaks the server. Started on return;
  // throws std::runtime_error with initdb's or the server log's text when it cannot start.
  // REQUIRES: PostgreSQL 15 in /usr/lib/postgresql/15/bin; as root, a `postgres` OS user.
  PgCluster();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  std::string host() const { return "127.0.0.1"; }
  int port() const { return port_; }
  std::string socket_dir() const { return dir_; }
  std::string log_path() const;  // the server's log, for a failing test to print
  // kSuperuserCanaryPassword (support/canary.h): URL-special characters, so percent-encode it in
  // a hand-built URL.
  std::string superuser_password() const { return superuser_password_; }

  // postgresql://user:password@127.0.0.1:port/db, each part percent-encoded. Without `password`,
  // the one this cluster knows for `user` (the superuser's, or create_role's), else none.
  std::string url(const std::string& db, const std::string& user = "postgres",
                  std::optional<std::string> password = {}) const;

  // libpq's PGHOST, PGPORT, PGDATABASE, PGUSER and (when known) PGPASSWORD for the same target,
  // for tests of the no-DATABASE_URL path. Merge into RunOptions::env.
  std::map<std::string, std::string> pg_env(const std::string& db,
                                            const std::string& user = "postgres") const;

  // A new, empty database with a name unique in this cluster; returns the name.
  std::string create_database();

  // A LOGIN SUPERUSER role authenticating with `password` over TCP (scram-sha-256).
  void create_role(const std::string& name, const std::string& password);

  // Runs `sql` as a psql script (statement by statement, stopping at the first error) as
  // `postgres` over the unix socket. Returns stdout trimmed, rows one per line, columns '|'-joined.
  // Throws std::runtime_error with psql's stderr on failure.
  std::string psql(const std::string& db, const std::string& sql);

  // pg_ctl -m immediate stop (a crash, as far as the server knows) and start again on the same
  // port, for tests of waiting and lost connections. Both throw if the server is not in the
  // opposite state.
  void stop();
  void start();
  bool is_running() const { return is_running_; }

 private:
  void start_on(int port);
  void stop_quietly() noexcept;

  std::string dir_;  // holds data/, the server log, the unix socket and psql scripts
  int port_ = 0;
  bool is_running_ = false;
  std::string superuser_password_;
  std::map<std::string, std::string> passwords_;  // by role name, for url() and pg_env()
  int databases_created_ = 0;
  int scripts_run_ = 0;
};

}  // namespace schemagate::testing
