// parse_toml refuses non-ASCII characters where toml++ 3.3.0 would reach undefined behaviour on
// them (outside strings and comments, and after a backslash in a """multi-line""" string), as
// path:line:col errors like toml++'s own, and still accepts them in every kind of string and in
// comments.
#include "config/toml.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../../support/files.h"
#include "config/settings.h"

namespace schemagate::config {
namespace {

const std::string kOutside =
    " outside a string or comment: TOML allows non-ASCII characters only in strings and comments";

// The one line parse_toml fails with; fails the test when the text parsed.
std::string error_of(const std::string& text) {
  auto entries = parse_toml(text, "s.toml");
  REQUIRE_FALSE(entries);
  CHECK(entries.error().kind == ErrorKind::Config);
  return entries.error().message;
}

// The text of each key's value, in key order; fails the test when the text did not parse.
std::vector<std::string> values_of(const std::string& text) {
  auto entries = parse_toml(text, "s.toml");
  REQUIRE_MESSAGE(entries, entries.error().message);
  std::vector<std::string> out;
  for (const TomlEntry& e : *entries) out.push_back(e.text);
  return out;
}

TEST_CASE("a non-ASCII character in a bare key is refused at its line and column") {
  CHECK(error_of("[database]\nmax_retriés = 3\n") == "s.toml:2:10: U+00E9" + kOutside);
  CHECK(error_of("Ç.") == "s.toml:1:1: U+00C7" + kOutside);
}

TEST_CASE("a non-ASCII character where a value belongs is refused at its line and column") {
  CHECK(error_of("a = \"é\"\nb = é\n") == "s.toml:2:5: U+00E9" + kOutside);
  CHECK(error_of("a = [\"x\", 1, ж]\n") == "s.toml:1:14: U+0436" + kOutside);
  CHECK(error_of("a = 1\u3000# ideographic space\n") == "s.toml:1:6: U+3000" + kOutside);
  CHECK(error_of("a = \"x\"😀\n") == "s.toml:1:8: U+1F600" + kOutside);
}

TEST_CASE("columns count characters, not bytes, and not a byte order mark") {
  // toml++ counts the same way: compare with its own error for an ASCII character in the same place.
  CHECK(error_of("a = \"ééé\" x\n").starts_with("s.toml:1:11: "));
  CHECK(error_of("a = \"ééé\" ß\n") == "s.toml:1:11: U+00DF" + kOutside);
  CHECK(error_of("\xEF\xBB\xBF"
                 "a = 1 x\n")
            .starts_with("s.toml:1:7: "));
  CHECK(error_of("\xEF\xBB\xBF"
                 "a = 1 ß\n") == "s.toml:1:7: U+00DF" + kOutside);
}

TEST_CASE("non-ASCII characters in each kind of string and in comments are accepted") {
  CHECK(values_of("# Ça va? ß\n"
                  "a = \"Ç ß ж € 😀\"  # ½\n"
                  "b = 'Ç\\ß'\n"
                  "c = \"\"\"\nÇ\"ß\"\"ж\"\"\"\n"
                  "d = '''\nÇ'ß''ж'''\n"
                  "\"ключ\" = 'é'\n") ==
        std::vector<std::string>{"Ç ß ж € 😀", "Ç\\ß", "Ç\"ß\"\"ж", "Ç'ß''ж", "é"});
}

TEST_CASE("escaped quotes and backslashes do not end a basic string") {
  CHECK(values_of("a = \"\\\" é\"\nb = \"\\\\\"\nc = \"é\\\\\\\"\" # ü\n") ==
        std::vector<std::string>{"\" é", "\\", "é\\\""});
  CHECK(values_of("a = \"\"\"\\\"\"\" é\"\"\"\n") == std::vector<std::string>{"\"\"\" é"});
  // Had the escaped quote ended the string, "é" would stand outside it.
  CHECK(error_of("a = \"\\\"\" é\n") == "s.toml:1:10: U+00E9" + kOutside);
}

TEST_CASE("a multi-line string ends at the last of up to five quotes") {
  CHECK(values_of("a = \"\"\"x\"\"\"\"\" # é\nb = '''y''''' # ü\n") ==
        std::vector<std::string>{"x\"\"", "y''"});
  CHECK(error_of("a = \"\"\"x\"\"\"\"\"é\n") == "s.toml:1:14: U+00E9" + kOutside);
}

TEST_CASE("a line-ending backslash in a multi-line string may be followed by ASCII text only") {
  CHECK(values_of("a = \"\"\"\\\n   x é\"\"\"\n") == std::vector<std::string>{"x é"});
  CHECK(values_of("a = \"\"\"\\\n   \\u00A7dir\"\"\"\n") == std::vector<std::string>{"§dir"});
  CHECK(error_of("a = \"\"\"\\\n\n   §dir\"\"\"\n") ==
        "s.toml:3:4: U+00A7 after a backslash in a multi-line string: write it as \\u00A7");
  CHECK(error_of("a = \"\"\"\\ \t\r\n\u00A0x\"\"\"\n") ==
        "s.toml:2:1: U+00A0 after a backslash in a multi-line string: write it as \\u00A0");
  CHECK(error_of("a = \"\"\"\\😀\"\"\"\n") ==
        "s.toml:1:9: U+1F600 after a backslash in a multi-line string: write it as \\U0001F600");
  // Literal strings have no escapes: a backslash there is just a backslash.
  CHECK(values_of("a = '''\\\n§'''\n") == std::vector<std::string>{"\\\n§"});
}

TEST_CASE("an unterminated string or bytes that are not UTF-8 are left to toml++ to report") {
  CHECK(error_of("a = \"é\nb = ß\n") ==
        "s.toml:1:7: Error while parsing string: unescaped control characters other than TAB (U+0009) are "
        "explicitly prohibited");
  CHECK(error_of("a = 1\xff\n") == "s.toml:1:5: Encountered invalid utf-8 sequence");
}

// The inputs the settings fuzzer found toml++'s undefined behaviour with (fuzz/crashes/README.md),
// kept in its corpus: refused with one line, through the file as `load` reads it.
TEST_CASE("the fuzzer's non-ASCII inputs are refused with one line naming the place") {
  const std::string corpus = SCHEMAGATE_SOURCE_DIR "/fuzz/corpus/settings/";
  struct Case {
    std::string file;
    std::string message;
  };
  for (const Case& c : {
           Case{"settings-0c133319d39d6e80979d464d475b1f56cefc341a", ":1:1: U+00C7" + kOutside},
           Case{"settings-1ae1acd9be0463ea6bc156799a84a6356580acba",
                ":2:1: U+00A7 after a backslash in a multi-line string: write it as \\u00A7"},
       }) {
    const std::string path = corpus + c.file;
    CAPTURE(path);
    const std::string text = testing::read_text_file(path);
    REQUIRE_FALSE(text.empty());
    const std::vector<FlagValue> flags = {{"--config", path}};
    auto loaded = load(
        flags, [](std::string_view) -> std::optional<std::string> { return std::nullopt; }, "");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().kind == ErrorKind::Config);
    CHECK(loaded.error().message == path + c.message);
  }
}

}  // namespace
}  // namespace schemagate::config
