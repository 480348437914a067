// SPEC §1 step 6: a failed migration is reported as file:line:col. The server gives a 1-based
// character position in the SQL it was sent; these turn it into the place in the file an editor shows.
#include "migrate/locate.h"

#include <doctest/doctest.h>

#include <string>

namespace schemagate::migrate {
namespace {

Section section(std::string sql, int first_line = 1, std::string path = "migrations/0003_users.sql") {
  Section s;
  s.present = true;
  s.path = std::move(path);
  s.sql = std::move(sql);
  s.first_line = first_line;
  return s;
}

// ---------------------------------------------------------------------------------------------
// byte_offset_of

TEST_CASE("byte_offset_of counts ASCII characters one byte each") {
  CHECK(byte_offset_of("select 1;", 1) == 0);
  CHECK(byte_offset_of("select 1;", 8) == 7);
  CHECK(byte_offset_of("select 1;", 9) == 8);
}

TEST_CASE("byte_offset_of counts a multibyte character as one position") {
  // 'é' is two bytes, '€' three, '🐘' four.
  CHECK(byte_offset_of("é;x", 1) == 0);
  CHECK(byte_offset_of("é;x", 2) == 2);
  CHECK(byte_offset_of("é;x", 3) == 3);
  CHECK(byte_offset_of("€;x", 2) == 3);
  CHECK(byte_offset_of("🐘;x", 2) == 4);
  std::string sql = "select 'é€🐘' frm t;";
  CHECK(byte_offset_of(sql, 14) == sql.find("frm"));
}

TEST_CASE("byte_offset_of a position past the end is the end") {
  CHECK(byte_offset_of("abc", 4) == 3);
  CHECK(byte_offset_of("abc", 100) == 3);
  CHECK(byte_offset_of("", 1) == 0);
  CHECK(byte_offset_of("é", 2) == 2);
}

// ---------------------------------------------------------------------------------------------
// locate

TEST_CASE("locate gives the section's first line and column one for offset zero") {
  CHECK(locate(section("select 1;\n"), 0) == "migrations/0003_users.sql:1:1");
  CHECK(locate(section("select 1;\n", 2), 0) == "migrations/0003_users.sql:2:1");
}

TEST_CASE("locate counts lines from the line the section starts on in its file") {
  // A single file: `-- migrate:up` on line 1, the SQL from line 2.
  std::string sql = "create table users ();\n\nselec 1;\n";
  CHECK(locate(section(sql, 2), sql.find("selec")) == "migrations/0003_users.sql:4:1");
  CHECK(locate(section(sql, 2), sql.find("1;")) == "migrations/0003_users.sql:4:7");
  // A down section further into the file.
  CHECK(locate(section(sql, 10), sql.find("users")) == "migrations/0003_users.sql:10:14");
}

TEST_CASE("locate counts columns in characters when multibyte characters come before the error") {
  std::string sql = "insert into t values ('héllo', '🐘');\nselect 'ü€' frm t;\n";
  CHECK(locate(section(sql, 2), sql.find("frm")) == "migrations/0003_users.sql:3:13");
  // Multibyte characters on earlier lines do not shift the column.
  std::string later = "select 'ü€🐘';\n  selec 1;\n";
  CHECK(locate(section(later), later.find("selec 1")) == "migrations/0003_users.sql:2:3");
  std::string first = "select 'héllo' frm t;";
  CHECK(locate(section(first), first.find("frm")) == "migrations/0003_users.sql:1:16");
}

TEST_CASE("locate turns the server's character position into the file's line and column") {
  std::string sql = "create table t (name text);\ninsert into t values ('café', 'naïve') retrning *;\n";
  // The server counts characters: "retrning" is character 68 of what was sent.
  size_t at = byte_offset_of(sql, 68);
  CHECK(at == sql.find("retrning"));
  CHECK(locate(section(sql, 2), at) == "migrations/0003_users.sql:3:40");
}

TEST_CASE("locate with CRLF line ends counts lines once and columns without the carriage return") {
  std::string sql = "create table users ();\r\n\r\n  selec 1;\r\n";
  CHECK(locate(section(sql, 2), sql.find("selec")) == "migrations/0003_users.sql:4:3");
  CHECK(locate(section(sql, 2), sql.find("users")) == "migrations/0003_users.sql:2:14");
}

TEST_CASE("locate agrees with a file read with CRLF line ends") {
  std::string text =
      "-- migrate:up\r\ncreate table users ();\r\nselec 'é' 1;\r\n-- migrate:down\r\ndrop tabl users;\r\n";
  auto m = parse_file("0003_users.sql", "migrations/0003_users.sql", text);
  REQUIRE(m);
  CHECK(locate(m->up, m->up.sql.find("selec")) == "migrations/0003_users.sql:3:1");
  CHECK(locate(m->up, m->up.sql.find("1;")) == "migrations/0003_users.sql:3:11");
  CHECK(locate(m->down, m->down.sql.find("tabl")) == "migrations/0003_users.sql:5:6");
}

TEST_CASE("locate of an offset at or past the end of the SQL is where the SQL ends") {
  std::string sql = "select 1;\nselect";
  CHECK(locate(section(sql, 2), sql.size()) == "migrations/0003_users.sql:3:7");
  CHECK(locate(section(sql, 2), sql.size() + 50) == "migrations/0003_users.sql:3:7");
  CHECK(locate(section("select 1;\n", 2), 100) == "migrations/0003_users.sql:3:1");
}

TEST_CASE("locate names the section's own file, as a pair of files has two") {
  std::string sql = "drop tabel users;\n";
  CHECK(locate(section(sql, 1, "migrations/0003_users.down.sql"), sql.find("tabel")) ==
        "migrations/0003_users.down.sql:1:6");
}

}  // namespace
}  // namespace schemagate::migrate
