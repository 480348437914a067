// Critical and tracking table names as users write them (SPEC §1 step 7, §3, §4).
#include "util/table_name.h"

#include <doctest/doctest.h>

#include <string>

namespace schemagate {
namespace {

TableName parsed(std::string_view text) {
  auto name = parse_table_name(text);
  REQUIRE_MESSAGE(name, (name ? "" : name.error().message));
  return *name;
}

std::string error_of(std::string_view text) {
  auto name = parse_table_name(text);
  REQUIRE_FALSE(name);
  CHECK(name.error().kind == ErrorKind::Config);
  return name.error().message;
}

TEST_CASE("a bare name has no schema and is not quoted") {
  TableName t = parsed("users");
  CHECK(t.schema == "");
  CHECK(t.name == "users");
  CHECK_FALSE(t.schema_quoted);
  CHECK_FALSE(t.name_quoted);
  CHECK(t.as_written == "users");
}

TEST_CASE("an unquoted name keeps its case as written") {
  TableName t = parsed("Users");
  CHECK(t.name == "Users");
  CHECK_FALSE(t.name_quoted);
}

TEST_CASE("schema.table names both parts") {
  TableName t = parsed("audit.log_entries");
  CHECK(t.schema == "audit");
  CHECK(t.name == "log_entries");
  CHECK_FALSE(t.schema_quoted);
  CHECK_FALSE(t.name_quoted);
  CHECK(t.as_written == "audit.log_entries");
}

TEST_CASE("a quoted name may hold spaces, commas and dots") {
  TableName t = parsed("\"Order Items, v2.0\"");
  CHECK(t.schema == "");
  CHECK(t.name == "Order Items, v2.0");
  CHECK(t.name_quoted);
  CHECK(t.as_written == "\"Order Items, v2.0\"");
}

TEST_CASE("either part may be quoted on its own") {
  TableName quoted_schema = parsed("\"my.schema\".t");
  CHECK(quoted_schema.schema == "my.schema");
  CHECK(quoted_schema.schema_quoted);
  CHECK(quoted_schema.name == "t");
  CHECK_FALSE(quoted_schema.name_quoted);

  TableName quoted_name = parsed("app.\"T\"");
  CHECK(quoted_name.schema == "app");
  CHECK_FALSE(quoted_name.schema_quoted);
  CHECK(quoted_name.name == "T");
  CHECK(quoted_name.name_quoted);
}

TEST_CASE("a doubled quote inside quotes is a literal quote") {
  TableName t = parsed("\"say \"\"hi\"\"\"");
  CHECK(t.name == "say \"hi\"");
  CHECK(t.name_quoted);
}

TEST_CASE("blanks around the name are trimmed, blanks inside quotes are kept") {
  TableName t = parsed(" \t audit.events \t");
  CHECK(t.schema == "audit");
  CHECK(t.name == "events");
  CHECK(t.as_written == "audit.events");

  TableName spaced = parsed("\" padded \"");
  CHECK(spaced.name == " padded ");
}

TEST_CASE("more than two parts are refused") {
  CHECK(error_of("db.audit.events") == "table name \"db.audit.events\": expected table or schema.table");
  CHECK(error_of("\"a\".\"b\".\"c\"") == "table name \"\"a\".\"b\".\"c\"\": expected table or schema.table");
}

TEST_CASE("an empty part is refused") {
  CHECK(error_of("") == "table name \"\": empty name");
  CHECK(error_of("  ") == "table name \"  \": empty name");
  CHECK(error_of("audit.") == "table name \"audit.\": empty name");
  CHECK(error_of(".events") == "table name \".events\": empty name");
  CHECK(error_of("\"\"") == "table name \"\"\"\": empty name");
  CHECK(error_of("audit.\"\"") == "table name \"audit.\"\"\": empty name");
}

TEST_CASE("an unterminated quote is refused") {
  CHECK(error_of("\"users") == "table name \"\"users\": unterminated quote");
  CHECK(error_of("audit.\"events") == "table name \"audit.\"events\": unterminated quote");
  CHECK(error_of("\"a\"\"") == "table name \"\"a\"\"\": unterminated quote");
}

TEST_CASE("a quote in the middle of a part is refused") {
  CHECK(error_of("ab\"c\"") == "table name \"ab\"c\"\": a quote may only open a name part");
}

TEST_CASE("text after a closing quote is refused") {
  CHECK(error_of("\"a\"b") == "table name \"\"a\"b\": text after a closing quote");
  CHECK(error_of("\"a\" .b") == "table name \"\"a\" .b\": text after a closing quote");
}

}  // namespace
}  // namespace schemagate
