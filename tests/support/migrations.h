// Helpers for the migration integration tests: a throwaway migrations directory, a database of
// the test's own with schemagate pointed at both, waiting on database state and the questions
// several suites ask of it, and a psql session that holds a lock until the test lets go.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/files.h"
#include "support/gate.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {

// SHA-256 of `text` as lower-case hex, computed by coreutils rather than by the code under test.
inline std::string sha256_of(const std::string& text) {
  TempDir dir("mig");
  dir.write("input", text);
  RunResult result = run({"sha256sum", dir.file("input")});
  if (result.exit_code != 0) throw std::runtime_error("sha256sum: " + result.err);
  return result.out.substr(0, 64);
}

// Polls `ready` every 20 ms until it returns true or `max` passes; whether it became true. For
// waiting on database state (pg_stat_activity, pg_locks), never as a substitute for it.
inline bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds max) {
  auto until = std::chrono::steady_clock::now() + max;
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Seconds from `start` until now: how long a run or a part of a case took.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "-- migrate:up\n<up>" plus, when `down` is given, "-- migrate:down\n<down>": a single-file
// migration's text.
inline std::string migration(const std::string& up, const std::string& down = "") {
  std::string text = "-- migrate:up\n" + up;
  if (!text.ends_with("\n")) text += "\n";
  if (!down.empty()) {
    text += "-- migrate:down\n" + down;
    if (!text.ends_with("\n")) text += "\n";
  }
  return text;
}

// A database of the test's own (on the shared cluster unless given another), a migrations
// directory, and schemagate run against both as a user would: DATABASE_URL, MIGRATIONS_DIR, quick
// connection retries.
class Project {
 public:
  Project() : Project(PgCluster::shared()) {}
  explicit Project(PgCluster& cluster) : cluster_(cluster), db_(cluster_.create_database()) {}

  PgCluster& cluster() const { return cluster_; }
  const std::string& db() const { return db_; }
  const TempDir& dir() const { return dir_; }
  void write(const std::string& name, const std::string& text) const { dir_.write(name, text); }
  std::string file(const std::string& name) const { return dir_.file(name); }

  // Environment for schemagate; `extra` adds or overrides variables.
  RunOptions options(const std::map<std::string, std::string>& extra = {}) const {
    RunOptions options = gate_options();
    options.env = {{"DATABASE_URL", cluster_.url(db_)},
                   {"MIGRATIONS_DIR", dir_.path()},
                   {"DB_RETRY_INTERVAL", "0.1"},
                   {"DB_MAX_RETRIES", "5"}};
    for (const auto& [key, value] : extra) options.env[key] = value;
    return options;
  }

  RunResult run(std::initializer_list<std::string> args,
                const std::map<std::string, std::string>& extra = {}) const {
    return testing::run(schemagate(args), options(extra));
  }
  Child spawn(std::initializer_list<std::string> args,
              const std::map<std::string, std::string>& extra = {}) const {
    return testing::spawn(schemagate(args), options(extra));
  }

  std::string psql(const std::string& sql) const { return cluster_.psql(db_, sql); }

  // Whether the relation (optionally schema-qualified) exists.
  bool exists(const std::string& relation) const {
    return psql("select to_regclass('" + relation + "') is not null") == "t";
  }
  // The tracking table's versions in version order, comma-separated; "-" when it does not exist.
  std::string versions(const std::string& table = "schema_migrations") const {
    if (!exists(table)) return "-";
    return psql("select coalesce(string_agg(version, ',' order by length(ltrim(version, '0')), "
                "ltrim(version, '0')), '') from " + table);
  }
  std::string scalar(const std::string& sql) const { return psql(sql); }
  // Backends of this database other than the asking one matching `where` (over pg_stat_activity).
  int backends(const std::string& where) const {
    return std::stoi(psql("select count(*) from pg_stat_activity where datname = current_database() "
                          "and pid <> pg_backend_pid() and (" + where + ")"));
  }
  // Advisory locks held or awaited in this database.
  int advisory_locks() const {
    return std::stoi(psql("select count(*) from pg_locks where locktype = 'advisory' and database = "
                          "(select oid from pg_database where datname = current_database())"));
  }

 private:
  PgCluster& cluster_;
  std::string db_;
  TempDir dir_{"mig"};
};

// What the race, signal and fault suites ask of a project's database while and after schemagate
// runs in it. schemagate's sessions are told apart by application_name.

// No schemagate session and no advisory lock left in the project's database: nothing the runner
// held outlives it.
inline bool runner_gone(const Project& p) {
  return p.backends("application_name = 'schemagate'") == 0 && p.advisory_locks() == 0;
}

// A schemagate session of the project's database is running a statement that sleeps. By wait
// event, not by query text: a batch's text can outgrow track_activity_query_size before its sleep.
inline bool schemagate_sleeping(const Project& p) {
  return p.backends("application_name = 'schemagate' and state = 'active' and wait_event = 'PgSleep'") == 1;
}

// Any sleep still running in the project's database, whoever started it.
inline int sleeps_running(const Project& p) {
  return p.backends("state = 'active' and wait_event = 'PgSleep'");
}

// How many rows of schema_migrations are dirty, as psql prints the count.
inline std::string dirty_count(const Project& p) {
  return p.psql("select count(*) from schema_migrations where dirty");
}

// A psql session, application_name `name`, that runs `sql` (which should end in a long
// pg_sleep inside a transaction, so what it locked stays locked) until release() or destruction
// terminates its backend.
class Holder {
 public:
  Holder(const Project& project, const std::string& sql, const std::string& name = "test_holder")
      : project_(project), name_(name) {
    RunOptions options;
    options.env = {{"PGAPPNAME", name_}};
    options.timeout = std::chrono::seconds(120);
    child_.emplace(testing::spawn({kPsql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", project.cluster().socket_dir(),
                                   "-p", std::to_string(project.cluster().port()), "-U", "postgres", "-d",
                                   project.db(), "-c", sql},
                                  options));
  }
  ~Holder() {
    try {
      release();
    } catch (...) {
    }
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  // Waits until the session is running a statement that matches `query_like` (SQL LIKE).
  bool wait_running(const std::string& query_like, std::chrono::milliseconds max) const {
    return wait_until(
        [&] {
          return project_.backends("application_name = '" + name_ + "' and state = 'active' and query like '" +
                                   query_like + "'") == 1;
        },
        max);
  }
  // Ends the session (and its transaction and locks) and waits until its backend is gone.
  void release() {
    if (!child_) return;
    project_.psql("select pg_terminate_backend(pid) from pg_stat_activity where application_name = '" + name_ +
                  "' and datname = current_database()");
    wait_until([&] { return project_.backends("application_name = '" + name_ + "'") == 0; },
               std::chrono::seconds(10));
    child_.reset();
  }

 private:
  const Project& project_;
  std::string name_;
  std::optional<Child> child_;
};

// For a Holder: keeps table t locked against every other session until released.
inline const std::string kLockTableT = "begin; lock table t in access exclusive mode; select pg_sleep(60);";

// Whether a session holds table t's lock as kLockTableT takes it.
inline bool t_is_locked(const Project& p) {
  return p.psql(
             "select count(*) from pg_locks where relation = 't'::regclass and mode = 'AccessExclusiveLock' "
             "and granted") == "1";
}

}  // namespace schemagate::testing
