#pragma once
// What the status file (SCHEMAGATE_STATUS_FILE) tells an app's /health endpoint about the run.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "migrate/up.h"

namespace schemagate::commands {

struct Report {
  using Clock = std::chrono::steady_clock;

  std::string status = "failed";  // ok, degraded, skipped, failed (SCHEMAGATE_STATUS)
  std::string error;
  std::optional<migrate::Progress> progress;
  std::vector<std::pair<std::string, long long>> timings_ms;
  Clock::time_point started = Clock::now();

  // Records how long `step` took since `since`.
  void time(std::string step, Clock::time_point since);
  // Writes the report to `path` (nothing when empty) whole or not at all (rename); a failure is a
  // warning, never the reason a start fails. Secrets are scrubbed as in the log.
  void write(const std::string& path);
};

}  // namespace schemagate::commands
