#pragma once
#include <string>
#include <vector>

#include "util/interrupt.h"
#include "util/result.h"

namespace schemagate::exec {

// Every signal's default disposition and an empty mask: what a program exec'd by schemagate (the
// app, a migrate command) must start with.
void restore_default_signals();
void restore_default_dispositions();
void unblock_all_signals();

// schemagate may be PID 1, where the kernel drops every signal that has no handler, so an
// unhandled SIGTERM would be ignored. The gate blocks SIGTERM, SIGINT, SIGQUIT and SIGHUP (blocked
// signals are queued even for PID 1) and exposes them through a signalfd as an Interrupt.
class SignalGate {
 public:
  static Result<SignalGate> install();
  SignalGate(SignalGate&& other) noexcept;
  SignalGate& operator=(SignalGate&&) = delete;
  ~SignalGate();

  const Interrupt& interrupt() const { return interrupt_; }

  // Default dispositions for every signal and an empty mask (SPEC §1 step 8), so the app starts
  // as if nothing ran before it. Called just before exec.
  void restore_defaults() { restore_default_signals(); }
  // The same in two halves, for the hand-over: a signal that arrives between the last look at the
  // signalfd and the unblocking would meet a default disposition and, as PID 1, be dropped.

 private:
  explicit SignalGate(int fd) : fd_(fd), interrupt_(fd) {}
  int fd_ = -1;
  Interrupt interrupt_;
};

}  // namespace schemagate::exec
