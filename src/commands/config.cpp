#include <algorithm>

#include "commands/commands.h"
#include "log/log.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate config`: every effective setting, where it came from, passwords masked.
Status config(Context& ctx) {
  const config::Settings& s = ctx.settings;
  auto target = target_of(s);
  if (!target) return target.error();

  auto shown_value = [](const config::Settings::Shown& row) {
    return row.key == "database.url" && row.value.empty() ? "(unset: libpq PG* variables)" : row.value;
  };
  size_t key_width = 0, value_width = 0;
  for (const auto& row : s.shown) {
    key_width = std::max(key_width, row.key.size());
    value_width = std::max(value_width, shown_value(row).size());
  }
  auto line = [&](std::string_view key, std::string_view value, std::string_view source) {
    std::string out(key);
    out.resize(key_width + 2, ' ');
    out += value;
    if (!source.empty()) {
      out.resize(key_width + 2 + std::max(value_width, value.size()) + 2, ' ');
      out += source;
    }
    // The same scrub as every log line: a password that also appears elsewhere in the URL (as the
    // user or database name) is masked there too.
    print(log::scrub(out) + "\n");
  };
  for (const auto& row : s.shown) line(row.key, shown_value(row), row.source.describe());
  // What the URL or the PG* variables resolve to, as every log line will name it.
  line("database", target->display(), "");
  return {};
}

}  // namespace schemagate::commands
