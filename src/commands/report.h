#pragma once
// What the status file (SCHEMAGATE_STATUS_FILE) tells an app's /health endpoint about the run.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "migrate/up.h"
#include "preflight/lint.h"

namespace schemagate::commands {

struct Report {
  using Clock = std::chrono::steady_clock;

  std::string status = "failed";  // ok, degraded, skipped, failed (SCHEMAGATE_STATUS)
  std::string error;
  std::optional<migrate::Progress> progress;
  std::vector<std::pair<std::string, long long>> timings_ms;
  std::vector<preflight::Finding> preflight;  // what the pre-flight found, when it ran
  Clock::time_point started = Clock::now();

  // Records how long `step` took since `since`.
  void time(std::string step, Clock::time_point since);
  // Writes the report to `path` (nothing when empty) whole or not at all (rename); a failure is a
  // warning, never the reason a start fails. Secrets are scrubbed as in the log.
  void write(const std::string& path);
  // Writes the phase the run is in to `path` as its status, with the UTC time it began: waiting
  // (for the database or another runner's lock), migrating (`migration` is VERSION_NAME), verifying.
  // A probe reading the file sees progress before the final status.
  void phase(const std::string& path, std::string name, std::string migration = "");

 private:
  std::string since_;      // when the current phase began
  std::string migration_;  // the migration being applied, in the migrating phase
  int warned_ = 0;         // how many writes failed; only the first is logged
};

}  // namespace schemagate::commands
