// A TCP proxy on 127.0.0.1 that a test puts between schemagate and the server, to break the
// network the way production does while a migration runs: forward everything (pass), reset every
// open connection (cut), stop forwarding while keeping every socket open (stall: a partition),
// or hold each chunk back for a while (slow: a congested link).
//
// One thread polls every socket; each call below returns once that thread has acted on it, so a
// test can rely on "after cut() returns, the connections are gone". Bounded: at most 4 MiB held
// per direction of a connection, and `lifetime` after it started the proxy resets every
// connection and stops forwarding by itself, so a test that forgets it cannot leave a server
// session hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace schemagate::testing {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards each connection to 127.0.0.1:target_port,
  // passing. Throws std::system_error when it cannot listen.
  explicit TcpProxy(int target_port, std::chrono::seconds lifetime = std::chrono::seconds(120));
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }

  // Forward everything as it arrives (also ends stall and slow); bytes held meanwhile go first.
  void pass();
  // A partition: forward nothing in either direction, on open connections and on new ones
  // (which are still accepted and connected to the target), and keep every socket open: neither
  // end sees an error, a reset or an end of stream. Cancel requests sent meanwhile hang too.
  void stall();
  // Only the connections open now stop forwarding, as stall() does; new ones (a cancel request)
  // are forwarded as the mode says. pass() lets the stalled ones go again.
  void stall_open();
  // Forward each chunk `delay` after it arrived, in order.
  void slow(std::chrono::milliseconds delay);
  // Resets every open connection (RST to both ends) and drops what it held for them. The mode is
  // unchanged: connections made afterwards are forwarded as before.
  void cut();

  // Connections open now / accepted since the start.
  int open_connections();
  int accepted();

 private:
  enum class Mode { pass, stall, slow };
  struct Command {
    Mode mode = Mode::pass;
    std::chrono::milliseconds delay{0};
    int cuts = 0;
    int stalls = 0;  // stall_open() calls
    int passes = 0;  // pass() calls
  };
  void change(const Command& command);
  void loop(std::chrono::steady_clock::time_point end_of_life);
  void wake();

  int port_ = 0;
  int target_port_ = 0;
  int listener_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;

  std::mutex mutex_;
  std::condition_variable acted_;
  Command wanted_;         // guarded by mutex_
  long requested_ = 0;     // commands requested; guarded by mutex_
  long done_ = 0;          // commands the thread has acted on; guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  bool finished_ = false;  // the thread has closed everything; guarded by mutex_
  int open_ = 0;           // guarded by mutex_
  int accepted_ = 0;       // guarded by mutex_
  std::thread thread_;
};

}  // namespace schemagate::testing
