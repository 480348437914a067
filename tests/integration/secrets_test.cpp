// SPEC §6: no log line and no command output shows a password: not from the URL (encoded or not,
// in the user info or the query), not from DATABASE_URL_FILE, not from PGPASSWORD, not from
// key=value conninfo, not echoed back inside a libpq error. A canary password with every
// URL-special character is driven through every failure path, and each run's stdout and stderr
// are searched for any spelling of it (support/canary.h).
#include <doctest/doctest.h>

#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/canary.h"
#include "support/files.h"
#include "support/gate.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("secrets");

// One role per canary password, created once in the shared cluster.
struct CanaryRole {
  std::string name;
  std::string password;
};
const std::vector<CanaryRole> kCanaryRoles = {{"canary_user", kCanaryPassword},
                                              {"canary quoting", kQuotingCanaryPassword}};

PgCluster& cluster_with_canary_roles() {
  static bool created = false;
  PgCluster& cluster = PgCluster::shared();
  if (!created) {
    for (const auto& role : kCanaryRoles) cluster.create_role(role.name, role.password);
    created = true;
  }
  return cluster;
}

// A conninfo value: single-quoted with '\'' and '\\' escaped, or bare with those and spaces
// escaped.
std::string conninfo_value(const std::string& value, bool quoted) {
  std::string out = quoted ? "'" : "";
  for (char c : value) {
    if (c == '\'' || c == '\\' || (!quoted && c == ' ')) out += '\\';
    out += c;
  }
  return quoted ? out + "'" : out;
}

// What schemagate is pointed at; a scenario changes one part to make it fail.
struct Where {
  std::string user;
  std::string password;
  std::string port;
  std::string db;
  std::string option;  // one more libpq option, "key=value", or empty
};

// How the target reaches schemagate: environment and flags.
struct Invocation {
  std::map<std::string, std::string> env;
  std::vector<std::string> flags;
};

std::string url_of(const Where& w) {
  return "postgresql://" + percent_encode(w.user) + ":" + percent_encode(w.password) +
         "@127.0.0.1:" + w.port + "/" + w.db + (w.option.empty() ? "" : "?" + w.option);
}

struct Form {
  std::string name;
  // nullopt when the form cannot carry this password or option.
  std::function<std::optional<Invocation>(const Where&)> make;
};

std::vector<Form> forms() {
  static int files = 0;
  return {
      {"percent-encoded DATABASE_URL",
       [](const Where& w) -> std::optional<Invocation> {
         return Invocation{{{"DATABASE_URL", url_of(w)}}, {}};
       }},
      {"--database-url flag",
       [](const Where& w) -> std::optional<Invocation> {
         return Invocation{{}, {"--database-url", url_of(w)}};
       }},
      {"DATABASE_URL_FILE",
       [](const Where& w) -> std::optional<Invocation> {
         std::string path =
             PgCluster::shared().socket_dir() + "/canary-url-" + std::to_string(++files) + ".txt";
         write_text_file(path, url_of(w) + "\n");
         return Invocation{{{"DATABASE_URL_FILE", path}}, {}};
       }},
      {"database.url in a TOML file",
       [](const Where& w) -> std::optional<Invocation> {
         std::string path = PgCluster::shared().socket_dir() + "/canary-config-" +
                            std::to_string(++files) + ".toml";
         // A percent-encoded URL holds no '"' or '\\' that TOML would need escaped.
         write_text_file(path, "[database]\nurl = \"" + url_of(w) + "\"\n");
         return Invocation{{{"SCHEMAGATE_CONFIG", path}}, {}};
       }},
      {"password in the URL's query",
       [](const Where& w) -> std::optional<Invocation> {
         std::string url = "postgresql://" + percent_encode(w.user) + "@127.0.0.1:" + w.port + "/" +
                           w.db + "?password=" + percent_encode(w.password) +
                           (w.option.empty() ? "" : "&" + w.option);
         return Invocation{{{"DATABASE_URL", url}}, {}};
       }},
      {"PGPASSWORD with PG* variables",
       [](const Where& w) -> std::optional<Invocation> {
         Invocation inv{{{"PGHOST", "127.0.0.1"},
                         {"PGPORT", w.port},
                         {"PGDATABASE", w.db},
                         {"PGUSER", w.user},
                         {"PGPASSWORD", w.password}},
                        {}};
         if (w.option.empty()) return inv;
         // Only options that libpq also reads from the environment.
         static const std::map<std::string, std::string> kVariables = {
             {"sslmode", "PGSSLMODE"}, {"connect_timeout", "PGCONNECT_TIMEOUT"}};
         auto eq = w.option.find('=');
         auto variable = kVariables.find(w.option.substr(0, eq));
         if (variable == kVariables.end()) return std::nullopt;
         inv.env[variable->second] = w.option.substr(eq + 1);
         return inv;
       }},
      {"key=value conninfo, quoted",
       [](const Where& w) -> std::optional<Invocation> {
         return Invocation{{{"DATABASE_URL", "host=127.0.0.1 port=" + w.port + " dbname=" + w.db +
                                                 " user=" + conninfo_value(w.user, true) +
                                                 " password=" + conninfo_value(w.password, true) +
                                                 " " + w.option}},
                           {}};
       }},
      {"key=value conninfo, bare",
       [](const Where& w) -> std::optional<Invocation> {
         return Invocation{
             {{"DATABASE_URL",
               "password=" + conninfo_value(w.password, false) + " host=127.0.0.1 port=" + w.port +
                   " user=" + conninfo_value(w.user, false) + " dbname=" + w.db + " " + w.option}},
             {}};
       }},
  };
}

struct Scenario {
  std::string name;
  std::function<void(Where&)> change;  // may be empty
  std::map<std::string, std::string> env;
  std::vector<std::string> command;  // command and flags before the form's flags
  std::vector<std::string> app;      // after `--`
  int exit_code;
  std::string shows;  // in stdout or stderr: proof that this path was taken
};

struct Outcome {
  RunResult result;
  std::string output;  // stdout and stderr
};

Outcome run_with(const Invocation& inv, const Scenario& s) {
  RunOptions options = gate_options();
  options.env = s.env;
  for (const auto& [k, v] : inv.env) options.env[k] = v;
  std::vector<std::string> argv = schemagate(s.command);
  argv.insert(argv.end(), inv.flags.begin(), inv.flags.end());
  if (!s.app.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), s.app.begin(), s.app.end());
  }
  RunResult result = run(argv, options);
  return {result, result.out + result.err};
}

TEST_CASE("the canary check finds every spelling in real output") {
  // The app, not schemagate, prints the URL here: the check must see it.
  PgCluster& cluster = cluster_with_canary_roles();
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", cluster.url("postgres", "canary_user")},
                 {"PGPASSWORD", kQuotingCanaryPassword}};
  // The app prints the passwords on purpose, for canary_leaks() to find.
  options.may_print_canary = true;
  RunResult result = run(
      schemagate({"--skip", "--", "/bin/sh", "-c", "echo \"$DATABASE_URL $PGPASSWORD\""}), options);
  CHECK(result.exit_code == 0);
  CHECK(canary_leaks(result.out) ==
        std::vector<std::string>{percent_encode(kCanaryPassword), kQuotingCanaryPassword, "Canary",
                                 "7Qx4", "Zeph", "pLum", "wHiz", "Kqz9"});
  CHECK(canary_leaks(result.err) == std::vector<std::string>{});
}

TEST_CASE("the canary passwords appear in no output on any path, in any form") {
  PgCluster& cluster = cluster_with_canary_roles();
  const std::string db = cluster.create_database();
  ClosedPort closed;
  const std::string refused_port = std::to_string(closed.port());
  const std::map<std::string, std::string> fast = {{"DB_MAX_RETRIES", "2"},
                                                   {"DB_RETRY_INTERVAL", "0.1"}};
  auto with = [&](std::map<std::string, std::string> more) {
    auto env = fast;
    for (const auto& [k, v] : more) env[k] = v;
    return env;
  };
  const std::vector<std::string> print_status = {"/bin/sh", "-c", "echo status=$SCHEMAGATE_STATUS"};
  auto refused = [&](Where& w) { w.port = refused_port; };

  auto no_db = [](Where& w) { w.db = "no_such_db"; };
  auto other_role = [](Where& w) { w.user = "postgres"; };
  auto option = [](std::string text) { return [text](Where& w) { w.option = text; }; };
  auto json = with({{"LOG_FORMAT", "json"}});

  // clang-format off
  const std::vector<Scenario> scenarios = {
      // name, change, env, command, app, exit code, shows
      {"ready, app started", {}, fast, {}, print_status, 0, "status=ok"},
      {"ready, wait -v", {}, fast, {"wait", "-v"}, {}, 0, "database ready"},
      {"verify passes, -v", {}, with({{"CRITICAL_TABLES", "pg_class"}}), {"verify", "-v"}, {}, 0,
       "critical tables present"},
      {"database does not exist", no_db, with({{"DB_MAX_RETRIES", "1"}}), {"wait"}, {}, 69, "3D000"},
      {"database does not exist, -v, json", no_db, json, {"wait", "-v"}, {}, 69, "3D000"},
      {"refused port", refused, fast, {"wait"}, {}, 69, "Connection refused"},
      {"refused port, -v", refused, fast, {"run", "-v"}, print_status, 69, "Connection refused"},
      {"refused port, json", refused, json, {"wait"}, {}, 69, "\"level\":\"warn\""},
      {"password of another role", other_role, fast, {"wait"}, {}, 69, "28P01"},
      {"password of another role, -v, json", other_role, json, {"wait", "-v"}, {}, 69, "28P01"},
      {"missing tables, run", {}, with({{"CRITICAL_TABLES", "no_such_table"}}), {}, print_status, 2,
       "critical table missing: no_such_table"},
      {"missing tables, verify -v", {}, with({{"CRITICAL_TABLES", "users,no_such_table"}}),
       {"verify", "-v"}, {}, 2, "critical tables missing: users, no_such_table"},
      {"permissive, refused port", refused, fast, {"--permissive", "-v"}, print_status, 0,
       "status=degraded"},
      {"permissive, missing tables", {},
       with({{"CRITICAL_TABLES", "nope"}, {"FAIL_ON_MIGRATION_ERROR", "false"}}), {}, print_status, 0,
       "status=degraded"},
      {"bad DB_MAX_RETRIES", {}, {{"DB_MAX_RETRIES", "abc"}}, {"wait"}, {}, 78,
       "DB_MAX_RETRIES=\"abc\" (environment): not a non-negative integer"},
      {"bad DB_MAX_RETRIES, json", {}, {{"DB_MAX_RETRIES", "abc"}, {"LOG_FORMAT", "json"}}, {},
       print_status, 78, "not a non-negative integer"},
      {"bad LOG_LEVEL", {}, {{"LOG_LEVEL", "loud"}}, {"wait"}, {}, 78, "LOG_LEVEL"},
      {"config", {}, fast, {"config"}, {}, 0, "database.url"},
      {"config -v, json", {}, json, {"config", "-v"}, {}, 0, "database.url"},
      {"invalid sslmode", option("sslmode=bogus"), fast, {"wait"}, {}, 78,
       "\"bogus\" is not one of disable"},
      {"invalid sslmode, config", option("sslmode=bogus"), fast, {"config"}, {}, 78,
       "\"bogus\" is not one of disable"},
      {"unknown option", option("no_such_option=1"), fast, {"wait", "-v"}, {}, 78, "no_such_option"},
      {"port out of range", [](Where& w) { w.port = "99999"; }, fast, {"wait"}, {}, 78,
       "\"99999\" is not a port number"},
      {"bad connect_timeout", option("connect_timeout=soon"), json, {"wait"}, {}, 78,
       "soon\\\" is not a whole number of seconds"},
  };
  // clang-format on

  int runs = 0;
  for (const CanaryRole& role : kCanaryRoles) {
    for (const Form& form : forms()) {
      for (const Scenario& s : scenarios) {
        Where where{role.name, role.password, std::to_string(cluster.port()), db, ""};
        if (s.change) s.change(where);
        auto inv = form.make(where);
        if (!inv) continue;
        Outcome o = run_with(*inv, s);
        ++runs;
        INFO("role: " << role.name << "; form: " << form.name << "; scenario: " << s.name);
        INFO("stdout:\n" << o.result.out << "stderr:\n" << o.result.err);
        CHECK(o.result.exit_code == s.exit_code);
        CHECK(contains(o.output, s.shows));
        CHECK(canary_leaks(o.output) == std::vector<std::string>{});
      }
    }
  }
  CHECK(runs >= 350);
}

TEST_CASE("a canary in PGPASSWORD stays hidden when a URL names another role") {
  PgCluster& cluster = cluster_with_canary_roles();
  const std::string db = cluster.create_database();
  for (const CanaryRole& role : kCanaryRoles) {
    CAPTURE(role.name);
    // The URL carries no password, so libpq sends PGPASSWORD's (the canary) for postgres: 28P01.
    RunOptions options = gate_options();
    options.env = {{"DATABASE_URL",
                    "postgresql://postgres@127.0.0.1:" + std::to_string(cluster.port()) + "/" + db},
                   {"PGPASSWORD", role.password}};
    for (const std::vector<std::string>& args : {std::vector<std::string>{"wait", "-v"},
                                                 {"wait", "--log-format=json"},
                                                 {"config", "-v"},
                                                 {"--permissive", "--", "true"}}) {
      CAPTURE(args[0]);
      RunResult result = run(schemagate(args), options);
      INFO(result.out << result.err);
      if (args[0] == "wait") {
        CHECK(result.exit_code == 69);
        CHECK(contains(result.err, "28P01"));
      } else {
        CHECK(result.exit_code == 0);
      }
      CHECK(canary_leaks(result.out + result.err) == std::vector<std::string>{});
    }
    // A URL password wins over PGPASSWORD; the canary is still never shown.
    options.env["DATABASE_URL"] = cluster.url(db, "postgres", "wrong-password");
    RunResult result = run(schemagate({"wait", "-v", "--log-format", "json"}), options);
    CHECK(result.exit_code == 69);
    CHECK(contains(result.err, "28P01"));
    CHECK(canary_leaks(result.out + result.err) == std::vector<std::string>{});
  }
}

// A URL whose password leaves a special character unencoded may be misread by libpq (a '/' or '@'
// moves the host) and is refused or fails; whatever happens, no part of the password is shown.
TEST_CASE("a URL with the canary not or only partly percent-encoded shows no part of it") {
  PgCluster& cluster = cluster_with_canary_roles();
  const std::string db = cluster.create_database();
  const std::string port = std::to_string(cluster.port());
  // The password with every special character encoded except `raw` (all of them when empty).
  auto encoded_except = [](const std::string& raw) {
    std::string out;
    for (char c : kCanaryPassword) {
      std::string one(1, c);
      out += raw.empty() || raw.find(c) != std::string::npos ? one : percent_encode(one);
    }
    return out;
  };
  struct Variant {
    std::string name;
    std::string password_text;
  };
  const std::vector<Variant> variants = {
      {"nothing encoded", kCanaryPassword},      {"'/' raw", encoded_except("/")},
      {"'@' raw", encoded_except("@")},          {"'%' raw", encoded_except("%")},
      {"'#' raw", encoded_except("#")},          {"':' raw", encoded_except(":")},
      {"'/' and '@' raw", encoded_except("/@")},
  };
  // Each variant with the password in the user info, in the query, and beside a bad option.
  std::vector<std::pair<std::string, std::string>> urls;  // name, URL
  for (const Variant& v : variants) {
    const std::string host = "@127.0.0.1:" + port + "/" + db;
    urls.push_back({v.name, "postgresql://canary_user:" + v.password_text + host});
    urls.push_back({v.name + ", in the query",
                    "postgresql://canary_user" + host + "?password=" + v.password_text});
    urls.push_back({v.name + ", with a bad sslmode",
                    "postgresql://canary_user:" + v.password_text + host + "?sslmode=bogus"});
  }
  const std::string file = cluster.socket_dir() + "/canary-raw-url.txt";
  for (const auto& [name, url] : urls) {
    CAPTURE(name);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"wait", "-v", "--log-format", "json"},
          {"config", "-v"},
          {"--permissive", "-v", "--", "true"}}) {
      for (int how = 0; how < 3; ++how) {
        RunOptions options = gate_options();
        options.env = {{"DB_MAX_RETRIES", "1"}};
        std::vector<std::string> argv{schemagate_binary()};
        if (how == 0) options.env["DATABASE_URL"] = url;
        if (how == 1) {
          write_text_file(file, url + "\n");
          options.env["DATABASE_URL_FILE"] = file;
        }
        if (how == 2) argv.insert(argv.end(), {"--database-url", url});
        argv.insert(argv.end(), args.begin(), args.end());
        RunResult result = run(argv, options);
        INFO("url given " << std::string(how == 0   ? "in DATABASE_URL"
                                         : how == 1 ? "in DATABASE_URL_FILE"
                                                    : "as a flag"));
        INFO("args: " << args[0] << " " << args[1] << "; url: " << url);
        INFO("stdout:\n" << result.out << "stderr:\n" << result.err);
        CHECK(canary_leaks(result.out + result.err) == std::vector<std::string>{});
        // It either worked, could not connect, or was refused as configuration; it did not crash.
        CHECK((result.exit_code == 0 || result.exit_code == 69 || result.exit_code == 78));
      }
    }
  }
}

// libpq reads `user:head` of such a URL as host and port, and the rest as a query, and echoes
// them ("port \"7Qx4@127.0.0.1:...\" is not a port number"): the URL is refused before libpq sees it.
TEST_CASE("a URL whose canary leaves '/' and '?' unencoded is refused with 78 and shows no part of it") {
  PgCluster& cluster = cluster_with_canary_roles();
  const std::string db = cluster.create_database();
  const std::string host = "@127.0.0.1:" + std::to_string(cluster.port()) + "/" + db;
  for (std::string password :
       {"Canary/?port=7Qx4", "Zeph/?sslmode=pLum", "wHiz/?Kqz9=Canary", "Canary/?x=y&password=Zeph"}) {
    const std::string url = "postgresql://canary_user:" + password + host;
    for (const std::vector<std::string>& args : {std::vector<std::string>{"wait", "-v"},
                                                 {"wait", "--log-format", "json"},
                                                 {"config"},
                                                 {"--permissive", "--", "true"},
                                                 {"wait", "--database-url", url}}) {
      CAPTURE(url);
      CAPTURE(args[0]);
      RunOptions options = gate_options();
      options.env = {{"DATABASE_URL", url}, {"DB_MAX_RETRIES", "1"}};
      RunResult result = run(schemagate(args), options);
      INFO("stdout:\n" << result.out << "stderr:\n" << result.err);
      CHECK(result.exit_code == 78);
      CHECK(contains(result.err, "not a valid connection URL: '@' after a '?'"));
      CHECK(canary_leaks(result.out + result.err) == std::vector<std::string>{});
    }
    // Where the URL itself is shown, it is masked from the scheme to its last '@' (and here a
    // password parameter libpq would see in the query, to the end).
    RunOptions options = gate_options();
    options.env = {{"DATABASE_URL", url + "\r"}};
    RunResult result = run(schemagate({"wait"}), options);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.err, " ERROR DATABASE_URL=\"postgresql://****"));
    CHECK(canary_leaks(result.out + result.err) == std::vector<std::string>{});
  }
}

TEST_CASE("a one-letter password equal to the database name leaves the target's name readable") {
  ClosedPort closed;
  const std::string port = std::to_string(closed.port());
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", "postgresql://postgres:x@127.0.0.1:" + port + "/x"},
                 {"DB_MAX_RETRIES", "1"}};
  RunResult result = run(schemagate({"wait"}), options);
  CHECK(result.exit_code == 69);
  CHECK(contains(result.err, " ERROR postgres@127.0.0.1:" + port + "/x not ready after 1 attempts"));
  RunResult shown = run(schemagate({"config"}), options);
  CHECK(shown.exit_code == 0);
  CHECK(contains(shown.out, "postgresql://postgres:****@127.0.0.1:" + port + "/x "));
  CHECK(contains(shown.out, " postgres@127.0.0.1:" + port + "/x\n"));
  // Where it stands as a value, it is still masked.
  options.env["DATABASE_URL"] += "?sslmode=x";
  RunResult bad = run(schemagate({"wait"}), options);
  CHECK(bad.exit_code == 78);
  CHECK(contains(bad.err, ": sslmode \"****\" is not one of"));
}

// A migrate command may print the URL or the password in its own spelling: percent-encoded with
// lower-case hex digits, or escaped as a JSON string ('\"', '\\', '\/', \u00e9).
TEST_CASE("the migrate command's output is scrubbed of the password in lower-case hex and JSON escapes") {
  RunOptions options = ready_database();
  // Not the password the URL connects with, but a secret all the same.
  const std::string env_password = "Canary\"7Qx4\\Zeph/pLum\xC3\xA9wHiz";
  options.env["PGPASSWORD"] = env_password;
  // Percent-encoded, hex digits in lower case ("%2f"), the letters of the password as they are.
  auto lower_hex = [](std::string_view text) {
    std::string out = percent_encode(text);
    for (size_t at = out.find('%'); at != std::string::npos; at = out.find('%', at + 1))
      for (size_t i = at + 1; i <= at + 2; ++i)
        out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
    return out;
  };
  const std::vector<std::string> spellings = {
      lower_hex(kSuperuserCanaryPassword),
      "Canary#7Qx4\\/Zeph@pLum:wHiz%Kqz9-superuser",
      lower_hex(env_password),
      "Canary\\\"7Qx4\\\\Zeph/pLum\\u00e9wHiz",
      "Canary\\\"7Qx4\\\\Zeph\\/pLum\\u00E9wHiz",
      "{\"password\":\"Canary\\\"7Qx4\\\\Zeph\\/pLum\\u00e9wHiz\"}",
  };
  TempDir dir("spellings");
  std::string text;
  for (const std::string& s : spellings) text += s + "\n";
  dir.write("out.txt", text);
  options.env["MIGRATE_COMMAND"] = "cat " + dir.file("out.txt");
  RunResult result = run(schemagate({"up"}), options);
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(lines_with(result.err, " INFO  **** command=cat stream=stdout").size() == 5);
  CHECK(contains(result.err, " INFO  {\"password\":\"****\"} command=cat stream=stdout"));
  CHECK(canary_leaks(result.out + result.err) == std::vector<std::string>{});
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
