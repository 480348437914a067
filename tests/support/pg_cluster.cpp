#include "support/pg_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "support/canary.h"
#include "support/files.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

// initdb and a cold start on a loaded 2-core CI runner take seconds; a hang must still end.
constexpr std::chrono::seconds kServerCommandTimeout{120};

std::string trim(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string doubled(const std::string& text, char quote) {
  std::string out(1, quote);
  for (char c : text) {
    out += c;
    if (c == quote) out += quote;
  }
  return out + quote;
}

std::string quote_identifier(const std::string& name) { return doubled(name, '"'); }
// With standard_conforming_strings (on since 9.1) doubling quotes is the whole escaping.
std::string quote_literal(const std::string& text) { return doubled(text, '\''); }

}  // namespace

// Binding port 0 lets the kernel pick a free port; the server binds it moments later. Another
// process can take it in between, which the constructor handles by retrying.
int pick_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  bool is_bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  int saved_errno = errno;
  close(fd);
  errno = saved_errno;
  if (!is_bound) throw_errno("bind 127.0.0.1:0");
  return ntohs(address.sin_port);
}

namespace {

RunOptions server_command_options(const std::string& dir) {
  RunOptions options;
  // As root the command runs as postgres, which may not enter our working directory (/root).
  options.cwd = dir;
  options.timeout = kServerCommandTimeout;
  return options;
}

void check(const RunResult& result, const std::string& what, const std::string& log = "") {
  if (result.exit_code == 0) return;
  std::string message =
      what + " failed (exit " + std::to_string(result.exit_code) + "):\n" + result.out + result.err;
  if (!log.empty()) message += "--- server log ---\n" + tail(read_text_file(log));
  throw std::runtime_error(message);
}

}  // namespace

PgCluster& PgCluster::shared() {
  // A function-local static: built on first use, destroyed (server stopped) at normal exit.
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster() : dir_(make_temp_dir("pg")) {
  try {
    // The server's socket is dir_/.s.PGSQL.NNNNN and sun_path holds 107 characters.
    if (dir_.size() + sizeof "/.s.PGSQL.65535" > 107)
      throw std::runtime_error("TMPDIR is too long for a unix socket path: " + dir_);

    // The canary (SPEC §6): every run() fails when any spelling of it shows in the output, so
    // every test that connects as the superuser also checks that schemagate never prints it.
    superuser_password_ = kSuperuserCanaryPassword;
    passwords_["postgres"] = superuser_password_;
    const std::string password_file = dir_ + "/superuser-password";
    write_text_file(password_file, superuser_password_ + "\n");
    if (geteuid() == 0) {
      const passwd* server_user = getpwnam("postgres");
      if (server_user == nullptr)
        throw std::runtime_error(
            "running as root needs a `postgres` user (apt install postgresql-15)");
      for (const auto& path : {dir_, password_file}) {
        if (chown(path.c_str(), server_user->pw_uid, server_user->pw_gid) != 0)
          throw_errno("chown " + path);
      }
    }

    const std::string data_dir = dir_ + "/data";
    check(run(as_server_user({pg_bin("initdb"), "-D", data_dir, "-U", "postgres",
                              "--auth-local=trust", "--auth-host=scram-sha-256",
                              "--pwfile=" + password_file, "-E", "UTF8", "--no-sync", "--locale=C",
                              "--no-instructions"}),
              server_command_options(dir_)),
          "initdb");

    // Durability off: a throwaway cluster trades crash safety for test speed.
    std::ofstream config(data_dir + "/postgresql.conf", std::ios::app);
    config << "\n# schemagate test cluster\n"
           << "listen_addresses = '127.0.0.1'\n"
           << "unix_socket_directories = " << quote_literal(dir_) << "\n"
           << "fsync = off\n"
           << "full_page_writes = off\n"
           << "synchronous_commit = off\n"
           << "max_connections = 100\n";
    if (!config.flush())
      throw std::runtime_error("cannot append to " + data_dir + "/postgresql.conf");
    config.close();

    for (int attempt = 1;; ++attempt) {
      auto log_size_before = read_text_file(log_path()).size();
      try {
        start_on(pick_free_port());
        break;
      } catch (const std::runtime_error&) {
        bool lost_port_race =
            read_text_file(log_path()).find("Address already in use", log_size_before) !=
            std::string::npos;
        if (!lost_port_race || attempt == 3) throw;
      }
    }
  } catch (...) {
    stop_quietly();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

PgCluster::~PgCluster() {
  stop_quietly();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PgCluster::log_path() const { return dir_ + "/server.log"; }

std::string PgCluster::url(const std::string& db, const std::string& user,
                           std::optional<std::string> password) const {
  if (!password) {
    if (auto known = passwords_.find(user); known != passwords_.end()) password = known->second;
  }
  std::string userinfo = percent_encode(user);
  if (password) userinfo += ":" + percent_encode(*password);
  return "postgresql://" + userinfo + "@" + host() + ":" + std::to_string(port_) + "/" +
         percent_encode(db);
}

std::map<std::string, std::string> PgCluster::pg_env(const std::string& db,
                                                     const std::string& user) const {
  std::map<std::string, std::string> env{
      {"PGHOST", host()}, {"PGPORT", std::to_string(port_)}, {"PGDATABASE", db}, {"PGUSER", user}};
  if (auto known = passwords_.find(user); known != passwords_.end())
    env["PGPASSWORD"] = known->second;
  return env;
}

std::string PgCluster::create_database() {
  std::string name = "test_" + std::to_string(++databases_created_);
  psql("postgres", "CREATE DATABASE " + quote_identifier(name));
  return name;
}

void PgCluster::create_role(const std::string& name, const std::string& password) {
  psql("postgres", "CREATE ROLE " + quote_identifier(name) + " LOGIN SUPERUSER PASSWORD " +
                       quote_literal(password));
  passwords_[name] = password;
}

std::string PgCluster::psql(const std::string& db, const std::string& sql) {
  // A script file rather than -c: -c sends everything as one implicit transaction, where
  // CREATE DATABASE or CREATE INDEX CONCURRENTLY would fail.
  const std::string script = dir_ + "/script-" + std::to_string(++scripts_run_) + ".sql";
  write_text_file(script, sql);
  // Any OS user may connect over the socket (--auth-local=trust), so psql needs no runuser.
  RunResult result =
      run({kPsql, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", dir_, "-p",
           std::to_string(port_), "-U", "postgres", "-d", db, "-f", script});
  std::error_code ignored;
  std::filesystem::remove(script, ignored);
  if (result.exit_code != 0) {
    throw std::runtime_error("psql on database " + db + " failed (exit " +
                             std::to_string(result.exit_code) + "): " + result.err +
                             "--- script ---\n" + sql);
  }
  return trim(result.out);
}

void PgCluster::stop() {
  if (!is_running_) throw std::logic_error("PgCluster::stop: the server is not running");
  check(
      run(as_server_user({pg_bin("pg_ctl"), "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}),
          server_command_options(dir_)),
      "pg_ctl stop", log_path());
  is_running_ = false;
}

void PgCluster::start() {
  if (is_running_) throw std::logic_error("PgCluster::start: the server is already running");
  // The same port, so URLs a test handed out before stop() reach the server again.
  start_on(port_);
}

std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  return argv;
}

void PgCluster::start_on(int port) {
  port_ = port;
  // -w returns once the server accepts connections, so no readiness polling is needed here.
  // -p rather than a config line: a restart must reuse the port picked at construction.
  check(run(as_server_user({pg_bin("pg_ctl"), "-D", dir_ + "/data", "-l", log_path(), "-w", "-t",
                            "60", "-o", "-p " + std::to_string(port), "start"}),
            server_command_options(dir_)),
        "pg_ctl start on port " + std::to_string(port), log_path());
  is_running_ = true;
}

void PgCluster::stop_quietly() noexcept {
  // Also after a failed or timed-out start, when the server may be up although is_running_ is not.
  std::error_code ignored;
  if (!std::filesystem::exists(dir_ + "/data/postmaster.pid", ignored)) return;
  try {
    run(as_server_user({pg_bin("pg_ctl"), "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}),
        server_command_options(dir_));
  } catch (...) {
    // A destructor has nobody to tell; the temp dir is removed either way.
  }
  is_running_ = false;
}

}  // namespace schemagate::testing
