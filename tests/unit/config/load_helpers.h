// What the settings tests share: load() with an environment and flags given inline, and short
// ways to read back a value, its source or the one-line error.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace schemagate::config {

// No test may pick up a schemagate.toml lying in the directory the tests run from.
inline const std::string kNoDefaultFile = "/nonexistent/schemagate-unit-test/schemagate.toml";

inline const std::string kBadDuration =
    "not a duration (seconds such as 2 or 0.5, or with a unit: 500ms, 5s, 2m, 1h)";

inline Env env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline Result<Settings> load_with(const std::vector<FlagValue>& flags,
                                  const std::map<std::string, std::string>& env = {},
                                  const std::string& cwd_default = kNoDefaultFile) {
  return load(flags, env_of(env), cwd_default);
}

inline Result<Settings> load_env(const std::map<std::string, std::string>& env) { return load_with({}, env); }

// The one line a failed load reports; fails the test when the load succeeded.
inline std::string error_of(const Result<Settings>& loaded) {
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().kind == ErrorKind::Config);
  return loaded.error().message;
}

inline const Settings::Shown& row(const Settings& settings, std::string_view key) {
  for (const auto& r : settings.shown)
    if (r.key == key) return r;
  FAIL("no shown row for " << key);
  throw std::logic_error("unreachable");
}

inline std::string shown(const Settings& settings, std::string_view key) { return row(settings, key).value; }
inline std::string source(const Settings& settings, std::string_view key) {
  return settings.source_of(key).describe();
}

inline std::vector<std::string> written(const std::vector<TableName>& tables) {
  std::vector<std::string> out;
  for (const auto& t : tables) out.push_back(t.as_written);
  return out;
}

}  // namespace schemagate::config
