// What settings.h promises besides load(): sources, the setting flags for the command line, and
// the two answers main needs before the settings are loaded. All of it is read off the table.
#include "config/settings.h"

#include <cstdlib>

#include "config/table.h"
#include "util/conninfo_text.h"

namespace schemagate::config {

std::string Source::describe() const {
  switch (kind) {
    case Kind::Default: return "default";
    case Kind::File: return where;
    case Kind::Environment: return "environment " + where + (detail.empty() ? "" : " (" + detail + ")");
    case Kind::Flag: return "flag " + where;
  }
  return "default";
}

const Source& Settings::source_of(std::string_view key) const {
  static const Source kDefault;
  for (const auto& s : shown)
    if (s.key == key) return s.source;
  return kDefault;
}

const FlagInfo* find_flag(std::string_view name) {
  for (const FlagInfo& f : all_flags())
    if (f.name == name) return &f;
  return nullptr;
}

std::span<const FlagInfo> all_flags() {
  static const std::vector<FlagInfo> flags = [] {
    std::vector<FlagInfo> out;
    for (const Row& row : table()) {
      if (!row.flag.empty()) out.push_back({row.flag, true, row.key});
      for (const Switch& s : row.switches)
        if (!s.flag.empty()) out.push_back({s.flag, false, row.key});
    }
    return out;
  }();
  return flags;
}

Env process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::vector<std::string> secrets_in(std::span<const FlagValue> flags, const Env& env) {
  std::vector<std::string> secrets;
  auto add_from = [&](std::string_view conninfo) {
    for (auto& p : passwords_in(conninfo)) secrets.push_back(std::move(p));
  };
  for (const Row& row : table()) {
    if (!row.secret) continue;
    for (const Alias& alias : row.env)
      if (!alias.name.empty() && !alias.is_file)
        if (auto value = env(alias.name)) add_from(*value);
    for (const FlagValue& f : flags)
      if (f.flag == row.flag) add_from(f.value);
  }
  // libpq reads it itself when no URL holds a password; it is never a setting of ours.
  if (auto password = env("PGPASSWORD")) secrets.push_back(*password);
  return secrets;
}

log::Format early_log_format(std::span<const FlagValue> flags, const Env& env) {
  const Row& row = *find_row("log.format");
  std::optional<std::string> text;
  for (const Alias& alias : row.env)
    if (!alias.name.empty() && !text) text = env(alias.name);
  for (const FlagValue& f : flags)
    if (f.flag == row.flag) text = f.value;
  Settings scratch;
  if (!text || !row.field.apply(scratch, Raw{*text, {}, false, {}})) return log::Format::text;
  return scratch.log_format;
}

}  // namespace schemagate::config
