// SPEC §4's precedence: defaults < TOML file < environment < flags. Each source puts a Raw value
// per key into one map, later sources over earlier ones; then every row parses its winner, so a
// default goes through the same parser as a value from anywhere else.
#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <map>

#include "config/settings.h"
#include "config/table.h"
#include "config/toml.h"
#include "config/values.h"
#include "util/conninfo_text.h"
#include "util/file.h"
#include "util/json.h"

namespace schemagate::config {
namespace {

constexpr std::array<std::string_view, 4> kSections = {"database", "migrations", "verify", "log"};

// A value as an error message quotes it: escaped as JSON does, so a newline in a value cannot
// break the one-line message.
std::string in_quotes(std::string_view value) {
  std::string v(value.substr(0, 200));
  if (value.size() > 200) v += "...";
  return "\"" + escape_controls(v) + "\"";
}

// The prefix of every error about one value: `DB_MAX_RETRIES="abc" (environment)`,
// `schemagate.toml:7:3: database.max_retries = "abc"`, `--max-retries="abc" (flag)`.
std::string label(const Row& row, const Raw& raw) {
  std::string value = raw.text;
  if (raw.is_list) {
    value.clear();
    for (const auto& item : raw.list) value += (value.empty() ? "" : ",") + item;
  }
  if (row.secret) value = mask_passwords(value);
  switch (raw.source.kind) {
    case Source::Kind::Environment: return raw.source.where + "=" + in_quotes(value) + " (environment)";
    case Source::Kind::Flag: return raw.source.where + "=" + in_quotes(value) + " (flag)";
    case Source::Kind::File: return raw.source.where + ": " + std::string(row.key) + " = " + in_quotes(value);
    case Source::Kind::Default: break;
  }
  return std::string(row.key) + (value.empty() ? "" : "=" + in_quotes(value)) + " (default)";
}

// Control characters (below 0x20, and DEL) in a value are a mistake to stop at, not to hand to
// libpq, a path or an argv: the \r of an env file saved with CRLF, a newline left by templating.
// Only the blanks a row's own parser splits on (Row::controls) are allowed. Fails naming the first
// one in the value (each item of a list).
Status refuse_controls(const Row& row, const Raw& raw) {
  for (const std::string& text : raw.is_list ? raw.list : std::vector<std::string>{raw.text}) {
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 || byte == 0x7F) && row.controls.find(c) == std::string_view::npos)
        return config_error("contains the control character " + escape_controls(std::string(1, c)));
    }
  }
  return {};
}

// Reads DATABASE_URL_FILE: Docker and Kubernetes secrets end the file with a newline.
Result<std::string> read_secret_file(const std::string& path) {
  auto content = read_file(path);
  if (!content) return config_error("cannot read: " + content.error().message);
  std::string text = std::move(*content);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return config_error("the file is empty");
  return text;
}

// The environment's say on one setting, with aliases reconciled.
Result<std::optional<Raw>> from_env(const Row& row, const Env& env) {
  std::optional<Raw> chosen;
  std::string chosen_normal;
  for (const Alias& alias : row.env) {
    if (alias.name.empty()) break;
    auto value = env(alias.name);
    if (!value) continue;
    Raw raw{*value, {}, false, {Source::Kind::Environment, std::string(alias.name)}};
    if (value->empty() && !row.repeatable)
      return Error(config_error(std::string(alias.name) + " (environment): set but empty"));
    if (alias.is_file) {
      auto text = read_secret_file(*value);
      if (!text) return Error(config_error(label(row, raw) + ": " + text.error().message));
      raw.text = *text;
      raw.source.detail = *value;
    }
    // Compare aliases by meaning, so BACKEND_AUTO_MIGRATE=yes agrees with AUTO_MIGRATE_ON_STARTUP=1.
    // Apart from the URL and its file, only booleans have several aliases.
    std::string normal = raw.text;
    if (!alias.is_file && !row.env[1].name.empty() && !row.env[1].is_file) {
      auto b = parse_bool(raw.text);
      if (!b) return Error(config_error(label(row, raw) + ": " + b.error().message));
      normal = show_bool(alias.inverted ? !*b : *b);
      raw.text = normal;
    }
    if (chosen && (alias.is_file || chosen_normal != normal))
      return Error(config_error(
          chosen->source.where + " and " + std::string(alias.name) +
          (alias.is_file ? " are both set (environment): use one"
                         : " disagree (environment): " + chosen->source.where + "=" +
                               in_quotes(*env(chosen->source.where)) + ", " + std::string(alias.name) +
                               "=" + in_quotes(*value))));
    if (!chosen) {
      chosen = raw;
      chosen_normal = normal;
    }
  }
  return chosen;
}

// The flags' say on one setting: the last use of its flag or a switch, or for a repeatable flag
// every use.
std::optional<Raw> from_flags(const Row& row, std::span<const FlagValue> flags) {
  std::optional<Raw> flag;
  for (const auto& f : flags) {
    Source src{Source::Kind::Flag, f.flag};
    if (f.flag == row.flag) {
      if (row.repeatable && flag && flag->source.kind == Source::Kind::Flag) {
        flag->list.push_back(f.value);
      } else {
        flag = Raw{f.value, {f.value}, row.repeatable, src};
      }
    }
    for (const Switch& s : row.switches)
      if (!s.flag.empty() && f.flag == s.flag) flag = Raw{std::string(s.value), {}, false, src};
  }
  return flag;
}

// A TOML value as the file writes it, for an error message: a string in quotes, a float with its
// point (3.0, not 3), passwords masked.
std::string as_written(const Row& row, const TomlEntry& e) {
  std::string text = row.secret ? mask_passwords(e.text) : e.text;
  if (e.type == TomlType::string) return in_quotes(text);
  if (e.type == TomlType::floating && text.find_first_not_of("-0123456789") == std::string::npos)
    text += ".0";
  return text;
}

// Why a file entry's TOML type does not fit its setting (Row::toml), or empty when it does.
std::string type_mismatch(const Row& row, const TomlEntry& e) {
  struct Takes {
    TomlType type;  // the one type the kind takes; a duration takes three (below)
    std::string_view words;
  };
  static constexpr Takes kTakes[] = {
      {TomlType::string, "a string"},
      {TomlType::integer, "an integer"},
      {TomlType::other, "seconds as a number (2, 0.5) or a string with a unit (\"500ms\")"},
      {TomlType::boolean, "true or false"},
      {TomlType::array, "an array of strings"},
  };  // by TomlKind
  static constexpr std::string_view kGiven[] = {"a string",  "an integer", "a float",
                                                "a boolean", "an array",   "a date or time"};  // by TomlType
  const TomlType t = e.type;
  const Takes& takes = kTakes[static_cast<size_t>(row.toml)];
  std::string given(kGiven[static_cast<size_t>(t)]);
  if (row.toml != TomlKind::duration)
    return t == takes.type ? "" : "expected " + std::string(takes.words) + ", not " + given;
  // A duration's string must carry its unit: a bare number in quotes ("2") is refused like any other.
  if (t == TomlType::integer || t == TomlType::floating) return "";
  if (t == TomlType::string && !e.text.empty() && std::isalpha(static_cast<unsigned char>(e.text.back())))
    return "";
  if (t == TomlType::string) given = "a string without a unit";
  return "expected " + std::string(takes.words) + ", not " + given;
}

const Row* toml_row(std::string_view key) {
  const Row* row = find_row(key);
  return row && row->in_toml ? row : nullptr;
}

// --config, SCHEMAGATE_CONFIG, or ./schemagate.toml when it exists.
Result<std::optional<Raw>> config_file_choice(const Row& row, std::span<const FlagValue> flags,
                                              const Env& env, const std::string& cwd_default) {
  std::optional<Raw> chosen = from_flags(row, flags);
  if (!chosen) {
    auto from = from_env(row, env);
    if (!from) return from.error();
    chosen = *from;
  }
  if (!chosen && !cwd_default.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(cwd_default, ec))
      chosen = Raw{cwd_default, {}, false, {Source::Kind::Default, ""}};
  }
  return chosen;
}

// The TOML file's values, by key, into `chosen`.
Status read_toml(const Row& config_row, const Raw& file, std::map<std::string_view, Raw>& chosen) {
  if (Status ok = refuse_controls(config_row, file); !ok)
    return config_error(label(config_row, file) + ": " + ok.error().message);
  auto text = read_file(file.text);
  if (!text) return config_error(label(config_row, file) + ": cannot read: " + text.error().message);
  auto entries = parse_toml(*text, file.text);
  if (!entries) return entries.error();
  for (const TomlEntry& e : *entries) {
    if (e.is_table) {
      if (std::find(kSections.begin(), kSections.end(), e.key) == kSections.end())
        return config_error(e.where + ": unknown section [" + escape_controls(e.key) + "]");
      continue;
    }
    const Row* row = toml_row(e.key);
    if (!row) return config_error(e.where + ": unknown setting \"" + escape_controls(e.key) + "\"");
    if (e.is_list && row->toml != TomlKind::list)
      return config_error(e.where + ": " + e.key + ": expected a single value, not an array");
    if (!e.type_error.empty()) return config_error(e.where + ": " + e.key + ": " + e.type_error);
    // Here, for every entry: a value of the wrong type is a mistake even where the environment
    // or a flag overrides it, since the file is then wrong for whoever runs without them.
    if (std::string expected = type_mismatch(*row, e); !expected.empty())
      return config_error(e.where + ": " + e.key + " = " + as_written(*row, e) + ": " + expected);
    chosen[row->key] = Raw{e.text, e.list, e.is_list, {Source::Kind::File, e.where}};
  }
  return {};
}

}  // namespace

Result<Settings> load(std::span<const FlagValue> flags, const Env& env, const std::string& cwd_default) {
  std::map<std::string_view, Raw> chosen;  // by key: the value that wins so far
  for (const Row& row : table())
    if (!row.default_text.empty()) chosen[row.key] = Raw{std::string(row.default_text), {}, false, {}};

  // The file is chosen first: it holds the values the environment and the flags then override.
  const Row& config_row = *find_row("config");
  auto file = config_file_choice(config_row, flags, env, cwd_default);
  if (!file) return file.error();
  if (*file) {
    chosen[config_row.key] = **file;
    if (Status read = read_toml(config_row, **file, chosen); !read) return read.error();
  }

  for (const Row& row : table()) {
    if (&row == &config_row) continue;
    auto from = from_env(row, env);
    if (!from) return from.error();
    if (*from) chosen[row.key] = **from;
    if (auto flag = from_flags(row, flags)) chosen[row.key] = *flag;
  }

  Settings settings;
  for (const Row& row : table()) {
    auto it = chosen.find(row.key);
    Source source;
    if (it != chosen.end()) {
      Status ok = refuse_controls(row, it->second);
      if (ok) ok = row.field.apply(settings, it->second);
      if (!ok) return config_error(label(row, it->second) + ": " + ok.error().message);
      source = it->second.source;
    }
    settings.shown.push_back({std::string(row.key), row.field.show(settings), source});
  }
  return settings;
}

}  // namespace schemagate::config
