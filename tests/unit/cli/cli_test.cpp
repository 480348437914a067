// `schemagate [command] [flags] [-- app args...]` (SPEC §2): what argv asks for, and a usage
// error (exit 64) naming the argument at fault.
#include "cli/cli.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "commands/commands.h"

namespace schemagate::cli {
namespace {

using Args = std::vector<std::string>;

// Against the real command table: these cases are about the command line schemagate accepts.
Result<Invocation> parse(const Args& args) { return cli::parse(args, commands::table()); }
std::string usage() { return cli::usage(commands::table()); }

Invocation parsed(const Args& args) {
  auto inv = parse(args);
  REQUIRE_MESSAGE(inv, (inv ? "" : inv.error().message));
  return *inv;
}

std::string error_of(const Args& args) {
  auto inv = parse(args);
  REQUIRE_FALSE(inv);
  CHECK(inv.error().kind == ErrorKind::Usage);
  CHECK(exit_code(inv.error()) == 64);
  return inv.error().message;
}

// Flag names and values side by side, for one CHECK per invocation.
std::vector<std::string> flags_of(const Invocation& inv) {
  std::vector<std::string> out;
  for (const auto& f : inv.setting_flags) out.push_back(f.flag + "=" + f.value);
  return out;
}

TEST_CASE("no arguments means run, with no flags and no app") {
  Invocation inv = parsed({});
  CHECK(inv.command == "run");
  CHECK(inv.setting_flags.empty());
  CHECK(inv.app.empty());
  CHECK_FALSE(inv.help);
  CHECK_FALSE(inv.version);
}

TEST_CASE("each command is recognised") {
  for (std::string command : {"run", "wait", "verify", "config"}) {
    CAPTURE(command);
    CHECK(parsed({command}).command == command);
  }
}

TEST_CASE("everything after -- is the app, flags and another -- included") {
  Invocation inv =
      parsed({"--max-retries", "3", "--", "uvicorn", "app.main:app", "--max-retries", "x", "--", "-v"});
  CHECK(inv.command == "run");
  CHECK(flags_of(inv) == std::vector<std::string>{"--max-retries=3"});
  CHECK(inv.app == Args{"uvicorn", "app.main:app", "--max-retries", "x", "--", "-v"});
}

TEST_CASE("run named explicitly takes an app too") {
  Invocation inv = parsed({"run", "--skip", "--", "sh", "-c", "echo hi"});
  CHECK(inv.command == "run");
  CHECK(flags_of(inv) == std::vector<std::string>{"--skip="});
  CHECK(inv.app == Args{"sh", "-c", "echo hi"});
}

TEST_CASE("-- with nothing after it starts no app") {
  Invocation inv = parsed({"--"});
  CHECK(inv.command == "run");
  CHECK(inv.app.empty());
  CHECK(parsed({"wait", "--"}).app.empty());
}

TEST_CASE("a value flag takes --flag=value and --flag value alike") {
  CHECK(flags_of(parsed({"--max-retries=5"})) == std::vector<std::string>{"--max-retries=5"});
  CHECK(flags_of(parsed({"--max-retries", "5"})) == std::vector<std::string>{"--max-retries=5"});
  // Only the first '=' splits: a conninfo value keeps its own.
  CHECK(flags_of(parsed({"--database-url=host=db port=5432"})) ==
        std::vector<std::string>{"--database-url=host=db port=5432"});
  CHECK(flags_of(parsed({"--database-url", "host=db port=5432"})) ==
        std::vector<std::string>{"--database-url=host=db port=5432"});
  // An empty value is the settings' business, not a usage error.
  CHECK(flags_of(parsed({"--dir="})) == std::vector<std::string>{"--dir="});
}

TEST_CASE("setting flags are kept in the order given, before and after the command") {
  Invocation inv = parsed({"--require-table", "a", "verify", "-v", "--require-table=b", "-q"});
  CHECK(inv.command == "verify");
  CHECK(flags_of(inv) == std::vector<std::string>{"--require-table=a", "-v=", "--require-table=b", "-q="});
}

TEST_CASE("every setting flag is accepted") {
  for (const config::FlagInfo& flag : config::all_flags()) {
    CAPTURE(flag.name);
    Args args{std::string(flag.name)};
    if (flag.takes_value) args.push_back("x");
    Invocation inv = parsed(args);
    REQUIRE(inv.setting_flags.size() == 1);
    CHECK(inv.setting_flags[0].flag == flag.name);
    CHECK(inv.setting_flags[0].value == (flag.takes_value ? "x" : ""));
  }
}

TEST_CASE("a setting flag the command does not use is an error naming the flag and the command") {
  CHECK(error_of({"up", "--skip"}) == "--skip does not apply to \"up\" (see schemagate --help)");
  CHECK(error_of({"up", "--no-migrate"}) == "--no-migrate does not apply to \"up\" (see schemagate --help)");
  CHECK(error_of({"status", "--skip"}) == "--skip does not apply to \"status\" (see schemagate --help)");
  CHECK(error_of({"--permissive", "down"}) ==
        "--permissive does not apply to \"down\" (see schemagate --help)");
  CHECK(error_of({"wait", "--require-table", "t"}) ==
        "--require-table does not apply to \"wait\" (see schemagate --help)");
  CHECK(error_of({"verify", "--timeout", "5"}) ==
        "--timeout does not apply to \"verify\" (see schemagate --help)");
  CHECK(error_of({"status", "--status-file=s.json"}) ==
        "--status-file does not apply to \"status\" (see schemagate --help)");
  CHECK(error_of({"repair", "--await"}) == "--await does not apply to \"repair\" (see schemagate --help)");
  // The value is not echoed: it may be a URL with its password.
  CHECK(error_of({"new", "x", "--database-url", "postgresql://app:hunter2@db/shop"}) ==
        "--database-url does not apply to \"new\" (see schemagate --help)");
}

TEST_CASE("each command takes the flags of the settings it uses; run and config take every one") {
  for (const Args& args :
       {Args{"wait", "--database-url", "u", "--max-retries", "3", "--retry-interval", "1"},
        Args{"up", "--dir", "d", "--table", "t", "--timeout", "5", "--migrate-command", "x"},
        Args{"down", "--dir", "d", "--table", "t", "--timeout", "5", "--max-retries", "3"},
        Args{"status", "--dir", "d", "--table", "t", "--migrate-command", "x"},
        Args{"verify", "--require-table", "t", "--database-url", "u"}, Args{"new", "x", "--dir", "d"},
        Args{"stamp", "1", "--timeout", "5", "--dir", "d"}, Args{"repair", "--table", "t", "--timeout", "5"},
        Args{"new", "x", "--config", "c", "--log-format", "json", "-v", "-q"}}) {
    CAPTURE(args);
    CHECK(parsed(args).command == args[0]);
  }
  for (const config::FlagInfo& flag : config::all_flags()) {
    for (std::string command : {"run", "config"}) {
      CAPTURE(flag.name);
      CAPTURE(command);
      Args args{command, std::string(flag.name)};
      if (flag.takes_value) args.push_back("x");
      CHECK(parsed(args).setting_flags.size() == 1);
    }
  }
}

TEST_CASE("usage says which commands take which setting flags") {
  std::string text = usage();
  for (std::string_view line :
       {"Setting flags by command (environment variables and the TOML file apply to every command):",
        "  wait                      --database-url, --max-retries, --retry-interval\n",
        "  new                       --dir\n", "  run, config               every flag above\n",
        "  every command             --log-format, -v, -q, --config\n"}) {
    CAPTURE(line);
    CHECK(text.find(line) != std::string::npos);
  }
}

TEST_CASE("a switch given a value is an error") {
  CHECK(error_of({"--skip=true"}) == "--skip takes no value (see schemagate --help)");
  CHECK(error_of({"-v=1"}) == "-v takes no value (see schemagate --help)");
  CHECK(error_of({"--no-migrate="}) == "--no-migrate takes no value (see schemagate --help)");
}

TEST_CASE("a value flag at the end with no value is an error") {
  CHECK(error_of({"--max-retries"}) == "--max-retries needs a value (see schemagate --help)");
  CHECK(error_of({"wait", "--database-url"}) == "--database-url needs a value (see schemagate --help)");
}

TEST_CASE("an unknown flag is an error naming it without its value") {
  CHECK(error_of({"--retries", "3"}) == "unknown flag --retries (see schemagate --help)");
  CHECK(error_of({"-x"}) == "unknown flag -x (see schemagate --help)");
  CHECK(error_of({"-"}) == "unknown flag - (see schemagate --help)");
  // A misspelt --database-url must not echo the URL and its password.
  CHECK(error_of({"--databse-url=postgresql://app:hunter2@db/shop"}) ==
        "unknown flag --databse-url (see schemagate --help)");
}

TEST_CASE("an unknown command suggests putting the app after --") {
  CHECK(error_of({"uvicorn", "app.main:app"}) ==
        "unknown command \"uvicorn\"; to start an app, put it after --: schemagate -- uvicorn "
        "(see schemagate --help)");
  CHECK(error_of({"--skip", "./server"}) ==
        "unknown command \"./server\"; to start an app, put it after --: schemagate -- ./server "
        "(see schemagate --help)");
}

TEST_CASE("a second command is an unexpected argument") {
  CHECK(error_of({"wait", "verify"}) == "unexpected argument \"verify\" (see schemagate --help)");
  CHECK(error_of({"run", "app"}) == "unexpected argument \"app\" (see schemagate --help)");
}

TEST_CASE("only run takes an app after --") {
  for (std::string command : {"wait", "verify", "config"}) {
    CAPTURE(command);
    CHECK(error_of({command, "--", "app"}) ==
          "only run starts an app; \"" + command + "\" takes nothing after -- (see schemagate --help)");
  }
}

TEST_CASE("--help, -h and --version are noted for main to act on") {
  CHECK(parsed({"--help"}).help);
  CHECK(parsed({"-h"}).help);
  CHECK(parsed({"wait", "--help"}).help);
  CHECK_FALSE(parsed({"--help"}).version);
  CHECK(parsed({"--version"}).version);
  CHECK_FALSE(parsed({"--version"}).help);
  // After -- they belong to the app.
  Invocation app = parsed({"--", "app", "--help", "--version"});
  CHECK_FALSE(app.help);
  CHECK_FALSE(app.version);
  CHECK(app.app == Args{"app", "--help", "--version"});
}

TEST_CASE("usage names every command and every setting flag") {
  std::string text = usage();
  for (std::string_view line :
       {"schemagate [run] [flags] [-- app [args...]]", "schemagate wait [flags]", "schemagate verify [flags]",
        "schemagate config [flags]", "schemagate --help | --version"}) {
    CAPTURE(line);
    CHECK(text.find(line) != std::string::npos);
  }
  for (const config::FlagInfo& flag : config::all_flags()) {
    CAPTURE(flag.name);
    CHECK(text.find(std::string(flag.name)) != std::string::npos);
  }
}

}  // namespace
}  // namespace schemagate::cli
