#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "exec/signal_gate.h"
#include "util/result.h"

namespace schemagate::exec {

// SPEC §1 step 8: sets SCHEMAGATE_STATUS, restores signals and execvp's argv directly (no shell),
// so the app keeps schemagate's PID. Returns only on failure: NotFound (127) or NotExecutable (126).
// REQUIRES: every database connection is already closed.
Error hand_over(const std::vector<std::string>& argv, std::string_view status, SignalGate& gate);

}  // namespace schemagate::exec
