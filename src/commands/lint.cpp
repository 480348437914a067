#include "commands/commands.h"
#include "commands/inputs.h"
#include "log/log.h"
#include "preflight/lint.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate lint [--json]`: pre-flight from the SQL alone, for CI (no database).
Status lint(Context& ctx) {
  auto inputs = load_files(ctx.settings);
  if (!inputs) return inputs.error();
  preflight::Report report = preflight::lint(inputs->files);
  if (ctx.invocation.json) {
    std::string out = "{\"findings\":[";
    for (size_t i = 0; i < report.findings.size(); ++i) out += (i ? "," : "") + preflight::to_json(report.findings[i]);
    out += "],\"not_analysed\":[";
    for (size_t i = 0; i < report.not_analysed.size(); ++i)
      out += (i ? "," : "") + preflight::to_json(report.not_analysed[i], false);
    print(out + "],\"blocking\":" + std::to_string(report.blocking()) + "}\n");
  } else {
    std::string out;
    for (const auto& f : report.findings)
      out += preflight::to_text(f) + "\n";
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
