#include "config/settings.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "config/toml.h"
#include "util/conninfo_text.h"
#include "util/file.h"
#include "util/json.h"

namespace schemagate::config {
namespace {

constexpr int kMaxCount = 1'000'000;
constexpr milliseconds kMaxDuration = std::chrono::hours(24 * 7);

// A value before it is parsed, with where it came from.
struct Raw {
  std::string text;
  std::vector<std::string> list;
  bool is_list = false;
  Source source;
};

struct Alias {
  std::string_view name;
  bool inverted = false;  // DISABLE_AUTO_MIGRATIONS=true means auto = false
  bool is_file = false;   // DATABASE_URL_FILE names a file holding the value
};

struct Switch {
  std::string_view flag;
  std::string_view value;  // what the switch sets, parsed like any other value
};

struct Def {
  std::string_view key;  // TOML key, or the name `config` shows for env-only settings
  bool in_toml;
  std::array<Alias, 3> env;
  std::string_view flag;  // takes a value
  std::array<Switch, 2> switches;
  bool repeatable;        // each use of the flag adds to the list
  bool secret;            // shown masked
  std::string_view default_text;
  Status (*apply)(Settings&, const Raw&);
  std::string (*show)(const Settings&);
};

std::string show_duration(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}
std::string show_bool(bool b) { return b ? "true" : "false"; }

Status set_count(int& field, const Raw& raw) {
  auto v = parse_count(raw.text);
  if (!v) return v.error();
  field = *v;
  return {};
}
Status set_duration(milliseconds& field, const Raw& raw) {
  auto v = parse_duration(raw.text);
  if (!v) return v.error();
  field = *v;
  return {};
}
Status set_bool(bool& field, const Raw& raw) {
  auto v = parse_bool(raw.text);
  if (!v) return v.error();
  field = *v;
  return {};
}
Status set_text(std::string& field, const Raw& raw) {
  if (raw.text.empty()) return config_error("must not be empty");
  field = raw.text;
  return {};
}

std::string show_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) {
    if (!out.empty()) out += ' ';
    out += word.find_first_of(" \t'\"\\") == std::string::npos && !word.empty() ? word : "'" + word + "'";
  }
  return out;
}

const std::array<Def, 19> kDefs = {{
    {"database.url", true, {{{"DATABASE_URL"}, {"DATABASE_URL_FILE", false, true}}}, "--database-url", {},
     false, true, "",
     [](Settings& s, const Raw& r) { return set_text(s.database_url, r); },
     [](const Settings& s) { return mask_passwords(s.database_url); }},
    {"database.max_retries", true, {{{"DB_MAX_RETRIES"}}}, "--max-retries", {}, false, false, "30",
     [](Settings& s, const Raw& r) { return set_count(s.max_retries, r); },
     [](const Settings& s) { return std::to_string(s.max_retries); }},
    {"database.retry_interval", true, {{{"DB_RETRY_INTERVAL"}}}, "--retry-interval", {}, false, false,
     "2", [](Settings& s, const Raw& r) { return set_duration(s.retry_interval, r); },
     [](const Settings& s) { return show_duration(s.retry_interval); }},
    {"migrations.dir", true, {{{"MIGRATIONS_DIR"}}}, "--dir", {}, false, false, "migrations",
     [](Settings& s, const Raw& r) { return set_text(s.migrations_dir, r); },
     [](const Settings& s) { return s.migrations_dir; }},
    {"migrations.table", true, {{{"MIGRATIONS_TABLE"}}}, "--table", {}, false, false,
     "schema_migrations",
     [](Settings& s, const Raw& r) -> Status {
       auto name = parse_table_name(r.text);
       if (!name) return name.error();
       // schemagate creates and writes this table: an unquoted part must be what SQL calls an
       // identifier, so the table is the one the user sees under that name.
       auto plain = [](const std::string& part) {
         auto ok = [](unsigned char c, bool first) {
           return std::isalpha(c) || c == '_' || c >= 0x80 || (!first && (std::isdigit(c) || c == '$'));
         };
         for (size_t i = 0; i < part.size(); ++i)
           if (!ok(static_cast<unsigned char>(part[i]), i == 0)) return false;
         return true;
       };
       if ((!name->schema_quoted && !plain(name->schema)) || (!name->name_quoted && !plain(name->name)))
         return config_error("table name \"" + escape_controls(r.text) + "\": not an SQL identifier; double-quote a name "
                             "with other characters");
       return set_text(s.migrations_table, r);
     },
     [](const Settings& s) { return s.migrations_table; }},
    {"migrations.auto", true,
     {{{"AUTO_MIGRATE_ON_STARTUP"}, {"BACKEND_AUTO_MIGRATE"}, {"DISABLE_AUTO_MIGRATIONS", true}}}, "",
     {{{"--no-migrate", "false"}}}, false, false, "true",
     [](Settings& s, const Raw& r) { return set_bool(s.auto_migrate, r); },
     [](const Settings& s) { return show_bool(s.auto_migrate); }},
    {"migrations.fail_on_error", true, {{{"FAIL_ON_MIGRATION_ERROR"}}}, "", {{{"--permissive", "false"}}},
     false, false, "true", [](Settings& s, const Raw& r) { return set_bool(s.fail_on_error, r); },
     [](const Settings& s) { return show_bool(s.fail_on_error); }},
    {"migrations.timeout", true, {{{"MIGRATION_TIMEOUT_SECONDS"}}}, "--timeout", {}, false, false, "60",
     [](Settings& s, const Raw& r) { return set_duration(s.migration_timeout, r); },
     [](const Settings& s) {
       return s.migration_timeout.count() ? show_duration(s.migration_timeout) : "0 (no limit)";
     }},
    {"migrations.retry_attempts", true, {{{"MIGRATION_RETRY_ATTEMPTS"}}}, "", {}, false, false, "3",
     [](Settings& s, const Raw& r) { return set_count(s.retry_attempts, r); },
     [](const Settings& s) { return std::to_string(s.retry_attempts); }},
    {"migrations.retry_delay", true, {{{"MIGRATION_RETRY_DELAY_SECONDS"}}}, "", {}, false, false, "5",
     [](Settings& s, const Raw& r) { return set_duration(s.retry_delay, r); },
     [](const Settings& s) { return show_duration(s.retry_delay); }},
    {"migrations.lock_timeout", true, {{{"MIGRATION_LOCK_TIMEOUT"}}}, "", {}, false, false, "5s",
     [](Settings& s, const Raw& r) { return set_duration(s.lock_timeout, r); },
     [](const Settings& s) { return show_duration(s.lock_timeout); }},
    {"migrations.await", true, {{{"MIGRATIONS_AWAIT"}}}, "", {{{"--await", "true"}}}, false, false,
     "false", [](Settings& s, const Raw& r) { return set_bool(s.await, r); },
     [](const Settings& s) { return show_bool(s.await); }},
    {"verify.tables", true, {{{"CRITICAL_TABLES"}}}, "--require-table", {}, true, false, "",
     [](Settings& s, const Raw& r) -> Status {
       std::vector<TableName> tables;
       if (r.is_list) {
         // Each item may itself list several, as CRITICAL_TABLES does: --require-table a,b.
         for (const auto& item : r.list) {
           if (item.find_first_not_of(" \t") == std::string::npos) {  // an explicit blank is an error
             auto name = parse_table_name(item);
             if (!name) return name.error();
           }
           auto names = parse_table_list(item);
           if (!names) return names.error();
           tables.insert(tables.end(), names->begin(), names->end());
         }
       } else {
         auto parsed = parse_table_list(r.text);
         if (!parsed) return parsed.error();
         tables = *parsed;
       }
       s.critical_tables = std::move(tables);
       return {};
     },
     [](const Settings& s) {
       std::string out;
       for (const auto& t : s.critical_tables) out += (out.empty() ? "" : ",") + t.as_written;
       return out;
     }},
    {"log.format", true, {{{"LOG_FORMAT"}}}, "--log-format", {}, false, false, "text",
     [](Settings& s, const Raw& r) -> Status {
       std::string v;
       for (char c : r.text) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
       if (v == "text") s.log_format = log::Format::text;
       else if (v == "json") s.log_format = log::Format::json;
       else return config_error("must be text or json");
       return {};
     },
     [](const Settings& s) { return std::string(s.log_format == log::Format::json ? "json" : "text"); }},
    {"log.level", true, {{{"LOG_LEVEL"}}}, "", {{{"-v", "debug"}, {"-q", "warn"}}}, false, false, "info",
     [](Settings& s, const Raw& r) -> Status {
       std::string v;
       for (char c : r.text) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
       if (v == "debug") s.log_level = log::Level::debug;
       else if (v == "info") s.log_level = log::Level::info;
       else if (v == "warn" || v == "warning") s.log_level = log::Level::warn;
       else if (v == "error") s.log_level = log::Level::error;
       else return config_error("must be debug, info, warn or error");
       return {};
     },
     [](const Settings& s) {
       switch (s.log_level) {
         case log::Level::debug: return std::string("debug");
         case log::Level::info: return std::string("info");
         case log::Level::warn: return std::string("warn");
         case log::Level::error: return std::string("error");
       }
       return std::string("info");
     }},
    {"migrations.command", true, {{{"MIGRATE_COMMAND"}}}, "--migrate-command", {}, false, false, "",
     [](Settings& s, const Raw& r) -> Status {
       auto argv = parse_command_line(r.text);
       if (!argv) return argv.error();
       if (argv->empty()) return config_error("must not be empty");
       s.migrate_command = std::move(*argv);
       return {};
     },
     [](const Settings& s) { return show_command(s.migrate_command); }},
    {"status_file", false, {{{"SCHEMAGATE_STATUS_FILE"}}}, "--status-file", {}, false, false, "",
     [](Settings& s, const Raw& r) { return set_text(s.status_file, r); },
     [](const Settings& s) { return s.status_file; }},
    {"skip", false, {{{"SCHEMAGATE_SKIP"}}}, "", {{{"--skip", "true"}}}, false, false, "false",
     [](Settings& s, const Raw& r) { return set_bool(s.skip, r); },
     [](const Settings& s) { return show_bool(s.skip); }},
    {"config", false, {{{"SCHEMAGATE_CONFIG"}}}, "--config", {}, false, false, "",
     [](Settings& s, const Raw& r) { return set_text(s.config_file, r); },
     [](const Settings& s) { return s.config_file; }},
}};

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
std::string label(const Def& def, const Raw& raw) {
  std::string value = raw.text;
  if (raw.is_list) {
    value.clear();
    for (const auto& item : raw.list) value += (value.empty() ? "" : ",") + item;
  }
  if (def.secret) value = mask_passwords(value);
  switch (raw.source.kind) {
    case Source::Kind::Environment: return raw.source.where + "=" + in_quotes(value) + " (environment)";
    case Source::Kind::Flag: return raw.source.where + "=" + in_quotes(value) + " (flag)";
    case Source::Kind::File: return raw.source.where + ": " + std::string(def.key) + " = " + in_quotes(value);
    case Source::Kind::Default: break;
  }
  return std::string(def.key) + (value.empty() ? "" : "=" + in_quotes(value)) + " (default)";
}

// Control characters (below 0x20, and DEL) a setting's value may hold: only the blanks its own
// parser splits on. Anywhere else one is a mistake to stop at, not to hand to libpq, a path or an
// argv: the \r of an env file saved with CRLF, a newline left by templating.
std::string_view allowed_controls(const Def& def) {
  if (def.key == "migrations.command") return "\t\n";  // blanks between words (parse_command_line)
  if (def.key == "verify.tables") return "\t";         // blanks around a name, as spaces are
  return "";
}

// Fails naming the first control character in the value (each item of a list) that `def` refuses.
Status refuse_controls(const Def& def, const Raw& raw) {
  for (const std::string& text : raw.is_list ? raw.list : std::vector<std::string>{raw.text}) {
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 || byte == 0x7F) && allowed_controls(def).find(c) == std::string_view::npos)
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
Result<std::optional<Raw>> from_env(const Def& def, const Env& env) {
  std::optional<Raw> chosen;
  std::string chosen_normal;
  for (const Alias& alias : def.env) {
    if (alias.name.empty()) break;
    auto value = env(alias.name);
    if (!value) continue;
    Raw raw{*value, {}, false, {Source::Kind::Environment, std::string(alias.name)}};
    if (value->empty() && !def.repeatable)
      return Error(config_error(std::string(alias.name) + " (environment): set but empty"));
    if (alias.is_file) {
      auto text = read_secret_file(*value);
      if (!text) return Error(config_error(label(def, raw) + ": " + text.error().message));
      raw.text = *text;
      raw.source.detail = *value;
    }
    // Compare aliases by meaning, so BACKEND_AUTO_MIGRATE=yes agrees with AUTO_MIGRATE_ON_STARTUP=1.
    // Apart from the URL and its file, only booleans have several aliases.
    std::string normal = raw.text;
    if (!alias.is_file && !def.env[1].name.empty() && !def.env[1].is_file) {
      auto b = parse_bool(raw.text);
      if (!b) return Error(config_error(label(def, raw) + ": " + b.error().message));
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

const Def* def_by_key(std::string_view key) {
  for (const Def& d : kDefs)
    if (d.in_toml && d.key == key) return &d;
  return nullptr;
}

// --config, SCHEMAGATE_CONFIG, or ./schemagate.toml when it exists.
Result<std::optional<Raw>> config_file_choice(std::span<const FlagValue> flags, const Env& env,
                                              const std::string& cwd_default) {
  const Def& def = kDefs.back();
  std::optional<Raw> chosen;
  for (const auto& f : flags)
    if (f.flag == def.flag) chosen = Raw{f.value, {}, false, {Source::Kind::Flag, f.flag}};
  if (!chosen) {
    auto from = from_env(def, env);
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

}  // namespace

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
    for (const Def& d : kDefs) {
      if (!d.flag.empty()) out.push_back({d.flag, true});
      for (const Switch& s : d.switches)
        if (!s.flag.empty()) out.push_back({s.flag, false});
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

Result<int> parse_count(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return config_error("not a non-negative integer");
  text.remove_prefix(std::min(text.find_first_not_of('0'), text.size() - 1));
  if (text.size() > 7 || std::stoi(std::string(text)) > kMaxCount)
    return config_error("too large (at most " + std::to_string(kMaxCount) + ")");
  return std::stoi(std::string(text));
}

Result<milliseconds> parse_duration(std::string_view text) {
  auto bad = config_error("not a duration (seconds such as 2 or 0.5, or with a unit: 500ms, 5s, 2m, 1h)");
  size_t digits_end = text.find_first_not_of("0123456789.");
  std::string_view number = text.substr(0, digits_end);
  std::string_view unit = digits_end == std::string_view::npos ? "" : text.substr(digits_end);
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      std::count(number.begin(), number.end(), '.') > 1)
    return bad;
  double scale = 1000;
  if (unit == "ms") scale = 1;
  else if (unit == "" || unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else return bad;
  double ms = std::strtod(std::string(number).c_str(), nullptr) * scale;
  if (ms > static_cast<double>(kMaxDuration.count())) return config_error("too large (at most 7 days)");
  // Zero means "no limit" for the timeout: a tiny value must not turn into that by rounding.
  if (ms > 0 && ms < 1) return config_error("too small (under 1 ms; 0 means none)");
  return milliseconds(static_cast<long long>(std::llround(ms)));
}

Result<bool> parse_bool(std::string_view text) {
  std::string v;
  for (char c : text) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return config_error("not a boolean (true/false, 1/0, yes/no)");
}

Result<std::vector<std::string>> parse_command_line(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return config_error("unterminated ' quote");
      word.append(text.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos)
          ++i;
        word += text[i];
      }
      if (i >= text.size()) return config_error("unterminated \" quote");
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<std::vector<TableName>> parse_table_list(std::string_view text) {
  std::vector<TableName> out;
  bool in_quotes = false;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '"') in_quotes = !in_quotes;
    if (i < text.size() && (in_quotes || text[i] != ',')) continue;
    std::string_view item = text.substr(start, i - start);
    start = i + 1;
    // Blank items (a trailing comma left by templating) name nothing.
    if (item.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto name = parse_table_name(item);
    if (!name) return name.error();
    out.push_back(*name);
  }
  return out;
}

Result<Settings> load(std::span<const FlagValue> flags, const Env& env, const std::string& cwd_default) {
  Settings settings;
  std::map<std::string_view, Raw> chosen;  // by key: the value that wins so far

  auto file = config_file_choice(flags, env, cwd_default);
  if (!file) return file.error();
  if (*file) {
    const Raw& f = **file;
    chosen["config"] = f;
    if (Status ok = refuse_controls(kDefs.back(), f); !ok)
      return config_error(label(kDefs.back(), f) + ": " + ok.error().message);
    auto text = read_file(f.text);
    if (!text) return config_error(label(kDefs.back(), f) + ": cannot read: " + text.error().message);
    auto entries = parse_toml(*text, f.text);
    if (!entries) return entries.error();
    for (const TomlEntry& e : *entries) {
      if (e.is_table) {
        if (std::find(kSections.begin(), kSections.end(), e.key) == kSections.end())
          return config_error(e.where + ": unknown section [" + escape_controls(e.key) + "]");
        continue;
      }
      const Def* def = def_by_key(e.key);
      if (!def) return config_error(e.where + ": unknown setting \"" + escape_controls(e.key) + "\"");
      Raw raw{e.text, e.list, e.is_list, {Source::Kind::File, e.where}};
      if (e.is_list && !def->repeatable)
        return config_error(e.where + ": " + e.key + ": expected a single value, not an array");
      if (!e.type_error.empty()) return config_error(e.where + ": " + e.key + ": " + e.type_error);
      chosen[def->key] = raw;
    }
  }

  for (const Def& def : kDefs) {
    if (def.key == "config") continue;
    auto from = from_env(def, env);
    if (!from) return from.error();
    if (*from) chosen[def.key] = **from;

    std::optional<Raw> flag;
    for (const auto& f : flags) {
      Source src{Source::Kind::Flag, f.flag};
      if (f.flag == def.flag) {
        if (def.repeatable && flag && flag->source.kind == Source::Kind::Flag) {
          flag->list.push_back(f.value);
        } else {
          flag = Raw{f.value, {f.value}, def.repeatable, src};
        }
      }
      for (const Switch& s : def.switches)
        if (!s.flag.empty() && f.flag == s.flag) flag = Raw{std::string(s.value), {}, false, src};
    }
    if (flag) chosen[def.key] = *flag;
  }

  for (const Def& def : kDefs) {
    auto it = chosen.find(def.key);
    Source source;
    if (it != chosen.end()) {
      Status ok = refuse_controls(def, it->second);
      if (ok) ok = def.apply(settings, it->second);
      if (!ok) return config_error(label(def, it->second) + ": " + ok.error().message);
      source = it->second.source;
    }
    settings.shown.push_back({std::string(def.key), def.show(settings), source});
  }
  return settings;
}

}  // namespace schemagate::config
