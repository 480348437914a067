// Reading schemagate's log on stderr in the integration tests. These check as they read: a line
// that is not what the format promises fails the calling test case.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {

// Each line of a text log without its timestamp: "2024-05-01T12:00:00.000Z ERROR x" -> "ERROR x".
inline std::vector<std::string> log_messages(const std::string& err) {
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

// `err` is one JSON log line as the json format writes it, an error with `escaped_message` (as
// JSON escapes it); checked apart from its timestamp.
inline void check_json_error(const std::string& err, const std::string& escaped_message) {
  std::vector<std::string> lines = lines_of(err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("{\"time\":\""));
  CHECK(lines[0].ends_with(",\"level\":\"error\",\"msg\":\"" + escaped_message + "\"}"));
}

// The one ERROR line of a run, or a failure when there is not exactly one.
inline std::string error_line(const RunResult& result) {
  auto errors = lines_with(result.err, " ERROR ");
  REQUIRE_MESSAGE(errors.size() == 1, result.err);
  return errors[0];
}

}  // namespace schemagate::testing
