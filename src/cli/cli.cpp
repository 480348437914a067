#include "cli/cli.h"

#include <algorithm>
#include <utility>

#include "config/table.h"

namespace schemagate::cli {
namespace {

struct CommandFlagInfo {
  std::string_view name;
  CommandFlag bit;
  bool takes_value;
};

constexpr CommandFlagInfo kCommandFlags[] = {
    {"--to", kTo, true}, {"--steps", kSteps, true}, {"--dry-run", kDryRun, false}, {"--json", kJson, false}};

const CommandFlagInfo* find_command_flag(std::string_view name) {
  for (const CommandFlagInfo& f : kCommandFlags)
    if (f.name == name) return &f;
  return nullptr;
}

// Each setting's SettingUse bit, by key; 0 for the ones every command takes. A setting not
// listed is the run sequence's alone.
struct SettingGroup {
  std::string_view key;
  unsigned use;
};
constexpr SettingGroup kSettingGroups[] = {
    {"config", 0},
    {"log.format", 0},
    {"log.level", 0},
    {"database.url", kConnects},
    {"database.max_retries", kConnects},
    {"database.retry_interval", kConnects},
    {"migrations.dir", kDir},
    {"migrations.table", kTable},
    {"migrations.timeout", kTimeout},
    {"migrations.command", kMigrateCommand},
    {"verify.tables", kCriticalTables},
    {"migrations.single_transaction", kApplying},
    {"migrations.preflight", kApplying},
    {"migrations.preflight_max_rows", kApplying},
    {"migrations.preflight_max_bytes", kApplying},
    {"migrations.lock", kLocks},
    {"migrations.database_url", kLocks},
};

unsigned use_of(std::string_view key) {
  for (const SettingGroup& g : kSettingGroups)
    if (g.key == key) return g.use;
  return kRunOnly;
}

bool takes(const Command& command, const config::FlagInfo& flag) {
  unsigned use = use_of(flag.key);
  return use == 0 || (command.settings & use) != 0;
}

const Command* find_command(std::span<const Command> commands, std::string_view name) {
  for (const Command& c : commands)
    if (c.name == name) return &c;
  return nullptr;
}

Error refused(std::string message) { return usage_error(std::move(message) + " (see schemagate --help)"); }

// A command flag's value into `inv`, once the command is known to take the flag.
Status take(Invocation& inv, const CommandFlagInfo& flag, const std::string& value) {
  switch (flag.bit) {
    case kTo:
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        return refused("--to needs a version number, not \"" + value + "\"");
      inv.to = value;
      while (inv.to.size() > 1 && inv.to.front() == '0') inv.to.erase(0, 1);
      break;
    case kSteps:
      if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(value) == 0)
        return refused("--steps needs a positive whole number, not \"" + value + "\"");
      inv.steps = std::stoi(value);
      break;
    case kDryRun:
      inv.dry_run = true;
      break;
    case kJson:
      inv.json = true;
      break;
  }
  return {};
}

// Command flags seen so far, checked once the command is known: they may come before it.
using PendingFlags = std::vector<std::pair<const CommandFlagInfo*, std::string>>;

// args[i], a flag, and its value: `--name=value`, or `--name value` (which moves i past the value).
// Setting flags go to inv in order; command flags wait in `pending`.
Status read_flag(std::span<const std::string> args, size_t& i, Invocation& inv, PendingFlags& pending) {
  std::string_view arg = args[i];
  size_t eq = arg.find('=');
  std::string name(arg.substr(0, eq));
  const CommandFlagInfo* command_flag = find_command_flag(name);
  const config::FlagInfo* setting_flag = command_flag ? nullptr : config::find_flag(name);
  if (!command_flag && !setting_flag) return refused("unknown flag " + name);
  std::string value;
  if (!(command_flag ? command_flag->takes_value : setting_flag->takes_value)) {
    if (eq != std::string_view::npos) return refused(name + " takes no value");
  } else if (eq != std::string_view::npos) {
    value = std::string(arg.substr(eq + 1));
  } else if (i + 1 < args.size()) {
    value = args[++i];
  } else {
    return refused(name + " needs a value");
  }
  if (command_flag)
    pending.emplace_back(command_flag, std::move(value));
  else
    inv.setting_flags.push_back({std::move(name), std::move(value)});
  return {};
}

// What the chosen command makes of the rest: an app, its flags, its positional argument.
Status check_against(const Command& command, const PendingFlags& pending, Invocation& inv) {
  if (!inv.app.empty() && !command.takes_app)
    return refused("only run starts an app; \"" + inv.command + "\" takes nothing after --");
  for (const auto& [flag, value] : pending) {
    if (!(command.flags & flag->bit))
      return refused(std::string(flag->name) + " does not apply to \"" + inv.command + "\"");
    if (Status taken = take(inv, *flag, value); !taken) return taken;
  }
  for (const config::FlagValue& setting : inv.setting_flags)
    if (!takes(command, *config::find_flag(setting.flag)))
      return refused(setting.flag + " does not apply to \"" + inv.command + "\"");
  if (inv.steps && !inv.to.empty()) return refused(inv.command + " takes --steps or --to, not both");
  bool is_name = command.positional == Positional::name;
  if (command.positional != Positional::none && (is_name ? inv.name : inv.to).empty())
    return refused(inv.command + " needs a " + (is_name ? "NAME" : "VERSION") + ": schemagate " +
                   inv.command + " " + std::string(command.example));
  return {};
}

}  // namespace

Result<Invocation> parse(std::span<const std::string> args, std::span<const Command> commands) {
  Invocation inv;
  const Command* named = nullptr;
  PendingFlags pending;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      inv.app.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      inv.help = true;
    } else if (arg == "--version") {
      inv.version = true;
    } else if (arg.starts_with("-")) {
      if (Status read = read_flag(args, i, inv, pending); !read) return read.error();
    } else if (named && named->positional == Positional::version) {
      pending.emplace_back(find_command_flag("--to"), std::string(arg));  // checked as a version
    } else if (named && named->positional == Positional::name && inv.name.empty()) {
      inv.name = std::string(arg);
    } else if (named) {
      return refused("unexpected argument \"" + std::string(arg) + "\"");
    } else {
      named = find_command(commands, arg);
      if (!named)
        return refused("unknown command \"" + std::string(arg) +
                       "\"; to start an app, put it after --: schemagate -- " + std::string(arg));
    }
  }
  const Command& command = named ? *named : commands.front();
  inv.command = std::string(command.name);
  inv.row = &command;
  if (Status checked = check_against(command, pending, inv); !checked) return checked.error();
  return inv;
}

namespace {

constexpr size_t kWidth = 100;         // where usage wraps a line
constexpr size_t kCommandColumn = 48;  // where a command's summary starts
constexpr size_t kSettingColumn = 28;  // where a flag's variables start

// One usage entry: `left`, then `text` from `column` on (two spaces after a longer `left`), its
// words wrapped at kWidth and continued at `column`.
std::string entry(std::string_view left, std::string_view text, size_t column) {
  std::string out = "  " + std::string(left);
  if (text.empty()) return out + "\n";
  out.resize(std::max(out.size() + 2, column), ' ');
  size_t line_start = 0;
  bool line_empty = true;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find(' ', pos), text.size());
    std::string_view word = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line_empty && out.size() - line_start + 1 + word.size() > kWidth) {
      out += '\n';
      line_start = out.size();
      out.append(column, ' ');
      line_empty = true;
    }
    if (!line_empty) out += ' ';
    out += word;
    line_empty = false;
  }
  return out + "\n";
}

// `DB_MAX_RETRIES: connection attempts (default 30)`: what sets the setting besides the flag, the
// row's help, and its default (which a single switch, setting the other value, goes without).
std::string described(std::string variables, const config::Row& row, bool with_default) {
  std::string out = std::move(variables);
  if (!row.help.empty()) out += (out.empty() ? "" : ": ") + std::string(row.help);
  std::string_view fallback = row.default_text.empty() ? row.default_note : row.default_text;
  if (with_default && !fallback.empty())
    out += (out.empty() ? "" : " ") + ("(default " + std::string(fallback) + ")");
  return out;
}

bool has_flag(const config::Row& row) { return !row.flag.empty() || !row.switches[0].flag.empty(); }

std::string setting_entries(const config::Row& row) {
  std::string out;
  if (!row.flag.empty()) {
    std::string variables;
    for (const config::Alias& alias : row.env)
      if (!alias.name.empty()) variables += (variables.empty() ? "" : ", ") + std::string(alias.name);
    out += entry(std::string(row.flag) + " " + std::string(row.value_name), described(variables, row, true),
                 kSettingColumn);
  }
  std::string names, sets;
  int switches = 0;
  for (const config::Switch& s : row.switches) {
    if (s.flag.empty()) continue;
    names += (names.empty() ? "" : ", ") + std::string(s.flag);
    sets += (sets.empty() ? "" : " / ") + std::string(row.env[0].name) + "=" + std::string(s.value);
    ++switches;
  }
  if (switches) out += entry(names, described(sets, row, switches > 1), kSettingColumn);
  return out;
}

// "--dir, --table": the setting flags `keep` picks, in the settings table's order.
template <class Keep>
std::string flags_where(Keep keep) {
  std::string out;
  for (const config::FlagInfo& flag : config::all_flags())
    if (keep(flag)) out += (out.empty() ? "" : ", ") + std::string(flag.name);
  return out;
}

// Which commands take which setting flags (SettingUse).
std::string flags_by_command(std::span<const Command> commands) {
  std::string out =
      "\nSetting flags by command (environment variables and the TOML file apply to every command):\n";
  std::string every;
  for (const Command& c : commands) {
    if (c.settings == kEverySetting) {
      every += (every.empty() ? "" : ", ") + std::string(c.name);
      continue;
    }
    out += entry(c.name, flags_where([&](const config::FlagInfo& f) { return use_of(f.key) & c.settings; }),
                 kSettingColumn);
  }
  out += entry(every, "every flag above", kSettingColumn);
  return out + entry("every command",
                     flags_where([](const config::FlagInfo& f) { return use_of(f.key) == 0; }),
                     kSettingColumn);
}

}  // namespace

std::string usage(std::span<const Command> commands) {
  std::string out =
      "schemagate: gate an app's start on a ready, migrated, verified PostgreSQL database\n\nUsage:\n";
  for (const Command& c : commands) {
    std::string name(c.name);
    std::string left = "schemagate " + (&c == &commands.front() ? "[" + name + "]" : name);
    out += entry(c.synopsis.empty() ? left : left + " " + std::string(c.synopsis), c.summary, kCommandColumn);
  }
  out += entry("schemagate --help | --version", "", 0);

  out += "\nFlags (each also has an environment variable and a TOML key; flags win):\n";
  size_t widest = 0;
  for (const config::Row& row : config::table()) {
    out += setting_entries(row);
    if (!has_flag(row)) widest = std::max(widest, row.env[0].name.size());
  }
  out += "\nWithout a flag (an environment variable and a TOML key):\n";
  for (const config::Row& row : config::table())
    if (!has_flag(row)) out += entry(row.env[0].name, described("", row, true), widest + 4);
  out += flags_by_command(commands);

  return out + R"(
Exit codes: 0 ready, 1 migration failed, 2 verification failed, 3 pending (check-only),
64 usage, 65 bad migrations, 69 database unreachable, 75 timed out, 78 configuration,
126/127 app not executable/not found, 128+N stopped by signal N.
)";
}

}  // namespace schemagate::cli
