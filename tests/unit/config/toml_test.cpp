// parse_toml refuses non-ASCII characters where toml++ 3.3.0 would reach undefined behaviour on
// them (outside strings and comments; after a backslash in a """multi-line""" string; in any
// string, those its whitespace check trips on), as path:line:col errors like toml++'s own, and
// accepts the others in every kind of string, and any in comments.
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
const std::string kInString =
    " in a string, which Debian's TOML reader (toml++ 3.3.0) cannot read safely: write it as ";

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
  CHECK(error_of("a = \"€\"\nb = é\n") == "s.toml:2:5: U+00E9" + kOutside);
  CHECK(error_of("a = [\"x\", 1, ж]\n") == "s.toml:1:14: U+0436" + kOutside);
  CHECK(error_of("a = 1\u3000# ideographic space\n") == "s.toml:1:6: U+3000" + kOutside);
  CHECK(error_of("a = \"x\"😀\n") == "s.toml:1:8: U+1F600" + kOutside);
}

TEST_CASE("columns count characters, not bytes, and not a byte order mark") {
  // toml++ counts the same way: compare with its own error for an ASCII character in the same place.
  CHECK(error_of("a = \"€€€\" x\n").starts_with("s.toml:1:11: "));
  CHECK(error_of("a = \"€€€\" ß\n") == "s.toml:1:11: U+00DF" + kOutside);
  CHECK(error_of("\xEF\xBB\xBF"
                 "a = 1 x\n")
            .starts_with("s.toml:1:7: "));
  CHECK(error_of("\xEF\xBB\xBF"
                 "a = 1 ß\n") == "s.toml:1:7: U+00DF" + kOutside);
}

TEST_CASE("non-ASCII characters in each kind of string and in comments are accepted") {
  CHECK(values_of("# Ça va? ß\n"
                  "a = \"中文 € 😀\"  # ½\n"
                  "b = '中\\€'\n"
                  "c = \"\"\"\n中\"€\"\"😀\"\"\"\n"
                  "d = '''\n中'€''😀'''\n"
                  "\"キー\" = '€'\n") ==
        std::vector<std::string>{"中文 € 😀", "中\\€", "中\"€\"\"😀", "中'€''😀", "€"});
}

// U+00A1-U+0499 (Latin-1 to Cyrillic), U+2C5E-U+3057 but U+3000, and U+FB26-U+FEFE: toml++
// 3.3.0's whitespace check reaches __builtin_unreachable on them, and it makes that check inside
// what looks like a string whenever a quote did not open one for it (`x = 250'é`).
TEST_CASE("characters toml++ 3.3.0 trips on are refused in strings too, naming the escape to use") {
  CHECK(error_of("a = \"é\"\n") == "s.toml:1:6: U+00E9" + kInString +
                                       "\\u00E9 in a \"double-quoted\" string, or set the value through its "
                                       "environment variable");
  CHECK(error_of("a = 'ж'\n").starts_with("s.toml:1:6: U+0436" + kInString + "\\u0436"));
  CHECK(error_of("a = \"\"\"\nx\n  ß\"\"\"\n").starts_with("s.toml:3:3: U+00DF" + kInString));
  CHECK(error_of("a = '''\xEF\xB1\xBC'''\n").starts_with("s.toml:1:8: U+FC7C" + kInString));
  CHECK(error_of("l=250'Ç--x\n").starts_with("s.toml:1:7: U+00C7" + kInString));
  // The edges of each range, and what lies just outside them.
  for (const char* ok : {"\u00A0", "\u049A", "\u2C5D", "\u3000", "\u3058", "\uFB25", "\uFEFF"}) {
    CAPTURE(ok);
    CHECK(values_of(std::string("a = \"") + ok + "\"\n") == std::vector<std::string>{ok});
  }
  for (const char* bad : {"\u00A1", "\u0499", "\u2C5E", "\u3057", "\uFB26", "\uFEFE"}) {
    CAPTURE(bad);
    CHECK(error_of(std::string("a = \"") + bad + "\"\n").find(kInString) != std::string::npos);
  }
  // Written as escapes, they are read as the characters they stand for.
  CHECK(values_of("a = \"migra\\u00E7\\u00F5es\"\n") == std::vector<std::string>{"migrações"});
}

TEST_CASE("escaped quotes and backslashes do not end a basic string") {
  CHECK(values_of("a = \"\\\" €\"\nb = \"\\\\\"\nc = \"€\\\\\\\"\" # ü\n") ==
        std::vector<std::string>{"\" €", "\\", "€\\\""});
  CHECK(values_of("a = \"\"\"\\\"\"\" €\"\"\"\n") == std::vector<std::string>{"\"\"\" €"});
  // Had the escaped quote ended the string, "é" would stand outside it.
  CHECK(error_of("a = \"\\\"\" é\n") == "s.toml:1:10: U+00E9" + kOutside);
}

TEST_CASE("a multi-line string ends at the last of up to five quotes") {
  CHECK(values_of("a = \"\"\"x\"\"\"\"\" # é\nb = '''y''''' # ü\n") ==
        std::vector<std::string>{"x\"\"", "y''"});
  CHECK(error_of("a = \"\"\"x\"\"\"\"\"é\n") == "s.toml:1:14: U+00E9" + kOutside);
}

TEST_CASE("a line-ending backslash in a multi-line string may be followed by ASCII text only") {
  CHECK(values_of("a = \"\"\"\\\n   x €\"\"\"\n") == std::vector<std::string>{"x €"});
  CHECK(values_of("a = \"\"\"\\\n   \\u00A7dir\"\"\"\n") == std::vector<std::string>{"§dir"});
  CHECK(error_of("a = \"\"\"\\\n\n   §dir\"\"\"\n") ==
        "s.toml:3:4: U+00A7 after a backslash in a multi-line string: write it as \\u00A7");
  CHECK(error_of("a = \"\"\"\\ \t\r\n\u00A0x\"\"\"\n") ==
        "s.toml:2:1: U+00A0 after a backslash in a multi-line string: write it as \\u00A0");
  CHECK(error_of("a = \"\"\"\\😀\"\"\"\n") ==
        "s.toml:1:9: U+1F600 after a backslash in a multi-line string: write it as \\U0001F600");
  // Literal strings have no escapes: a backslash there is just a backslash.
  CHECK(values_of("a = '''\\\n€'''\n") == std::vector<std::string>{"\\\n€"});
}

TEST_CASE("an unterminated string or bytes that are not UTF-8 are left to toml++ to report") {
  CHECK(error_of("a = \"€\nb = ß\n") ==
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
           Case{"settings-c701d2283b484b6c577d717f0af0e4f2e6c59e6f",
                ":1:7: U+00C7" + kInString + "\\u00C7 in a \"double-quoted\" string, or set the value through its "
                "environment variable"},
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
