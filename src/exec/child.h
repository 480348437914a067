#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/deadline.h"
#include "util/interrupt.h"
#include "util/result.h"

namespace schemagate::exec {

// One line of the child's output; `is_stderr` tells which stream it came from.
using OnLine = std::function<void(bool is_stderr, std::string_view line)>;

// Runs argv (execvp, no shell) in a process group of its own, with `env` added to schemagate's
// environment, and hands each line it prints to on_line as it arrives.
//  - a stop signal is forwarded to the whole group, which is then waited for: Interrupted;
//  - at the deadline the group gets SIGTERM, then SIGKILL 5 s later: Timeout;
//  - otherwise the child's status: its exit code, or 128+N when signal N ended it.
// A program that cannot be started reports 127 (not found) or 126, as a shell would.
Result<int> run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                      Deadline deadline, const Interrupt& stop, const OnLine& on_line);

}  // namespace schemagate::exec
