// libFuzzer target: the settings parser (SPEC §4) on hostile input. parse_toml, config::load with
// an environment and flags from the input, and the value parsers must never crash, hang or leak,
// and every error they return is ErrorKind::Config or Usage with one non-empty line.
//
// Input: a TOML file, the environment and the flags, sections separated by the byte 0x1E and
// entries by 0x1F (so a value may hold a newline, as a real environment variable can):
//   <toml text> 0x1E DB_MAX_RETRIES=5 0x1F LOG_LEVEL=debug 0x1E --timeout=30s 0x1F --no-migrate
// An entry without '=' is a variable set to "" or a switch.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "config/settings.h"
#include "config/toml.h"
#include "config/values.h"

namespace schemagate::fuzz {
namespace {

using config::FlagValue;

constexpr char kSection = '\x1e';
constexpr char kEntry = '\x1f';
constexpr std::string_view kMissingFile = "/nonexistent/schemagate-fuzz/missing";

// The file load() reads the TOML section from, one per fuzzing process.
const std::string& scratch_path() {
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("schemagate-settings-fuzz-" + std::to_string(::getpid()) + ".toml"))
                                      .string();
  return path;
}

void write_scratch(std::string_view text) {
  std::FILE* f = std::fopen(scratch_path().c_str(), "wb");
  require(f != nullptr, "cannot write the scratch settings file", scratch_path());
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

// A fuzzed path could name /dev/stdin or /dev/zero and block or never end, so settings that name
// a file read the scratch file or a missing one instead; an empty value stays empty.
bool names_a_file(std::string_view name) {
  return name == "SCHEMAGATE_CONFIG" || name == "DATABASE_URL_FILE" || name == "--config";
}
std::string tamed_path(std::string_view value) {
  if (value.empty()) return {};
  return static_cast<unsigned char>(value.front()) % 2 ? scratch_path() : std::string(kMissingFile);
}

std::pair<std::string, std::string> name_and_value(std::string_view entry) {
  size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return {std::string(entry), {}};
  return {std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1))};
}

void check_value_parsers(std::string_view text) {
  if (auto n = config::parse_count(text); !n) {
    require_one_line_error(n.error(), {ErrorKind::Config});
  } else {
    require(*n >= 0 && *n <= 1'000'000, "parse_count out of range", text);
  }
  if (auto d = config::parse_duration(text); !d) {
    require_one_line_error(d.error(), {ErrorKind::Config});
  } else {
    require(d->count() >= 0 && *d <= std::chrono::hours(24 * 7), "parse_duration out of range", text);
  }
  if (auto b = config::parse_bool(text); !b) require_one_line_error(b.error(), {ErrorKind::Config});
  if (auto tables = config::parse_table_list(text); !tables) {
    require_one_line_error(tables.error(), {ErrorKind::Config});
  } else {
    for (const TableName& t : *tables) require(!t.name.empty(), "parse_table_list gave an empty name", text);
  }
  if (auto words = config::parse_command_line(text); !words)
    require_one_line_error(words.error(), {ErrorKind::Config});
}

}  // namespace
}  // namespace schemagate::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The path first: a static built after the handler is registered is destroyed before it runs.
  static const std::string path = schemagate::fuzz::scratch_path();
  std::atexit([] { std::remove(path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace schemagate;
  using namespace schemagate::fuzz;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> sections = split_on(input, kSection);
  std::string_view toml_text = sections[0];

  // The file on its own, as `schemagate config` would read it.
  if (auto entries = config::parse_toml(std::string(toml_text), "schemagate.toml"); !entries) {
    require_one_line_error(entries.error(), {ErrorKind::Config});
  } else {
    for (const config::TomlEntry& e : *entries) {
      require(e.where.starts_with("schemagate.toml:"), "TOML entry without its place", e.where);
      check_value_parsers(e.text);
      for (const std::string& item : e.list) check_value_parsers(item);
    }
  }

  std::map<std::string, std::string, std::less<>> env;
  if (sections.size() > 1) {
    for (std::string_view entry : split_on(sections[1], kEntry)) {
      if (entry.empty()) continue;
      auto [name, value] = name_and_value(entry);
      if (names_a_file(name)) value = tamed_path(value);
      check_value_parsers(value);
      env[name] = value;
    }
  }
  std::vector<FlagValue> flags;
  if (sections.size() > 2) {
    for (std::string_view entry : split_on(sections[2], kEntry)) {
      if (entry.empty()) continue;
      auto [flag, value] = name_and_value(entry);
      if (names_a_file(flag)) value = tamed_path(value);
      check_value_parsers(value);
      (void)config::find_flag(flag);
      flags.push_back({flag, value});
    }
  }

  write_scratch(toml_text);
  config::Env lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  // Without --config or SCHEMAGATE_CONFIG, the scratch file stands in for ./schemagate.toml.
  auto loaded = config::load(flags, lookup, toml_text.empty() ? std::string() : scratch_path());
  if (!loaded) {
    require_one_line_error(loaded.error(), {ErrorKind::Config, ErrorKind::Usage});
    return 0;
  }
  const config::Settings& s = *loaded;
  require(s.max_retries >= 0 && s.retry_attempts >= 0, "negative count loaded");
  require(s.retry_interval.count() >= 0 && s.migration_timeout.count() >= 0 && s.retry_delay.count() >= 0 &&
              s.lock_timeout.count() >= 0,
          "negative duration loaded");
  require(!s.migrations_dir.empty() && !s.migrations_table.empty(), "empty directory or table loaded");
  require(!s.shown.empty(), "no settings shown");
  return 0;
}
