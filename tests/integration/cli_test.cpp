// SPEC §2 and §5 at the command line: --help and --version exit 0, usage errors exit 64 with one
// line on stderr. None of these reach a database.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("cli");

// Nothing listens on port 1, in case anything tried to connect.
const std::string kUnreachableUrl = "postgresql://app:hunter2@127.0.0.1:1/shop";

TEST_CASE("--help exits 0 and lists every command and flag on stdout") {
  for (std::string help : {"--help", "-h"}) {
    CAPTURE(help);
    RunResult result = run(schemagate({help}));
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    for (std::string_view text :
         {"schemagate [run] [flags] [-- app [args...]]", "schemagate wait [flags]",
          "schemagate verify [flags]", "schemagate config [flags]", "schemagate --help | --version",
          "--database-url URL", "--max-retries N", "--retry-interval SECONDS", "--dir PATH", "--table NAME",
          "--no-migrate", "--permissive", "--timeout SECONDS", "--await", "--require-table NAME",
          "--log-format text|json", "-v, -q", "--skip", "--config PATH"}) {
      CAPTURE(text);
      CHECK(result.out.find(text) != std::string::npos);
    }
  }
}

TEST_CASE("--help lists the exit codes") {
  RunResult result = run(schemagate({"--help"}));
  for (std::string_view text : {"0 ready", "1 migration failed", "2 verification failed", "3 pending",
                                "64 usage", "65 bad migrations", "69 database unreachable", "75 timed out",
                                "78 configuration", "126/127", "128+N"}) {
    CAPTURE(text);
    CHECK(result.out.find(text) != std::string::npos);
  }
}

TEST_CASE("--help wins over the command and over invalid settings") {
  RunOptions options;
  options.env = {{"DATABASE_URL", kUnreachableUrl}, {"DB_MAX_RETRIES", "abc"}};
  RunResult result = run(schemagate({"wait", "--help"}), options);
  CHECK(result.exit_code == 0);
  CHECK(result.err == "");
  CHECK(result.out.find("Usage:") != std::string::npos);
}

TEST_CASE("--version prints the name and version and exits 0") {
  RunResult result = run(schemagate({"--version"}));
  CHECK(result.exit_code == 0);
  CHECK(result.out == "schemagate 0.1.0\n");
  CHECK(result.err == "");
}

TEST_CASE("an unknown command exits 64 with one line suggesting --") {
  RunResult result = run(schemagate({"uvicorn", "app.main:app"}));
  CHECK(result.exit_code == 64);
  CHECK(result.out == "");
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown command \"uvicorn\"; to start an app, put it after --: "
                                 "schemagate -- uvicorn (see schemagate --help)"});
}

TEST_CASE("an unknown flag exits 64 with one line naming it") {
  RunResult result = run(schemagate({"wait", "--retries=3"}));
  CHECK(result.exit_code == 64);
  CHECK(result.out == "");
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown flag --retries (see schemagate --help)"});
}

TEST_CASE("a misspelt --database-url exits 64 without echoing the password") {
  RunResult result = run(schemagate({"--databse-url=" + kUnreachableUrl}));
  CHECK(result.exit_code == 64);
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown flag --databse-url (see schemagate --help)"});
  CHECK(result.err.find("hunter2") == std::string::npos);
}

TEST_CASE("other usage errors exit 64 with one line") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c :
       {Case{{"--skip=yes"}, "ERROR --skip takes no value (see schemagate --help)"},
        Case{{"--max-retries"}, "ERROR --max-retries needs a value (see schemagate --help)"},
        Case{{"wait", "verify"}, "ERROR unexpected argument \"verify\" (see schemagate --help)"},
        Case{{"wait", "--", "sh"},
             "ERROR only run starts an app; \"wait\" takes nothing after -- (see schemagate --help)"}}) {
    CAPTURE(c.message);
    RunResult result = run(schemagate(c.args));
    CHECK(result.exit_code == 64);
    CHECK(result.out == "");
    CHECK(log_messages(result.err) == std::vector<std::string>{c.message});
  }
}

TEST_CASE("a setting flag the command does not use exits 64 naming it, without contacting the database") {
  Listener listener;
  TempDir dir("cli");
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", listener.url("shop") + "?connect_timeout=1"}, {"DB_MAX_RETRIES", "1"}};
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"up", "--skip"}, "--skip does not apply to \"up\""},
      {{"up", "--no-migrate"}, "--no-migrate does not apply to \"up\""},
      {{"status", "--skip"}, "--skip does not apply to \"status\""},
      {{"--permissive", "verify"}, "--permissive does not apply to \"verify\""},
      {{"wait", "--require-table", "users"}, "--require-table does not apply to \"wait\""},
      {{"new", "x", "--dir", dir.path(), "--table", "t"}, "--table does not apply to \"new\""}};
  for (const auto& [args, message] : cases) {
    CAPTURE(message);
    RunResult result = run(schemagate(args), options);
    CHECK(result.exit_code == 64);
    CHECK(result.out == "");
    CHECK(log_messages(result.err) == std::vector<std::string>{"ERROR " + message + " (see schemagate --help)"});
    CHECK_FALSE(listener.was_contacted());
  }
  CHECK(dir.names().empty());
}

TEST_CASE("--help says which commands take which setting flags") {
  RunResult result = run(schemagate({"--help"}));
  CHECK(result.exit_code == 0);
  for (std::string_view text : {"Setting flags by command", "every flag above", "every command"}) {
    CAPTURE(text);
    CHECK(result.out.find(text) != std::string::npos);
  }
}

TEST_CASE("a usage error wins over a configuration error") {
  RunOptions options;
  options.env = {{"DB_MAX_RETRIES", "abc"}};
  RunResult result = run(schemagate({"--bogus"}), options);
  CHECK(result.exit_code == 64);
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown flag --bogus (see schemagate --help)"});
}

TEST_CASE("a usage error is printed as JSON when LOG_FORMAT=json asks for it") {
  for (std::string format : {"json", "JSON"}) {
    CAPTURE(format);
    RunOptions options;
    options.env = {{"LOG_FORMAT", format}};
    RunResult result = run(schemagate({"uvicorn", "app.main:app"}), options);
    CHECK(result.exit_code == 64);
    CHECK(result.out == "");
    check_json_error(result.err,
                     R"(unknown command \"uvicorn\"; to start an app, put it after --: schemagate -- uvicorn )"
                     "(see schemagate --help)");
  }
}

TEST_CASE("an unknown flag is printed as JSON when LOG_FORMAT=json asks for it") {
  RunOptions options;
  options.env = {{"LOG_FORMAT", "json"}};
  RunResult result = run(schemagate({"wait", "--retries=3"}), options);
  CHECK(result.exit_code == 64);
  check_json_error(result.err, "unknown flag --retries (see schemagate --help)");
}

TEST_CASE("a usage error honours LOG_FORMAT in any case, as the settings do") {
  RunOptions options;
  options.env = {{"LOG_FORMAT", "Json"}};
  RunResult result = run(schemagate({"bogus"}), options);
  CHECK(result.exit_code == 64);
  check_json_error(result.err,
                   R"(unknown command \"bogus\"; to start an app, put it after --: schemagate -- bogus )"
                   "(see schemagate --help)");
}

TEST_CASE("a URL given as an unknown command has its password masked in the usage error") {
  RunResult result = run(schemagate({kUnreachableUrl}));
  CHECK(result.exit_code == 64);
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown command \"postgresql://app:****@127.0.0.1:1/shop\"; to start an app, "
                                 "put it after --: schemagate -- postgresql://app:****@127.0.0.1:1/shop (see "
                                 "schemagate --help)"});
  CHECK(result.err.find("hunter2") == std::string::npos);
}

TEST_CASE("a password in any echoed argument is masked in the usage error") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
    std::string secret;
  };
  for (const Case& c : {
           Case{{"wait", "postgresql://app@127.0.0.1:1/shop?password=hunter2"},
                "ERROR unexpected argument \"postgresql://app@127.0.0.1:1/shop?password=****\" (see schemagate --help)",
                "hunter2"},
           Case{{"wait", R"(host=db password=hun\ ter2 user=app)"},
                "ERROR unexpected argument \"host=db password=**** user=app\" (see schemagate --help)", "ter2"},
           Case{{"wait", "host=db password='hunter 2'"},
                "ERROR unexpected argument \"host=db password=****\" (see schemagate --help)", "hunter"},
           Case{{"up", "--to", "postgresql://app:hunter2@db/shop"},
                "ERROR --to needs a version number, not \"postgresql://app:****@db/shop\" (see schemagate --help)",
                "hunter2"},
           Case{{"postgresql://app:hun/ter2@127.0.0.1:1/shop"},
                "ERROR unknown command \"postgresql://app:****@127.0.0.1:1/shop\"; to start an app, put it after "
                "--: schemagate -- postgresql://app:****@127.0.0.1:1/shop (see schemagate --help)",
                "ter2"},
       }) {
    CAPTURE(c.message);
    RunResult result = run(schemagate(c.args));
    CHECK(result.exit_code == 64);
    CHECK(log_messages(result.err) == std::vector<std::string>{c.message});
    CHECK(result.err.find(c.secret) == std::string::npos);
  }
}

TEST_CASE("a masked usage error in JSON shows no password either") {
  RunOptions options;
  options.env = {{"LOG_FORMAT", "json"}};
  RunResult result = run(schemagate({kUnreachableUrl}), options);
  CHECK(result.exit_code == 64);
  check_json_error(result.err,
                   R"(unknown command \"postgresql://app:****@127.0.0.1:1/shop\"; to start an app, put it )"
                   R"(after --: schemagate -- postgresql://app:****@127.0.0.1:1/shop (see schemagate --help))");
  CHECK(result.err.find("hunter2") == std::string::npos);
}

TEST_CASE("no part of a URL password with an unescaped '@' shows in a usage error") {
  RunResult result = run(schemagate({"postgresql://app:hunter@Zeph9@127.0.0.1:1/shop"}));
  CHECK(result.exit_code == 64);
  CHECK(result.err.find("hunter") == std::string::npos);
  CHECK(result.err.find("Zeph9") == std::string::npos);
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
