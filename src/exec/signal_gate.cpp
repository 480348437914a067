#include "exec/signal_gate.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace schemagate::exec {
namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP}) sigaddset(&set, sig);
  return set;
}

}  // namespace

Result<SignalGate> SignalGate::install() {
  sigset_t set = handled_signals();
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    return internal_error(std::string("sigprocmask: ") + std::strerror(errno));
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return internal_error(std::string("signalfd: ") + std::strerror(errno));
  return SignalGate(fd);
}

SignalGate::SignalGate(SignalGate&& other) noexcept
    : fd_(other.fd_), interrupt_(other.interrupt_) {
  other.fd_ = -1;
}

SignalGate::~SignalGate() {
  if (fd_ >= 0) ::close(fd_);
}

void restore_default_dispositions() {
  // Ignored dispositions survive exec(2), and a parent (nohup, some supervisors) may have set them.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // fails harmlessly for the few numbers libc reserves
  }
}

void unblock_all_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void restore_default_signals() {
  restore_default_dispositions();
  unblock_all_signals();
}

}  // namespace schemagate::exec
