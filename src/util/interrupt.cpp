#include "util/interrupt.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace schemagate {

int Interrupt::signal() const {
  if (!seen_ || *seen_ != 0) return seen_ ? *seen_ : 0;
  signalfd_siginfo info{};
  // The descriptor is non-blocking: nothing queued reads as EAGAIN.
  if (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
    *seen_ = static_cast<int>(info.ssi_signo);
  return *seen_;
}

int Interrupt::sleep_until(Deadline deadline) const {
  for (;;) {
    if (int sig = signal()) return sig;
    if (deadline.expired()) return 0;
    pollfd p{fd_, POLLIN, 0};
    // poll ignores a negative fd, which makes this a plain timed wait when there is no gate.
    int n = poll(&p, 1, deadline.poll_timeout_ms());
    if (n < 0 && errno != EINTR) return 0;
  }
}

}  // namespace schemagate
