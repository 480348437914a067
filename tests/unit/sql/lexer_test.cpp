#include "sql/lexer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate::sql {
namespace {

std::vector<std::string> texts(std::string_view sql) {
  std::vector<std::string> out;
  for (const Piece& s : split(sql)) out.emplace_back(s.text);
  return out;
}

TEST_CASE("split cuts at top-level semicolons and keeps a last statement without one") {
  CHECK(texts("create table a (x int);\ncreate table b (y int)") ==
        std::vector<std::string>{"create table a (x int)", "\ncreate table b (y int)"});
}

TEST_CASE("split records each statement's byte offset in the script") {
  auto parts = split("select 1;  select 2;");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].offset == 0);
  CHECK(parts[1].offset == 9);
}

TEST_CASE("split drops pieces that hold only blanks and comments") {
  CHECK(texts("select 1;\n-- trailing comment\n  ;; /* block */") == std::vector<std::string>{"select 1"});
}

TEST_CASE("split ignores semicolons inside single-quoted strings, doubled quotes included") {
  CHECK(texts("insert into t values ('a;b', 'it''s; fine'); select 1") ==
        std::vector<std::string>{"insert into t values ('a;b', 'it''s; fine')", " select 1"});
}

TEST_CASE("split honours backslash escapes in E strings but not in standard strings") {
  CHECK(texts(R"(select E'it\'s; here'; select 'back\'; select 3)") ==
        std::vector<std::string>{R"(select E'it\'s; here')", R"( select 'back\')", " select 3"});
}

TEST_CASE("split treats a trailing e of an identifier as part of the name, not an E string") {
  CHECK(texts("select some'x;y'; select 2") == std::vector<std::string>{"select some'x;y'", " select 2"});
}

TEST_CASE("split ignores semicolons inside dollar quotes, tagged or not") {
  std::string fn =
      "create function f() returns int as $body$ begin return 1; end; $body$ language plpgsql";
  CHECK(texts(fn + "; do $$ begin perform 1; end $$; select 3") ==
        std::vector<std::string>{fn, " do $$ begin perform 1; end $$", " select 3"});
}

TEST_CASE("split does not mistake a different tag for the closing one") {
  std::string s = "select $a$ x $b$ ; $b$ y; $a$";
  CHECK(texts(s + "; select 2") == std::vector<std::string>{s, " select 2"});
}

TEST_CASE("split does not treat positional parameters or identifiers with $ as dollar quotes") {
  CHECK(texts("prepare p as select $1; select a$b$c from t; select 3") ==
        std::vector<std::string>{"prepare p as select $1", " select a$b$c from t", " select 3"});
}

TEST_CASE("split ignores semicolons inside quoted identifiers") {
  CHECK(texts(R"(create table "a;""b" (x int); select 2)") ==
        std::vector<std::string>{R"(create table "a;""b" (x int))", " select 2"});
}

TEST_CASE("split ignores semicolons in line comments") {
  CHECK(texts("select 1 -- not; here\n; select 2") ==
        std::vector<std::string>{"select 1 -- not; here\n", " select 2"});
}

TEST_CASE("split ignores semicolons in nested block comments") {
  CHECK(texts("select /* a; /* b; */ still; */ 1; select 2") ==
        std::vector<std::string>{"select /* a; /* b; */ still; */ 1", " select 2"});
}

TEST_CASE("split keeps a BEGIN ATOMIC routine body, CASE ... END inside it, as one statement") {
  std::string fn =
      "create or replace function f(x int) returns int language sql begin atomic "
      "select case when x > 0 then 1 else 0 end; select 2; end";
  CHECK(texts(fn + "; select 3") == std::vector<std::string>{fn, " select 3"});
}

TEST_CASE("split still splits BEGIN and COMMIT of an explicit transaction") {
  CHECK(texts("begin; create table t (); commit;") ==
        std::vector<std::string>{"begin", " create table t ()", " commit"});
}

TEST_CASE("split keeps an unterminated quote to the end of the script") {
  CHECK(texts("select 'abc; select 2") == std::vector<std::string>{"select 'abc; select 2"});
}

TEST_CASE("is_blank sees through comments and whitespace only") {
  CHECK(is_blank("  -- c\n /* x /* y */ */\n"));
  CHECK_FALSE(is_blank("-- c\nselect 1"));
}

}  // namespace
}  // namespace schemagate::sql
