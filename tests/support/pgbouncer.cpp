#include "support/pgbouncer.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "support/files.h"

namespace schemagate::testing {
namespace {

using namespace std::chrono_literals;

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

PgBouncer::PgBouncer(PgCluster& cluster, Mode mode, const std::string& user, const std::string& password, int pool_size)
    : dir_(make_temp_dir("pgbouncer")), user_(user), password_(password) {
  cluster.create_role(user, password);
  // PgBouncer refuses to run as root: as root it runs as postgres, which must read its files.
  write_text_file(dir_ + "/userlist.txt", quoted(user) + " " + quoted(password) + "\n");
  for (int attempt = 1;; ++attempt) {
    port_ = pick_free_port();
    write_text_file(dir_ + "/pgbouncer.ini",
                    "[databases]\n* = host=127.0.0.1 port=" + std::to_string(cluster.port()) +
                        "\n[pgbouncer]\n"
                        "listen_addr = 127.0.0.1\nlisten_port = " + std::to_string(port_) +
                        "\nunix_socket_dir =\n"
                        "auth_type = scram-sha-256\nauth_file = " + dir_ + "/userlist.txt\n" +
                        "pool_mode = " + (mode == Mode::transaction ? "transaction" : "session") +
                        "\ndefault_pool_size = " + std::to_string(pool_size) +
                        "\nmax_client_conn = 200\n"
                        "pidfile =\nlogfile =\n");
    if (geteuid() == 0) {
      const passwd* server_user = getpwnam("postgres");
      if (!server_user) throw std::runtime_error("running as root needs a `postgres` user");
      for (const auto& path : {dir_, dir_ + "/userlist.txt", dir_ + "/pgbouncer.ini"})
        if (chown(path.c_str(), server_user->pw_uid, server_user->pw_gid) != 0)
          throw std::runtime_error("cannot chown " + path);
    }
    RunOptions options;
    options.cwd = dir_;
    options.timeout = std::chrono::seconds(1800);  // the whole suite may use one
    process_.emplace(spawn(as_server_user({"/usr/sbin/pgbouncer", dir_ + "/pgbouncer.ini"}), options));
    if (process_->wait_for_stderr("process up", 20s)) return;
    const std::string output = process_->err();
    process_.reset();
    if (output.find("Address already in use") == std::string::npos || attempt == 3)
      throw std::runtime_error("pgbouncer did not start:\n" + output);
  }
}

PgBouncer::~PgBouncer() {
  process_.reset();  // kills its process group
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PgBouncer::url(const std::string& db) const {
  return "postgresql://" + user_ + ":" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string PgBouncer::log() const { return process_ ? process_->err() : ""; }

}  // namespace schemagate::testing
