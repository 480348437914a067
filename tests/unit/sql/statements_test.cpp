// PostgreSQL's reading of a script (sql/statements.h): where statements are, what kind each is,
// and what happens where the parser cannot read (newer syntax) or is not given the whole text.
#include "sql/statements.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate::sql {
namespace {

std::vector<Kind> kinds(std::string_view script) {
  std::vector<Kind> out;
  for (const Statement& s : statements(script)) out.push_back(s.kind);
  return out;
}

std::vector<std::string> texts(std::string_view script) {
  std::vector<std::string> out;
  for (const Statement& s : statements(script)) out.emplace_back(s.text);
  return out;
}

TEST_CASE("transaction control, routines and COPY are told apart by the grammar") {
  CHECK(kinds("begin; savepoint a; release a; rollback to a; commit; start transaction isolation level "
              "serializable; rollback; abort; end; prepare transaction 'x'; commit prepared 'x'") ==
        std::vector<Kind>{Kind::begin, Kind::savepoint, Kind::savepoint, Kind::savepoint, Kind::commit,
                          Kind::begin, Kind::rollback, Kind::rollback, Kind::commit, Kind::prepare,
                          Kind::no_transaction});
  CHECK(kinds("do $$ begin perform 1; end $$; call p(); copy t to stdout; copy t from '/tmp/x'; "
              "copy (select 1) to stdout with (format csv)") ==
        std::vector<Kind>{Kind::routine, Kind::routine, Kind::copy_out, Kind::plain, Kind::copy_out});
}

TEST_CASE("every statement is the text at its offset, without its semicolon") {
  std::string script = "-- lead\ncreate table a (x int) ;\n\n/* b */ create table b (y int);select 1";
  auto all = statements(script);
  REQUIRE(all.size() == 3);
  for (const Statement& s : all) {
    CHECK(s.understood);
    CHECK(script.substr(s.offset, s.text.size()) == s.text);
    CHECK(s.text.find(';') == std::string_view::npos);
  }
  CHECK(all[0].offset == 0);
  CHECK(all[0].text == "-- lead\ncreate table a (x int)");
  CHECK(all[1].text == "\n\n/* b */ create table b (y int)");
  CHECK(all[2].text == "select 1");
}

TEST_CASE("an empty statement between two semicolons leaves neither semicolon in a statement") {
  CHECK(texts("select 1;;select 2;") == std::vector<std::string>{"select 1", "select 2"});
  CHECK(texts("select 1; ;\n;select 2") == std::vector<std::string>{"select 1", "select 2"});
}

TEST_CASE("CREATE RULE with several actions in parentheses is one statement") {
  CHECK(texts("create rule r as on insert to t do also (insert into a values (1); insert into b values (2)); "
              "select 1") ==
        std::vector<std::string>{
            "create rule r as on insert to t do also (insert into a values (1); insert into b values (2))",
            " select 1"});
}

TEST_CASE("COPY FROM STDIN carries the lines after it up to a line \\. as its data") {
  std::string script = "create table t (a int, b text);\nCOPY public.t (a, b) FROM stdin;\n1\tone\n2\t\\N\n\\.\n"
                       "select 3;\n";
  auto all = statements(script);
  REQUIRE(all.size() == 3);
  CHECK(all[1].kind == Kind::copy_in);
  CHECK(all[1].text == "\nCOPY public.t (a, b) FROM stdin");
  CHECK(all[1].data == "1\tone\n2\t\\N\n");
  CHECK(script.substr(all[1].data_offset, all[1].data.size()) == all[1].data);
  CHECK(all[1].data_ended);
  CHECK_FALSE(all[1].text_after);
  CHECK(all[2].text == "select 3");
  CHECK(all[2].kind == Kind::plain);
}

TEST_CASE("COPY data with no line \\. runs to the end; text after COPY's semicolon is noticed") {
  auto open = statements("copy t from stdin;\n1\n2\n");
  REQUIRE(open.size() == 1);
  CHECK(open[0].data == "1\n2\n");
  CHECK_FALSE(open[0].data_ended);
  auto after = statements("copy t from stdin; select 1\n1\n\\.\n");
  REQUIRE(after.size() == 1);
  CHECK(after[0].text_after);
  CHECK(after[0].data == "1\n");
  auto crlf = statements("copy t from stdin;\r\n1\r\n\\.\r\nselect 2;");
  REQUIRE(crlf.size() == 2);
  CHECK(crlf[0].data == "1\r\n");
  CHECK(crlf[0].data_ended);
}

TEST_CASE("a psql backslash line where a statement would begin is a meta-command, to its line's end") {
  auto all = statements("\\restrict abc123\nselect 1;\n-- note\n\\set ON_ERROR_STOP on\nselect 2;\n\\unrestrict abc123\n");
  REQUIRE(all.size() == 5);
  CHECK(all[0].kind == Kind::meta_command);
  CHECK(all[0].text == "\\restrict abc123");
  CHECK(all[1].text == "\nselect 1");
  CHECK(all[2].kind == Kind::meta_command);
  CHECK(all[2].text == "\\set ON_ERROR_STOP on");
  CHECK(all[4].text == "\\unrestrict abc123");
  // Inside a statement a backslash is the server's business (E'' strings, a mistake).
  CHECK(kinds("select E'\\\\'; select 1 \\gset") == std::vector<Kind>{Kind::plain, Kind::plain});
}

TEST_CASE("syntax PostgreSQL 15 does not read is kept as written and its kind guessed from its first words") {
  auto all = statements("select json_object('a': 1 returning text);\ncreate index concurrently i on t (a) "
                        "nulls distinct foo bar;\nselect 2;");
  REQUIRE(all.size() == 3);
  CHECK_FALSE(all[0].understood);
  CHECK(all[0].kind == Kind::plain);
  CHECK_FALSE(all[1].understood);
  CHECK(all[1].kind == Kind::no_transaction);
  CHECK(all[2].understood);
  CHECK(all[2].text == "\nselect 2");
}

TEST_CASE("a script over the limit is split by the lexer and only statements that may matter are parsed") {
  std::string script = "create table t (a int);\n";
  while (script.size() <= kWholeScriptLimit) script += "insert into t values (1), (2), (3), (4), (5), (6);\n";
  script += "create index concurrently t_a on t (a);\nvacuum (verbose) t;";
  auto all = statements(script);
  REQUIRE(all.size() > 2);
  CHECK(all.front().understood);
  CHECK(all.front().kind == Kind::plain);
  CHECK_FALSE(all[1].understood);  // an INSERT of the load: not parsed one by one
  CHECK(all[1].kind == Kind::plain);
  CHECK(all[all.size() - 2].kind == Kind::no_transaction);
  CHECK(all[all.size() - 2].understood);
  CHECK(all.back().kind == Kind::no_transaction);
}

TEST_CASE("first_line names a statement by its first line, comments skipped, at most 80 characters") {
  CHECK(first_line("\n-- why\ncreate index concurrently i\n  on t (a)") == "create index concurrently i");
  CHECK(first_line(std::string(100, 'x')) == std::string(77, 'x') + "...");
}

}  // namespace
}  // namespace schemagate::sql
