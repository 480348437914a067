#pragma once
// A script cut into pieces the way psql reads a file: SQL statements at top-level semicolons, the
// inline data after COPY ... FROM STDIN, and backslash lines. Written by hand, in one pass that
// keeps nothing but views into the text: it finds where COPY data and psql's own lines interrupt
// the SQL (PostgreSQL's parser knows neither), and it splits scripts too large to give the parser
// whole (statements.h).
#include <string_view>
#include <vector>

namespace schemagate::sql {

struct Piece {
  enum class Kind {
    statement,     // SQL up to (not including) its semicolon, from just after the previous one
    copy_data,     // the lines after COPY ... FROM STDIN; up to (not including) the `\.` line
    meta_command,  // a psql backslash line where a statement would begin (`\set`, `\restrict`)
  };
  Kind kind = Kind::statement;
  std::string_view text;
  size_t offset = 0;        // of text in the script
  bool copy_in = false;     // statement: COPY ... FROM STDIN, so a copy_data piece follows it
  bool ended = true;        // copy_data: a `\.` line ended it (psql would also stop at the end of the file)
  bool text_after = false;  // statement COPY ... FROM STDIN with more than blanks or a comment after its `;`
                            // on the same line (psql would run that after the data)
};

// Splits at top-level semicolons the way the server's lexer sees them: semicolons in '' strings,
// E'' strings (backslash escapes), $tag$ dollar quotes, "quoted identifiers", -- comments, nested
// /* */ comments, parentheses (CREATE RULE ... DO (a; b)) and BEGIN ATOMIC ... END bodies do not
// split. A last statement without a semicolon counts; pieces holding only blanks and comments are
// dropped.
std::vector<Piece> pieces(std::string_view script);

// The statement pieces of pieces(sql) alone: how a script splits when it holds no COPY data.
std::vector<Piece> split(std::string_view sql);

// False when the text ends inside a quote, a dollar quote or a block comment: appending anything
// to it would change its meaning.
bool is_complete(std::string_view sql);

// The text from its first token on: leading blanks and comments skipped.
std::string_view without_leading_comments(std::string_view sql);
// True when the text is only blanks and comments.
bool is_blank(std::string_view sql);

}  // namespace schemagate::sql
