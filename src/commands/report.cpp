#include "commands/report.h"

#include <ctime>

#include "log/log.h"
#include "util/file.h"
#include "util/json.h"

namespace schemagate::commands {

void Report::time(std::string step, Clock::time_point since) {
  timings_ms.emplace_back(std::move(step),
                          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

namespace {

std::string utc_now() {
  char when[32];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return when;
}

}  // namespace

void Report::phase(const std::string& path, std::string name, std::string migration) {
  if (path.empty()) return;
  status = std::move(name);
  migration_ = std::move(migration);
  since_ = utc_now();
  write(path);
  // Until the next phase is written, a failure is what the report says.
  status = "failed";
  since_.clear();
  migration_.clear();
}

void Report::write(const std::string& path) {
  if (path.empty()) return;
  const bool final = since_.empty();
  std::string json = "{\"status\":" + json_string(status) + ",\"time\":" + json_string(utc_now());
  if (!final) {
    if (!migration_.empty()) json += ",\"migration\":" + json_string(migration_);
    json += ",\"since\":" + json_string(since_);
  }
  if (progress) {
    json += ",\"current_version\":" + (progress->current.empty() ? std::string("null") : json_string(progress->current));
    json += ",\"pending\":[";
    for (size_t i = 0; i < progress->pending.size(); ++i) json += (i ? "," : "") + json_string(progress->pending[i]);
    json += "]";
  } else {
    json += ",\"current_version\":null,\"pending\":null";
  }
  json += ",\"preflight\":[";
  for (size_t i = 0; i < preflight.size(); ++i) json += (i ? "," : "") + preflight::to_json(preflight[i]);
  json += "]";
  json += ",\"error\":" + (error.empty() ? std::string("null") : json_string(log::scrub(error)));
  json += ",\"timings_ms\":{";
  for (size_t i = 0; i < timings_ms.size(); ++i)
    json += (i ? "," : "") + json_string(timings_ms[i].first) + ":" + std::to_string(timings_ms[i].second);
  if (final) {
    json +=
        std::string(timings_ms.empty() ? "" : ",") + "\"total\":" +
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  }
  json += "}}\n";
  // Said once: a path that cannot be written at the first phase will not be at the next.
  if (Status written = replace_file(path, json); !written && !warned_++)
    log::warn("cannot write the status file " + path + ": " + written.error().message);
}

}  // namespace schemagate::commands
