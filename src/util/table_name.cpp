#include "util/table_name.h"

#include <cctype>

#include "util/json.h"
#include <vector>

namespace schemagate {
namespace {

struct Part {
  std::string text;
  bool quoted = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error bad(std::string_view text, std::string_view why) {
  return config_error("table name \"" + escape_controls(text) + "\": " + std::string(why));
}

std::string folded(const std::string& part, bool quoted) {
  if (quoted) return part;
  std::string out;
  for (char c : part) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string TableName::schema_as_stored() const { return folded(schema, schema_quoted); }
std::string TableName::name_as_stored() const { return folded(name, name_quoted); }

Result<TableName> parse_table_name(std::string_view text) {
  std::string_view s = trim(text);
  std::vector<Part> parts(1);
  bool in_quotes = false;
  bool part_started = false;  // a quoted part may not be followed by more text before the dot
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_quotes) {
      if (c != '"') {
        parts.back().text += c;
      } else if (i + 1 < s.size() && s[i + 1] == '"') {
        parts.back().text += '"';
        ++i;
      } else {
        in_quotes = false;
      }
    } else if (c == '"') {
      if (part_started) return bad(text, "a quote may only open a name part");
      in_quotes = part_started = parts.back().quoted = true;
    } else if (c == '.') {
      parts.emplace_back();
      part_started = false;
    } else {
      if (parts.back().quoted) return bad(text, "text after a closing quote");
      parts.back().text += c;
      part_started = true;
    }
  }
  if (in_quotes) return bad(text, "unterminated quote");
  if (parts.size() > 2) return bad(text, "expected table or schema.table");
  for (const Part& p : parts)
    if (p.text.empty()) return bad(text, "empty name");
  TableName out;
  out.as_written = std::string(s);
  out.name = parts.back().text;
  out.name_quoted = parts.back().quoted;
  if (parts.size() == 2) {
    out.schema = parts.front().text;
    out.schema_quoted = parts.front().quoted;
  }
  return out;
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace schemagate
