#include "commands/commands.h"
#include "commands/inputs.h"
#include "log/log.h"
#include "preflight/lint.h"
#include "util/file.h"
#include "util/json.h"

namespace schemagate::commands {
namespace {

const char* severity_name(preflight::Severity s) {
  switch (s) {
    case preflight::Severity::blocking: return "blocking";
    case preflight::Severity::acknowledged: return "acknowledged";
    case preflight::Severity::warning: break;
  }
  return "warning";
}

std::string json_of(const preflight::Finding& f, bool with_rule) {
  std::string out = "{\"file\":" + json_string(f.path) + ",\"line\":" + std::to_string(f.line) +
                    ",\"column\":" + std::to_string(f.column);
  if (with_rule)
    out += ",\"rule\":" + json_string(f.rule) + ",\"severity\":\"" + severity_name(f.severity) +
           "\",\"table\":" + json_string(f.table) + ",\"lock\":" + json_string(f.lock);
  return out + ",\"message\":" + json_string(f.message) + "}";
}

}  // namespace

// `schemagate lint [--json]`: pre-flight from the SQL alone, for CI (no database).
Status lint(Context& ctx) {
  auto inputs = load_files(ctx.settings);
  if (!inputs) return inputs.error();
  preflight::Report report = preflight::lint(inputs->files);
  if (ctx.invocation.json) {
    std::string out = "{\"findings\":[";
    for (size_t i = 0; i < report.findings.size(); ++i) out += (i ? "," : "") + json_of(report.findings[i], true);
    out += "],\"not_analysed\":[";
    for (size_t i = 0; i < report.not_analysed.size(); ++i)
      out += (i ? "," : "") + json_of(report.not_analysed[i], false);
    print(out + "],\"blocking\":" + std::to_string(report.blocking()) + "}\n");
  } else {
    std::string out;
    for (const auto& f : report.findings)
      out += f.where() + ": " + severity_name(f.severity) + ": " + f.message + " [" + f.rule + "]\n";
    for (const auto& f : report.not_analysed) out += f.where() + ": " + f.message + "\n";
    print(out);
  }
  log::info("lint done", {{"files", std::to_string(inputs->files.size())},
                          {"findings", std::to_string(report.findings.size())},
                          {"blocking", std::to_string(report.blocking())},
                          {"not_analysed", std::to_string(report.not_analysed.size())}});
  if (report.blocking() > 0)
    return bad_migrations(std::to_string(report.blocking()) +
                          " blocking finding(s): once reviewed, acknowledge each with a line "
                          "-- schemagate:ack <rule-id> right above its statement");
  return {};
}

}  // namespace schemagate::commands
