#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "support/canary.h"
#include "support/files.h"
#include "support/text.h"

extern char** environ;

namespace schemagate::testing {
namespace {

using Clock = std::chrono::steady_clock;

// What the child reports over the exec-status pipe when it never reaches the program.
struct LaunchFailure {
  enum Stage : int { kChdir, kExec } stage;
  int error;
};

std::string join(const std::vector<std::string>& argv) {
  std::string joined;
  for (const auto& arg : argv) {
    if (!joined.empty()) joined += ' ';
    joined += arg.find_first_of(" \t'\"") == std::string::npos ? arg : "'" + arg + "'";
  }
  return joined;
}

std::map<std::string, std::string> child_environment(const RunOptions& options) {
  std::map<std::string, std::string> env;
  if (options.inherit_env) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string_view text(*entry);
      auto eq = text.find('=');
      if (eq != std::string_view::npos)
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  } else {
    const char* path = std::getenv("PATH");
    const char* home = std::getenv("HOME");
    env["PATH"] = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    env["HOME"] = home != nullptr ? home : "/";
    env["LANG"] = "C";
  }
  for (const auto& [key, value] : options.env) env[key] = value;
  return env;
}

// The status files schemagate may be told to write (--status-file, SCHEMAGATE_STATUS_FILE),
// relative ones from the child's working directory: finish() searches them for the canary.
std::vector<std::string> status_files(const std::vector<std::string>& argv, const RunOptions& options) {
  std::vector<std::string> paths;
  if (auto env = options.env.find("SCHEMAGATE_STATUS_FILE"); env != options.env.end())
    paths.push_back(env->second);
  for (std::size_t i = 1; i < argv.size() && argv[i] != "--"; ++i) {
    if (argv[i] == "--status-file" && i + 1 < argv.size()) paths.push_back(argv[i + 1]);
    if (argv[i].starts_with("--status-file=")) paths.push_back(argv[i].substr(14));
  }
  for (std::string& path : paths) {
    if (!path.empty() && path[0] != '/' && !options.cwd.empty()) path = options.cwd + "/" + path;
  }
  return paths;
}

// Between fork and exec only async-signal-safe calls: the test process may have threads.
[[noreturn]] void exec_child(char* const* argv, char** envp, const char* cwd, int stdin_fd, int stdout_fd,
                             int stderr_fd, int status_fd, const std::vector<int>& ignored_signals,
                             const std::vector<int>& closed_fds) {
  // A session of its own: no controlling terminal for anything to prompt on, and one process
  // group that a timeout can kill along with every descendant.
  setsid();

  // exec keeps ignored dispositions and the mask, so whatever this test process inherited
  // (nohup, a CI runner) would leak into the child; start it from the defaults instead.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);
  struct sigaction ignore_action {};
  ignore_action.sa_handler = SIG_IGN;
  for (int sig : ignored_signals) sigaction(sig, &ignore_action, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  dup2(stdin_fd, STDIN_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  dup2(stderr_fd, STDERR_FILENO);
  for (int fd : closed_fds) close(fd);

  LaunchFailure failure{LaunchFailure::kChdir, 0};
  if (cwd == nullptr || chdir(cwd) == 0) {
    // execvp searches the PATH of `environ`, which is now the child's own.
    environ = envp;
    execvp(argv[0], argv);
    failure.stage = LaunchFailure::kExec;
  }
  failure.error = errno;
  ssize_t ignored = write(status_fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127);  // not exit(): the parent's atexit handlers (the shared cluster) must not run here
}

}  // namespace

Child::Fd& Child::Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void Child::Fd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this == &other) return *this;
  if (pid_ > 0 && !is_reaped_) {
    kill_group();
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  argv_ = std::move(other.argv_);
  pid_ = std::exchange(other.pid_, -1);
  out_fd_ = std::move(other.out_fd_);
  err_fd_ = std::move(other.err_fd_);
  pid_fd_ = std::move(other.pid_fd_);
  is_reaped_ = std::exchange(other.is_reaped_, true);
  wait_status_ = other.wait_status_;
  out_ = std::move(other.out_);
  err_ = std::move(other.err_);
  out_cursor_ = other.out_cursor_;
  err_cursor_ = other.err_cursor_;
  timeout_ = other.timeout_;
  may_print_canary_ = other.may_print_canary_;
  status_files_ = std::move(other.status_files_);
  started_ = other.started_;
  ended_ = other.ended_;
  return *this;
}

Child::~Child() {
  if (pid_ > 0 && !is_reaped_) {
    kill_group();
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

bool Child::wait_for_stderr(const std::string& needle, std::chrono::milliseconds max) {
  return wait_for(err_, err_cursor_, needle, max);
}

bool Child::wait_for_stdout(const std::string& needle, std::chrono::milliseconds max) {
  return wait_for(out_, out_cursor_, needle, max);
}

bool Child::wait_for(std::string& seen, std::size_t& cursor, const std::string& needle,
                     std::chrono::milliseconds max) {
  auto until = std::min(Clock::now() + max, started_ + timeout_);
  std::size_t found = std::string::npos;
  pump(until, [&] {
    found = seen.find(needle, cursor);
    return found != std::string::npos;
  });
  if (found == std::string::npos) return false;
  cursor = found + needle.size();
  return true;
}

void Child::signal(int sig) {
  // Once reaped the pid may belong to someone else.
  if (pid_ <= 0 || is_reaped_) return;
  if (kill(pid_, sig) != 0 && errno != ESRCH) throw_errno("kill " + std::to_string(pid_));
}

RunResult Child::finish() {
  pump(started_ + timeout_, [] { return false; });
  if (!is_reaped_) {
    kill_group();
    reap();
    out_fd_.reset();
    err_fd_.reset();
    throw std::runtime_error("timed out after " + std::to_string(timeout_.count()) +
                             "s, killed: " + describe());
  }
  RunResult result;
  if (WIFEXITED(wait_status_)) result.exit_code = WEXITSTATUS(wait_status_);
  if (WIFSIGNALED(wait_status_)) result.exit_code = 128 + WTERMSIG(wait_status_);
  result.out = out_;
  result.err = err_;
  result.seconds = std::chrono::duration<double>(ended_ - started_).count();
  if (!may_print_canary_) check_for_canary();
  return result;
}

void Child::check_for_canary() const {
  std::string found;
  auto search = [&found](const std::string& text, const std::string& where) {
    for (const std::string& spelling : canary_leaks(text)) found += "\n  \"" + spelling + "\" in " + where;
  };
  search(out_, "stdout");
  search(err_, "stderr");
  for (const std::string& path : status_files_) search(read_text_file(path), "the status file " + path);
  if (found.empty()) return;
  throw std::runtime_error("the canary password leaked from " + argv_[0] + " (SPEC §6):" + found + "\n" +
                           describe());
}

template <typename Done>
void Child::pump(Clock::time_point until, Done done) {
  // Reads what is there without blocking; closes the pipe at EOF.
  auto drain = [](Fd& fd, std::string& into) {
    char buffer[65536];
    while (fd.is_open()) {
      ssize_t n = read(fd.get(), buffer, sizeof buffer);
      if (n > 0) {
        into.append(buffer, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        fd.reset();
      }
    }
  };

  while (!done()) {
    if (is_reaped_ && !out_fd_.is_open() && !err_fd_.is_open()) return;

    pollfd fds[3];
    Fd* owners[3];
    nfds_t count = 0;
    for (Fd* fd : {&out_fd_, &err_fd_, &pid_fd_}) {
      if (!fd->is_open()) continue;
      fds[count] = pollfd{fd->get(), POLLIN, 0};
      owners[count++] = fd;
    }
    if (count == 0) {
      // Only without a pidfd (kernel < 5.3): the pipes are closed, so the exit is imminent.
      reap();
      continue;
    }

    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return;
    int ready = poll(fds, count, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_errno("poll");

    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == &out_fd_) drain(out_fd_, out_);
      if (owners[i] == &err_fd_) drain(err_fd_, err_);
      if (owners[i] == &pid_fd_) {
        // Everything the process wrote is in the pipes by now. Descendants (a backgrounded
        // sleep) may hold the write ends open for much longer, so stop at the process's exit.
        reap();
        drain(out_fd_, out_);
        drain(err_fd_, err_);
        out_fd_.reset();
        err_fd_.reset();
      }
    }
  }
}

void Child::reap() {
  while (waitpid(pid_, &wait_status_, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid_));
  }
  is_reaped_ = true;
  ended_ = Clock::now();
  pid_fd_.reset();
}

void Child::kill_group() noexcept {
  // The child called setsid() before exec (spawn waits for that), so its pid is its group id.
  if (pid_ > 0 && !is_reaped_) kill(-pid_, SIGKILL);
}

std::string Child::describe() const {
  return join(argv_) + "\n--- stdout ---\n" + tail(out_) + "\n--- stderr ---\n" + tail(err_);
}

Child spawn(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty argv");

  // Everything the child needs is built before fork: it may not allocate afterwards.
  std::vector<char*> child_argv;
  for (const auto& arg : argv) child_argv.push_back(const_cast<char*>(arg.c_str()));
  child_argv.push_back(nullptr);
  std::vector<std::string> env_entries;
  for (const auto& [key, value] : child_environment(options))
    env_entries.push_back(key + "=" + value);
  std::vector<char*> child_env;
  for (auto& entry : env_entries) child_env.push_back(entry.data());
  child_env.push_back(nullptr);

  // O_CLOEXEC everywhere so concurrent spawns never leak each other's pipe ends (a leaked write
  // end would keep a pipe from reaching EOF).
  int out_pipe[2], err_pipe[2], status_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Child::Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Child::Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  if (pipe2(status_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Child::Fd status_read(status_pipe[0]), status_write(status_pipe[1]);
  Child::Fd dev_null(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null.is_open()) throw_errno("open /dev/null");

  Child child;
  child.argv_ = argv;
  child.timeout_ = options.timeout;
  child.may_print_canary_ = options.may_print_canary;
  child.status_files_ = status_files(argv, options);
  child.started_ = Clock::now();
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    exec_child(child_argv.data(), child_env.data(), options.cwd.empty() ? nullptr : options.cwd.c_str(),
               dev_null.get(), out_write.get(), err_write.get(), status_write.get(), options.ignored_signals,
               options.closed_fds);
  }
  child.pid_ = pid;
  out_write.reset();
  err_write.reset();
  status_write.reset();

  // The status pipe closes on a successful exec and carries the errno otherwise.
  LaunchFailure failure{};
  ssize_t n;
  while ((n = read(status_read.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    child.reap();
    throw std::runtime_error((failure.stage == LaunchFailure::kChdir
                                  ? "cannot chdir to " + options.cwd + " for "
                                  : std::string("cannot execute ")) +
                             join(argv) + ": " + std::strerror(failure.error));
  }

  for (int fd : {out_read.get(), err_read.get()}) fcntl(fd, F_SETFL, O_NONBLOCK);
  child.out_fd_ = std::move(out_read);
  child.err_fd_ = std::move(err_read);
  // The raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and cannot link from C++.
  // Without a pidfd (old kernel, strict seccomp) pump() falls back to waiting for pipe EOF.
  child.pid_fd_ = Child::Fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return child;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  return spawn(argv, options).finish();
}

std::string schemagate_binary() {
  std::string path = "build/schemagate";
#ifdef SCHEMAGATE_BIN_PATH
  path = SCHEMAGATE_BIN_PATH;
#endif
  if (const char* from_env = std::getenv("SCHEMAGATE_BIN"); from_env != nullptr && *from_env)
    path = from_env;
  // Absolute, so a test that runs it with RunOptions::cwd still finds it.
  return std::filesystem::absolute(path).string();
}

}  // namespace schemagate::testing
