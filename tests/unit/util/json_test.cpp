// util/json.h: JSON string literals and one-line escapes, valid UTF-8 whatever bytes they are given.
#include "util/json.h"

#include <doctest/doctest.h>

#include <string>

namespace schemagate {
namespace {

TEST_CASE("json_string escapes quotes, backslashes and control characters, and keeps UTF-8 as it is") {
  CHECK(json_string("say \"hi\"\\\n\t\x01\x7f") == R"("say \"hi\"\\\n\t\u0001\u007f")");
  CHECK(json_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST_CASE(
    "json_string writes each byte that is not part of a UTF-8 character as \\xHH, so its output is UTF-8") {
  CHECK(json_string("2_caf\xE9.sql") == R"("2_caf\\xE9.sql")");
  CHECK(json_string("\xC0\xAF") == R"("\\xC0\\xAF")");                    // an overlong '/'
  CHECK(json_string("\xED\xA0\x80") == R"("\\xED\\xA0\\x80")");           // a UTF-16 surrogate
  CHECK(json_string("a\xF0\x9F") == R"("a\\xF0\\x9F")");                  // cut short
  CHECK(json_string("\xF4\x90\x80\x80") == R"("\\xF4\\x90\\x80\\x80")");  // past U+10FFFF
  CHECK(json_string("\xFF\xC3\xA9") == "\"\\\\xFF\xC3\xA9\"");  // the character after a bad byte is kept
}

TEST_CASE(
    "escape_controls writes control characters and bytes that are not UTF-8 as escapes, quotes as they are") {
  CHECK(escape_controls("migrations/2_caf\xE9.sql") == R"(migrations/2_caf\xE9.sql)");
  CHECK(escape_controls("a \"b\"\nc\\d") == R"(a "b"\nc\d)");
}

}  // namespace
}  // namespace schemagate
