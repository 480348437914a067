#pragma once
#include <string_view>
#include <vector>

namespace schemagate::migrate {

// One statement of a script, as written (no trailing semicolon), with its byte offset in the
// script so a server error position can be mapped back to file:line:col.
struct Statement {
  std::string_view text;
  size_t offset = 0;
};

// Splits SQL at top-level semicolons the way the server's lexer would see them: semicolons in
// '' strings, E'' strings (backslash escapes), $tag$ dollar quotes, "quoted identifiers",
// -- comments, nested /* */ comments and BEGIN ATOMIC ... END bodies do not split. A last
// statement without a semicolon counts; pieces holding only blanks and comments are dropped.
std::vector<Statement> split(std::string_view sql);

// False when the text ends inside a quote, a dollar quote or a block comment: appending anything
// to it would change its meaning.
bool is_complete(std::string_view sql);

// The text from its first token on: leading blanks and comments skipped.
std::string_view without_leading_comments(std::string_view sql);
// True when the text is only blanks and comments.
bool is_blank(std::string_view sql);
// BEGIN, COMMIT and their kind, DO and CALL: statements whose failure may leave work done or
// undone beyond themselves.
bool controls_transactions(std::string_view statement);

}  // namespace schemagate::migrate
