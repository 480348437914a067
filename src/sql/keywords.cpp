#include "sql/keywords.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace schemagate::sql {
namespace {

// The statement's words, upper-cased, comments and blanks skipped: enough to recognise a command.
std::vector<std::string> leading_words(std::string_view stmt, size_t count) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < stmt.size() && words.size() < count) {
    char c = stmt[i];
    if (c == '-' && i + 1 < stmt.size() && stmt[i + 1] == '-') {
      while (i < stmt.size() && stmt[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < stmt.size() && stmt[i + 1] == '*') {
      size_t end = stmt.find("*/", i + 2);
      i = end == std::string_view::npos ? stmt.size() : end + 2;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string w;
      while (i < stmt.size() && (std::isalnum(static_cast<unsigned char>(stmt[i])) || stmt[i] == '_'))
        w += static_cast<char>(std::toupper(static_cast<unsigned char>(stmt[i++])));
      words.push_back(std::move(w));
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '.') {
      ++i;  // schema.table
    } else if (c == '(' && words.size() == 1) {
      // REINDEX (VERBOSE) INDEX CONCURRENTLY: an option list right after the command word.
      size_t close = stmt.find(')', i);
      i = close == std::string_view::npos ? stmt.size() : close + 1;
    } else {
      break;  // a quote, a parenthesis: past the command's keywords
    }
  }
  return words;
}

}  // namespace

Kind guess_kind(std::string_view statement) {
  auto w = leading_words(statement, 12);
  if (w.empty()) return Kind::plain;
  auto has = [&](std::string_view word) { return std::find(w.begin(), w.end(), word) != w.end(); };
  auto second = [&](std::string_view word) { return w.size() > 1 && w[1] == word; };
  const std::string& first = w[0];
  if (first == "BEGIN" || (first == "START" && second("TRANSACTION"))) return Kind::begin;
  if ((first == "COMMIT" || first == "ROLLBACK") && second("PREPARED")) return Kind::no_transaction;
  if (first == "COMMIT" || first == "END") return Kind::commit;
  if (first == "PREPARE" && second("TRANSACTION")) return Kind::prepare;
  if (first == "ROLLBACK" && second("TO")) return Kind::savepoint;  // stays inside the transaction
  if (first == "ROLLBACK" || first == "ABORT") return Kind::rollback;
  if (first == "SAVEPOINT" || first == "RELEASE") return Kind::savepoint;
  if (first == "DO" || first == "CALL") return Kind::routine;
  if (first == "SET" || first == "RESET") return Kind::setting;
  if (first == "VACUUM" || (first == "CLUSTER" && w.size() == 1) || (first == "ALTER" && second("SYSTEM")))
    return Kind::no_transaction;
  if ((first == "CREATE" || first == "DROP") && (second("DATABASE") || second("TABLESPACE") || second("SUBSCRIPTION")))
    return Kind::no_transaction;
  if ((first == "CREATE" || first == "DROP" || first == "REINDEX") && has("CONCURRENTLY")) return Kind::no_transaction;
  if (first == "REINDEX" && (second("DATABASE") || second("SYSTEM") || second("SCHEMA"))) return Kind::no_transaction;
  if (first == "ALTER" && has("DETACH") && has("CONCURRENTLY")) return Kind::no_transaction;
  if (first == "ALTER" && second("DATABASE") && has("TABLESPACE")) return Kind::no_transaction;
  if (first == "DISCARD" && second("ALL")) return Kind::no_transaction;
  if (first == "COPY" && has("STDIN")) return Kind::copy_in;
  if (first == "COPY" && has("STDOUT")) return Kind::copy_out;
  return Kind::plain;
}

}  // namespace schemagate::sql
