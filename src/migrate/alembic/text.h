#pragma once
// The few text helpers the Alembic readers share: ini and Python lines, and the error messages
// that name a file and line.
#include <string>
#include <string_view>
#include <vector>

namespace schemagate::migrate::alembic {

// "path:line", how every error about a place in a file begins.
inline std::string at_line(std::string_view path, int line) {
  return std::string(path) + ":" + std::to_string(line);
}

// 'id', how messages quote a revision id, a label or a target.
inline std::string single_quoted(std::string_view id) { return "'" + std::string(id) + "'"; }

inline std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Blanks other than a newline: both readers go line by line and treat '\n' apart.
inline bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

inline std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (is_blank_char(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_blank_char(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// ASCII letters only, whatever the locale.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace schemagate::migrate::alembic
