#pragma once
// PostgreSQL 15's parser (libpg_query) behind three calls; parser.cpp is the only file that
// includes pg_query.h. Offsets are bytes into the text given.
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "sql/statements.h"

namespace schemagate::sql::parser {

struct Parsed {
  size_t begin = 0;  // just after the previous statement's semicolon (0 for the first)
  size_t end = 0;    // where its semicolon is, or the end of the text
  Kind kind = Kind::plain;
};

// The statements of text as PostgreSQL's grammar reads them; nullopt when it does not read all of it.
std::optional<std::vector<Parsed>> parse(std::string_view text);
// Where statements begin and end by PostgreSQL's scanner alone, which knows quotes and comments
// but no grammar; nullopt when it fails (text ending inside a quote).
std::optional<std::vector<std::pair<size_t, size_t>>> scan(std::string_view text);
// The kind of one statement; nullopt when the grammar does not read it.
std::optional<Kind> kind_of(std::string_view statement);

}  // namespace schemagate::sql::parser
