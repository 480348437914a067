// SPEC §2 and §5 at the command line: --help and --version exit 0, usage errors exit 64 with one
// line on stderr. None of these reach a database.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("cli");

// Nothing listens on port 1, in case anything tried to connect.
const std::string kUnreachableUrl = "postgresql://app:hunter2@127.0.0.1:1/shop";

RunResult schemagate(const std::vector<std::string>& args, const RunOptions& options = {}) {
  std::vector<std::string> argv{schemagate_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Each line of a text log without its timestamp: "2024-05-01T12:00:00.000Z ERROR x" -> "ERROR x".
std::vector<std::string> log_messages(const std::string& err) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(err)) {
    REQUIRE_MESSAGE(line.size() > 25, line);
    CHECK_MESSAGE(line[10] == 'T', line);
    CHECK_MESSAGE(line[23] == 'Z', line);
    CHECK_MESSAGE(line[24] == ' ', line);
    out.push_back(line.substr(25));
  }
  return out;
}

TEST_CASE("--help exits 0 and lists every command and flag on stdout") {
  for (std::string help : {"--help", "-h"}) {
    CAPTURE(help);
    RunResult result = schemagate({help});
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
  RunResult result = schemagate({"--help"});
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
  RunResult result = schemagate({"wait", "--help"}, options);
  CHECK(result.exit_code == 0);
  CHECK(result.err == "");
  CHECK(result.out.find("Usage:") != std::string::npos);
}

TEST_CASE("--version prints the name and version and exits 0") {
  RunResult result = schemagate({"--version"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "schemagate 0.1.0\n");
  CHECK(result.err == "");
}

TEST_CASE("an unknown command exits 64 with one line suggesting --") {
  RunResult result = schemagate({"uvicorn", "app.main:app"});
  CHECK(result.exit_code == 64);
  CHECK(result.out == "");
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown command \"uvicorn\"; to start an app, put it after --: "
                                 "schemagate -- uvicorn (see schemagate --help)"});
}

TEST_CASE("an unknown flag exits 64 with one line naming it") {
  RunResult result = schemagate({"wait", "--retries=3"});
  CHECK(result.exit_code == 64);
  CHECK(result.out == "");
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown flag --retries (see schemagate --help)"});
}

TEST_CASE("a misspelt --database-url exits 64 without echoing the password") {
  RunResult result = schemagate({"--databse-url=" + kUnreachableUrl});
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
    RunResult result = schemagate(c.args);
    CHECK(result.exit_code == 64);
    CHECK(result.out == "");
    CHECK(log_messages(result.err) == std::vector<std::string>{c.message});
  }
}

TEST_CASE("a usage error wins over a configuration error") {
  RunOptions options;
  options.env = {{"DB_MAX_RETRIES", "abc"}};
  RunResult result = schemagate({"--bogus"}, options);
  CHECK(result.exit_code == 64);
  CHECK(log_messages(result.err) ==
        std::vector<std::string>{"ERROR unknown flag --bogus (see schemagate --help)"});
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
