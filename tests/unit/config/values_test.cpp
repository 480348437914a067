// SPEC §4's value syntax: counts, durations, booleans, table lists and command lines, each refused
// with one line saying what is wrong with it.
#include "config/values.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "load_helpers.h"

namespace schemagate::config {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Counts

TEST_CASE("parse_count accepts whole numbers from 0 to a million") {
  CHECK(*parse_count("0") == 0);
  CHECK(*parse_count("7") == 7);
  CHECK(*parse_count("1000000") == 1000000);
}

TEST_CASE("parse_count accepts leading zeros") {
  CHECK(*parse_count("00000030") == 30);
  CHECK(*parse_count("007") == 7);
  CHECK(*parse_count("00") == 0);
  CHECK(*parse_count("0000000000000000000000") == 0);
  CHECK(*parse_count("0001000000") == 1000000);
  auto over = parse_count("00000001000001");
  REQUIRE_FALSE(over);
  CHECK(over.error().message == "too large (at most 1000000)");
}

TEST_CASE("parse_count refuses anything but a whole number in range") {
  for (std::string_view text : {"abc", "-1", "1e9", "", "+5", " 5", "5 ", "1.0", "0x10"}) {
    CAPTURE(text);
    auto v = parse_count(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == "not a non-negative integer");
  }
  for (std::string_view text : {"99999999", "1000001", "99999999999999999999999"}) {
    CAPTURE(text);
    auto v = parse_count(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().message == "too large (at most 1000000)");
  }
}

// ---------------------------------------------------------------------------------------------
// Durations

TEST_CASE("parse_duration reads seconds, fractions and units") {
  struct Case {
    std::string_view text;
    std::chrono::milliseconds expected;
  };
  for (Case c : {Case{"0", 0ms}, Case{"2", 2000ms}, Case{"1.5", 1500ms}, Case{"0.25", 250ms},
                 Case{"500ms", 500ms}, Case{"5s", 5000ms}, Case{"2m", 120000ms}, Case{"1h", 3600000ms},
                 Case{"1.5m", 90000ms}, Case{"168h", 604800000ms}, Case{"604800", 604800000ms}}) {
    CAPTURE(c.text);
    auto v = parse_duration(c.text);
    REQUIRE(v);
    CHECK(*v == c.expected);
  }
}

TEST_CASE("parse_duration refuses anything but a non-negative number with an optional unit") {
  for (std::string_view text : {"abc", "-1", "1e9", ".5", "5.", "2x", "inf", "nan", "", "1..5", "1.2.3", " 5",
                                "5 ", "5S", "ms", "5 s", "0x10", "5d", "1,5"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == kBadDuration);
  }
}

TEST_CASE("parse_duration refuses more than seven days") {
  for (std::string_view text : {"604801", "169h", "10081m", "604800001ms", "999999999999", "99999999999h"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().message == "too large (at most 7 days)");
  }
}

TEST_CASE("parse_duration says a number of more than 15 characters is too large") {
  for (std::string_view text : {"1234567890123456", "9999999999999999999999", "1234567890123456ms",
                                "99999999999999999999h", "123456789012345.5"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().message == "too large (at most 7 days)");
  }
  // Fifteen characters are still read: the value decides.
  auto fifteen = parse_duration("000000000000005");
  REQUIRE(fifteen);
  CHECK(*fifteen == 5000ms);
  auto large = parse_duration("999999999999999");
  REQUIRE_FALSE(large);
  CHECK(large.error().message == "too large (at most 7 days)");
}

TEST_CASE("parse_duration judges a long number by its value, not its length") {
  auto zeros = parse_duration("0000000000000005");
  CHECK(zeros);
  if (zeros) CHECK(*zeros == 5000ms);
  auto tiny = parse_duration("0.00000000000001");
  REQUIRE_FALSE(tiny);
  CHECK(tiny.error().message == "too small (under 1 ms; 0 means none)");
}

TEST_CASE("parse_duration refuses a nonzero duration under one millisecond") {
  for (std::string_view text : {"0.0001", "0.0005", "0.5ms", "0.9ms", "0.00000001", "0.000000000001h"}) {
    CAPTURE(text);
    auto v = parse_duration(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == "too small (under 1 ms; 0 means none)");
  }
}

TEST_CASE("parse_duration takes zero in any spelling and rounds to whole milliseconds from one up") {
  struct Case {
    std::string_view text;
    std::chrono::milliseconds expected;
  };
  for (Case c : {Case{"0", 0ms}, Case{"0.0", 0ms}, Case{"0ms", 0ms}, Case{"0.000h", 0ms}, Case{"0.001", 1ms},
                 Case{"1ms", 1ms}, Case{"1.4ms", 1ms}, Case{"1.5ms", 2ms}, Case{"0.0015", 2ms}}) {
    CAPTURE(c.text);
    auto v = parse_duration(c.text);
    REQUIRE(v);
    CHECK(*v == c.expected);
  }
}

TEST_CASE("durations are shown in whole seconds when they are whole, else in milliseconds") {
  auto loaded = load_env({{"DB_RETRY_INTERVAL", "0.5"},
                          {"MIGRATION_TIMEOUT_SECONDS", "90"},
                          {"MIGRATION_RETRY_DELAY_SECONDS", "1h"},
                          {"MIGRATION_LOCK_TIMEOUT", "1001ms"}});
  REQUIRE(loaded);
  CHECK(shown(*loaded, "database.retry_interval") == "500ms");
  CHECK(shown(*loaded, "migrations.timeout") == "90s");
  CHECK(shown(*loaded, "migrations.retry_delay") == "3600s");
  CHECK(shown(*loaded, "migrations.lock_timeout") == "1001ms");
}

// ---------------------------------------------------------------------------------------------
// Booleans

TEST_CASE("parse_bool takes true/false, 1/0 and yes/no in any case") {
  for (std::string_view text : {"true", "TRUE", "True", "1", "yes", "YES", "Yes"}) {
    CAPTURE(text);
    auto v = parse_bool(text);
    REQUIRE(v);
    CHECK(*v);
  }
  for (std::string_view text : {"false", "FALSE", "False", "0", "no", "NO", "No"}) {
    CAPTURE(text);
    auto v = parse_bool(text);
    REQUIRE(v);
    CHECK_FALSE(*v);
  }
  for (std::string_view text : {"", "on", "off", "y", "n", "2", "t", "f", " true", "true "}) {
    CAPTURE(text);
    auto v = parse_bool(text);
    REQUIRE_FALSE(v);
    CHECK(v.error().kind == ErrorKind::Config);
    CHECK(v.error().message == "not a boolean (true/false, 1/0, yes/no)");
  }
}

// ---------------------------------------------------------------------------------------------
// Table lists

TEST_CASE("parse_table_list skips blank items left by templating") {
  auto tables = parse_table_list(" a,, b ,\t,");
  REQUIRE(tables);
  CHECK(written(*tables) == std::vector<std::string>{"a", "b"});
  auto none = parse_table_list(" , ");
  REQUIRE(none);
  CHECK(none->empty());
}

// ---------------------------------------------------------------------------------------------
// Command lines

TEST_CASE("parse_command_line splits words as a shell would, without running one") {
  CHECK(*parse_command_line("alembic upgrade head") == std::vector<std::string>{"alembic", "upgrade", "head"});
  CHECK(*parse_command_line("  sh -c 'echo \"$HOME\"; exit 3'  ") ==
        std::vector<std::string>{"sh", "-c", "echo \"$HOME\"; exit 3"});
  CHECK(*parse_command_line(R"(printf "%s\n" "a \"b\"" c\ d '')") ==
        std::vector<std::string>{"printf", "%s\\n", "a \"b\"", "c d", ""});
  CHECK(parse_command_line("").value().empty());
  CHECK(parse_command_line("alembic 'upgrade").error().message == "unterminated ' quote");
  CHECK(parse_command_line("alembic \"upgrade").error().message == "unterminated \" quote");
}

}  // namespace
}  // namespace schemagate::config
