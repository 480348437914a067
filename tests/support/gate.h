// Small helpers shared by the integration tests that drive the schemagate binary: argv building,
// a working directory and a database to run it with, and ports that refuse or record
// connections. Text and files: support/text.h and support/files.h, included here.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {

// The binary under test followed by `args`.
inline std::vector<std::string> schemagate(const std::vector<std::string>& args) {
  std::vector<std::string> argv{schemagate_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// An empty directory, made once per test process and removed at its exit.
inline const std::string& empty_dir() {
  static TempDir dir("cwd");
  return dir.path();
}

// Options for running schemagate in an empty working directory, so that a ./schemagate.toml or a
// migrations/ directory where the tests happen to run cannot change what it does.
inline RunOptions gate_options() {
  RunOptions options;
  options.cwd = empty_dir();
  return options;
}

// gate_options() with DATABASE_URL naming a new, empty database of the shared cluster.
inline RunOptions ready_database() {
  PgCluster& cluster = PgCluster::shared();
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", cluster.url(cluster.create_database())}};
  return options;
}

// A TCP socket on 127.0.0.1 bound to a kernel-chosen port. Held for the object's lifetime, so no
// other process can take the port while a test points schemagate at it.
class TestPort {
 public:
  TestPort(const TestPort&) = delete;
  TestPort& operator=(const TestPort&) = delete;
  ~TestPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& db = "postgres",
                  const std::string& userinfo = "postgres") const {
    return "postgresql://" + userinfo + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

 protected:
  TestPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
    port_ = ntohs(address.sin_port);
  }
  int fd_ = -1;
  int port_ = 0;
};

// Bound but not listening: every connection attempt is refused at once (RST), like a server that
// is not up yet.
class ClosedPort : public TestPort {};

// Listening, never answering: a test can tell whether anything connected (completed handshakes
// wait in the accept queue), which is how "no database contact" is checked, and a client that does
// connect hangs waiting for a server that never speaks.
class Listener : public TestPort {
 public:
  Listener() {
    if (listen(fd_, 16) != 0)
      throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
  }
  ~Listener() {
    for (int fd : accepted_) close(fd);
  }
  // Whether a connection is waiting now; it is accepted and kept open (silent).
  bool was_contacted() { return wait_for_connection(std::chrono::milliseconds(0)); }
  // Waits up to `max` for a client to connect; the connection is kept open and silent.
  bool wait_for_connection(std::chrono::milliseconds max) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(max.count())) <= 0) return false;
    int accepted = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted < 0) return false;
    accepted_.push_back(accepted);
    return true;
  }

 private:
  std::vector<int> accepted_;
};

}  // namespace schemagate::testing
