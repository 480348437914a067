#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <memory>
#include <system_error>
#include <vector>

namespace schemagate::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHeld = 4 << 20;  // per direction of a connection
constexpr size_t kReadSize = 64 << 10;

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Closes with a reset rather than an orderly end of stream: what a peer sees when a connection
// is cut.
void reset(int fd) {
  if (fd < 0) return;
  linger abort{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close(fd);
}

// A new connection to 127.0.0.1:port, non-blocking once connected; -1 when refused.
int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  set_nonblocking(fd);
  return fd;
}

struct Chunk {
  Clock::time_point due;
  std::string data;
  size_t sent = 0;
};

// Bytes read from one socket of a connection, waiting to be written to the other.
struct Flow {
  std::deque<Chunk> queue;
  size_t held = 0;
  bool eof = false;        // the reading side ended its stream
  bool shut_down = false;  // and the end was passed on
};

// fd[0] is the client's side, fd[1] the target's; flow[i] carries fd[i]'s bytes to fd[1 - i].
struct Connection {
  int fd[2] = {-1, -1};
  Flow flow[2];
  bool broken = false;
  bool stalled = false;  // by stall_open()
};

}  // namespace

TcpProxy::TcpProxy(int target_port, std::chrono::seconds lifetime) : target_port_(target_port) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener_ < 0) fail("socket");
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      listen(listener_, 64) != 0) {
    int saved = errno;
    close(listener_);
    errno = saved;
    fail("listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(listener_);
    fail("pipe2");
  }
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  auto end_of_life = Clock::now() + lifetime;
  thread_ = std::thread([this, end_of_life] { loop(end_of_life); });
}

TcpProxy::~TcpProxy() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  close(listener_);
  close(wake_read_);
  close(wake_write_);
}

void TcpProxy::wake() {
  char byte = 1;
  (void)!write(wake_write_, &byte, 1);
}

void TcpProxy::change(const Command& command) {
  long mine;
  {
    std::lock_guard lock(mutex_);
    wanted_ = command;
    mine = ++requested_;
  }
  wake();
  std::unique_lock lock(mutex_);
  acted_.wait_for(lock, std::chrono::seconds(10), [&] { return done_ >= mine || finished_; });
}

void TcpProxy::pass() {
  Command c;
  {
    std::lock_guard lock(mutex_);
    c = wanted_;
  }
  c.mode = Mode::pass;
  ++c.passes;
  change(c);
}

void TcpProxy::stall_open() {
  Command c;
  {
    std::lock_guard lock(mutex_);
    c = wanted_;
  }
  ++c.stalls;
  change(c);
}

void TcpProxy::stall() {
  Command c;
  {
    std::lock_guard lock(mutex_);
    c = wanted_;
  }
  c.mode = Mode::stall;
  change(c);
}

void TcpProxy::slow(std::chrono::milliseconds delay) {
  Command c;
  {
    std::lock_guard lock(mutex_);
    c = wanted_;
  }
  c.mode = Mode::slow;
  c.delay = delay;
  change(c);
}

void TcpProxy::cut() {
  Command c;
  {
    std::lock_guard lock(mutex_);
    c = wanted_;
  }
  ++c.cuts;
  change(c);
}

int TcpProxy::open_connections() {
  Command c;
  {
    std::lock_guard lock(mutex_);
    c = wanted_;
  }
  change(c);  // a round trip through the thread, so the count is current
  std::lock_guard lock(mutex_);
  return open_;
}

int TcpProxy::accepted() {
  std::lock_guard lock(mutex_);
  return accepted_;
}

void TcpProxy::loop(Clock::time_point end_of_life) {
  std::vector<std::unique_ptr<Connection>> connections;
  int cuts_done = 0, stalls_done = 0, passes_done = 0;
  auto reset_all = [&] {
    for (auto& c : connections) {
      reset(c->fd[0]);
      reset(c->fd[1]);
    }
    connections.clear();
  };
  std::vector<char> buffer(kReadSize);
  for (;;) {
    Command command;
    long request;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      command = wanted_;
      request = requested_;
    }
    if (command.cuts != cuts_done) {
      reset_all();
      cuts_done = command.cuts;
    }
    if (command.stalls != stalls_done) {
      for (auto& c : connections) c->stalled = true;
      stalls_done = command.stalls;
    }
    if (command.passes != passes_done) {
      for (auto& c : connections) c->stalled = false;
      passes_done = command.passes;
    }
    const bool stalled = command.mode == Mode::stall;
    const auto delay = command.mode == Mode::slow ? command.delay : std::chrono::milliseconds(0);
    {
      std::lock_guard lock(mutex_);
      done_ = request;
      open_ = static_cast<int>(connections.size());
    }
    acted_.notify_all();

    auto now = Clock::now();
    if (now >= end_of_life) break;
    auto wake_at = end_of_life;
    std::vector<pollfd> fds{{wake_read_, POLLIN, 0}, {listener_, POLLIN, 0}};
    for (auto& c : connections) {
      for (int side = 0; side < 2; ++side) {
        short events = 0;
        if (!stalled && !c->stalled) {
          const Flow& in = c->flow[side];
          const Flow& out = c->flow[1 - side];
          if (!in.eof && in.held < kMaxHeld) events |= POLLIN;
          if (!out.queue.empty()) {
            if (out.queue.front().due <= now) {
              events |= POLLOUT;
            } else {
              wake_at = std::min(wake_at, out.queue.front().due);
            }
          }
        }
        // A descriptor with no events would still report POLLHUP: a stalled connection is not
        // looked at at all.
        fds.push_back({events ? c->fd[side] : -1, events, 0});
      }
    }
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - now).count();
    if (poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait, 0))) < 0 && errno != EINTR)
      break;

    if (fds[0].revents) {
      char drain[64];
      while (read(wake_read_, drain, sizeof drain) > 0) {
      }
    }
    const size_t polled = connections.size();  // those accepted below are looked at next time round
    if (fds[1].revents & POLLIN) {
      for (;;) {
        int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) break;
        int server = connect_to(target_port_);
        if (server < 0) {
          reset(client);
          continue;
        }
        auto c = std::make_unique<Connection>();
        c->fd[0] = client;
        c->fd[1] = server;
        connections.push_back(std::move(c));
        std::lock_guard lock(mutex_);
        ++accepted_;
      }
    }
    now = Clock::now();
    for (size_t i = 0; i < polled && !stalled; ++i) {
      Connection& c = *connections[i];
      if (c.stalled) continue;
      for (int side = 0; side < 2 && !c.broken; ++side) {
        short revents = fds[2 + 2 * i + side].revents;
        Flow& in = c.flow[side];
        if ((revents & (POLLIN | POLLHUP | POLLERR)) && !in.eof) {
          ssize_t n = recv(c.fd[side], buffer.data(), buffer.size(), 0);
          if (n > 0) {
            in.queue.push_back({now + delay, std::string(buffer.data(), static_cast<size_t>(n))});
            in.held += static_cast<size_t>(n);
          } else if (n == 0) {
            in.eof = true;
          } else if (errno != EAGAIN && errno != EINTR) {
            c.broken = true;
          }
        }
        Flow& out = c.flow[1 - side];
        while ((revents & POLLOUT) && !c.broken && !out.queue.empty() && out.queue.front().due <= now) {
          Chunk& chunk = out.queue.front();
          ssize_t n =
              send(c.fd[side], chunk.data.data() + chunk.sent, chunk.data.size() - chunk.sent, MSG_NOSIGNAL);
          if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) c.broken = true;
            break;
          }
          chunk.sent += static_cast<size_t>(n);
          out.held -= static_cast<size_t>(n);
          if (chunk.sent < chunk.data.size()) break;
          out.queue.pop_front();
        }
      }
      for (int side = 0; side < 2 && !c.broken; ++side) {
        Flow& in = c.flow[side];
        if (in.eof && in.queue.empty() && !in.shut_down) {
          shutdown(c.fd[1 - side], SHUT_WR);
          in.shut_down = true;
        }
      }
    }
    std::erase_if(connections, [](const std::unique_ptr<Connection>& c) {
      if (c->broken) {
        reset(c->fd[0]);
        reset(c->fd[1]);
        return true;
      }
      if (c->flow[0].shut_down && c->flow[1].shut_down) {
        close(c->fd[0]);
        close(c->fd[1]);
        return true;
      }
      return false;
    });
  }
  reset_all();
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
    done_ = requested_;
    open_ = 0;
  }
  acted_.notify_all();
}

}  // namespace schemagate::testing
