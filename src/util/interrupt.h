#pragma once
#include <memory>

#include "util/deadline.h"

namespace schemagate {

// A stop request (SIGTERM, SIGINT, SIGQUIT, SIGHUP) readable from a signalfd that exec/SignalGate
// owns. Anything that blocks polls fd() beside its own descriptor, so a signal ends the wait at once.
class Interrupt {
 public:
  Interrupt() = default;  // never fires
  explicit Interrupt(int signal_fd) : fd_(signal_fd), seen_(std::make_shared<int>(0)) {}

  int fd() const { return fd_; }
  // The signal received so far, or 0. Reading it does not clear it: once stopped, stay stopped.
  int signal() const;
  // Blocks until the deadline passes or a signal arrives; returns the signal or 0.
  int sleep_until(Deadline deadline) const;

 private:
  int fd_ = -1;
  // Shared by copies: reading the signalfd consumes the signal, so whichever copy reads it must
  // tell the others.
  std::shared_ptr<int> seen_;
};

}  // namespace schemagate
