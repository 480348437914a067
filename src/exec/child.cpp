#include "exec/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "exec/signal_gate.h"

namespace schemagate::exec {
namespace {

// The child's output, cut into lines for the log.
class LineBuffer {
 public:
  LineBuffer(bool is_stderr, const OnLine& on_line) : is_stderr_(is_stderr), on_line_(on_line) {}
  // Reads what is there; false at end of stream.
  bool read_from(int fd) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) {
      flush();
      return false;
    }
    pending_.append(buf, static_cast<size_t>(n));
    for (size_t nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      on_line_(is_stderr_, std::string_view(pending_).substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    return true;
  }
  void flush() {
    if (!pending_.empty()) on_line_(is_stderr_, pending_);
    pending_.clear();
  }

 private:
  bool is_stderr_;
  const OnLine& on_line_;
  std::string pending_;
};

int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

Error system_error(const char* what) {
  return internal_error(std::string(what) + ": " + std::strerror(errno));
}

[[noreturn]] void become_child(const std::vector<std::string>& argv,
                               const std::vector<std::pair<std::string, std::string>>& env, int out, int err,
                               int report) {
  setpgid(0, 0);
  restore_default_signals();
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  int e = errno;
  // Tells the parent why exec failed through the close-on-exec pipe it watches.
  (void)!::write(report, &e, sizeof e);
  _exit(e == ENOENT ? 127 : 126);
}

}  // namespace

Result<int> run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                      Deadline deadline, const Interrupt& stop, const OnLine& on_line) {
  int out[2], err[2], report[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) return system_error("pipe");
  pid_t pid = fork();
  if (pid < 0) return system_error("fork");
  if (pid == 0) become_child(argv, env, out[1], err[1], report[1]);
  setpgid(pid, pid);  // also here, so the group exists before the parent might signal it
  ::close(out[1]);
  ::close(err[1]);
  ::close(report[1]);
  // Never block on the pipes: something the command started may hold them open after it exits.
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);

  int exec_errno = 0;
  bool exec_failed = ::read(report[0], &exec_errno, sizeof exec_errno) == static_cast<ssize_t>(sizeof exec_errno);
  ::close(report[0]);

  // A pidfd says when the child itself has gone, even if something it started keeps the pipes open.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  LineBuffer out_lines(false, on_line), err_lines(true, on_line);
  bool out_open = true, err_open = true, exited = false;
  int forwarded = 0;
  bool out_of_time = false;
  auto kill_at = std::chrono::steady_clock::time_point::max();
  int status = 0;
  while (!exited) {
    if (!forwarded && !out_of_time) {
      if (int sig = stop.signal()) {
        forwarded = sig;
        kill(-pid, sig);
        kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      } else if (deadline.expired()) {
        out_of_time = true;
        kill(-pid, SIGTERM);
        kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      }
    }
    if (std::chrono::steady_clock::now() >= kill_at) {
      kill(-pid, SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
    pollfd fds[4] = {{out_open ? out[0] : -1, POLLIN, 0},
                     {err_open ? err[0] : -1, POLLIN, 0},
                     {pidfd, POLLIN, 0},
                     {forwarded || out_of_time ? -1 : stop.fd(), POLLIN, 0}};
    Deadline next = forwarded || out_of_time ? Deadline::after(std::chrono::milliseconds(100)) : deadline;
    int n = poll(fds, 4, next.poll_timeout_ms());
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents) out_open = out_lines.read_from(out[0]);
    if (fds[1].revents) err_open = err_lines.read_from(err[0]);
    bool gone = pidfd >= 0 ? fds[2].revents != 0 : (!out_open && !err_open);
    if (gone) exited = waitpid(pid, &status, pidfd >= 0 ? WNOHANG : 0) == pid;
  }
  // Whatever the command left behind in its group goes with it, before the pipes are drained.
  kill(-pid, SIGKILL);
  // What the child printed last is still in the pipes.
  while (out_open && out_lines.read_from(out[0])) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
  }
  while (err_open && err_lines.read_from(err[0])) {
    pollfd p{err[0], POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
  }
  out_lines.flush();
  err_lines.flush();
  ::close(out[0]);
  ::close(err[0]);
  if (pidfd >= 0) ::close(pidfd);

  if (exec_failed)
    return Error{exec_errno == ENOENT ? ErrorKind::NotFound : ErrorKind::NotExecutable,
                 "cannot start \"" + argv[0] + "\": " + std::strerror(exec_errno), 0, {}};
  if (forwarded) return interrupted(forwarded);
  if (out_of_time) return timed_out("out of time: stopped \"" + argv[0] + "\" and its process group");
  return status_code(status);
}

}  // namespace schemagate::exec
