// Runs programs for integration tests the way a user or a container runtime would: argv straight
// to execvp (no shell), a known environment, stdout and stderr captured separately.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace schemagate::testing {

struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N, as a shell reports it (SPEC §5)
  std::string out;
  std::string err;
  double seconds = 0;  // from start to exit
};

struct RunOptions {
  // Added to a clean environment holding only PATH, HOME and LANG=C, so a developer's PG* or
  // DATABASE_URL never leaks into a test; with inherit_env, added to this process's environment.
  std::map<std::string, std::string> env;
  bool inherit_env = false;
  std::string cwd;  // empty: this process's working directory
  // Set to SIG_IGN before exec: lets a test reproduce a parent (nohup, some runtimes) that
  // hands schemagate ignored signals. Every other signal starts at its default, unblocked.
  std::vector<int> ignored_signals;
  // Closed before exec, as `1>&- 2>&-` leaves them: lets a test start a process without some of
  // its standard descriptors. Output on a closed stdout or stderr is not captured, of course.
  std::vector<int> closed_fds;
  // From start to exit. When exceeded the process group is killed with SIGKILL and
  // finish()/run() throw, so a hang fails the test instead of stalling CI.
  std::chrono::seconds timeout{60};
  // finish()/run() throw when any spelling of the canary password (support/canary.h) shows in
  // stdout, stderr or schemagate's status file (--status-file, SCHEMAGATE_STATUS_FILE). Only for
  // a run that prints a password on purpose, as a test that the check itself finds it does.
  bool may_print_canary = false;
};

// Owns a started process: its own session (setsid, so no terminal to prompt on and one group to
// kill), stdin from /dev/null, stdout and stderr on pipes. Not thread-safe. Move-only; a Child
// destroyed before finish() kills its process group and reaps it.
class Child {
 public:
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }

  // Reads output as it arrives until `needle` shows up in stderr (stdout) after the end of the
  // previous match, so waiting twice for "attempt" waits for its second occurrence. False when
  // `max` passes or the process exits first; out()/err() then tell why.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds max);
  bool wait_for_stdout(const std::string& needle, std::chrono::milliseconds max);

  // Everything read so far.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

  // To the process itself, not its group: what a container runtime does to PID 1.
  void signal(int sig);

  // Reads the rest of the output and reaps the process. Output written by descendants after the
  // process itself exits is not waited for. Throws std::runtime_error past RunOptions::timeout,
  // and when the canary password was printed (RunOptions::may_print_canary).
  RunResult finish();

 private:
  friend Child spawn(const std::vector<std::string>& argv, const RunOptions& options);

  // Closes the descriptor it owns, once.
  class Fd {
   public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }
    int release() {
      int fd = fd_;
      fd_ = -1;
      return fd;
    }
    void reset();

   private:
    int fd_ = -1;
  };

  Child() = default;
  bool wait_for(std::string& seen, std::size_t& cursor, const std::string& needle,
                std::chrono::milliseconds max);
  // Reads output until `done` returns true, the process has exited and its pipes are drained, or
  // `until` passes, whichever comes first.
  template <typename Done>
  void pump(std::chrono::steady_clock::time_point until, Done done);
  void reap();
  void kill_group() noexcept;
  std::string describe() const;
  // Throws std::runtime_error naming each spelling of the canary found in the output or a status
  // file.
  void check_for_canary() const;

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  Fd out_fd_;
  Fd err_fd_;
  Fd pid_fd_;  // readable once the process exits; lets us stop without waiting for pipe EOF
  bool is_reaped_ = false;
  int wait_status_ = 0;
  std::string out_;
  std::string err_;
  std::size_t out_cursor_ = 0;
  std::size_t err_cursor_ = 0;
  std::chrono::seconds timeout_{60};
  bool may_print_canary_ = false;
  std::vector<std::string> status_files_;  // schemagate's, searched for the canary too
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point ended_;
};

// Starts argv[0] (looked up in the child's PATH when it has no slash). Throws std::runtime_error
// when it cannot be executed at all, so a missing binary is a loud failure, not exit code 127.
Child spawn(const std::vector<std::string>& argv, const RunOptions& options = {});

// spawn() then finish().
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Absolute path of the schemagate binary under test: $SCHEMAGATE_BIN, else the
// SCHEMAGATE_BIN_PATH compile definition (set by CMake), else build/schemagate.
std::string schemagate_binary();

}  // namespace schemagate::testing
