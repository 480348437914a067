#include "config/toml.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <toml++/toml.h>

#include "util/json.h"

namespace schemagate::config {
namespace {

std::string where(const std::string& path, const toml::source_region& at) {
  return path + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
}

// The shortest text that reads back as d ("0.5", not "0.500000"). snprintf rather than
// std::to_chars: the latter's tables alone would put the static binary over its size budget.
std::string shortest(double d) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// The code point of the UTF-8 character at `at`, or nothing when the bytes there are not one.
std::optional<char32_t> code_point_at(std::string_view text, size_t at) {
  auto lead = static_cast<unsigned char>(text[at]);
  size_t length = lead >= 0xF8 ? 0 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || at + length > text.size()) return std::nullopt;
  char32_t c = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xC0) != 0x80) return std::nullopt;
    c = (c << 6) | (next & 0x3F);
  }
  constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // anything less is overlong
  if (c < kSmallest[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
  return c;
}

std::string hex(char32_t c, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, static_cast<unsigned>(c));
  return buf;
}

// "line:col" of the byte at `at`, counted as toml++ counts for its errors: columns in characters,
// from `start`, which is past a byte order mark.
std::string position_of(std::string_view text, size_t at, size_t start) {
  size_t line = 1, column = 1;
  for (size_t i = start; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {  // not a continuation byte
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

struct Misplaced {
  size_t at;             // the character's first byte
  bool after_backslash;  // in a """string"""; else outside strings and comments
};

// The first non-ASCII character where toml++ 3.3.0 would ask whether it is whitespace: outside
// strings and comments, and in a """multi-line""" string right after a backslash or after the
// blanks that follow a line-ending backslash. Strings as TOML 1.0 has them: a backslash escapes
// the next character in "..." and """...""", and a multi-line string ends at the last of up to
// five quotes in a row. An unterminated string ends the search: toml++ reports it.
std::optional<Misplaced> find_misplaced_non_ascii(std::string_view text, size_t start) {
  enum class In { Toml, Comment, Basic, Literal, MultiBasic, MultiLiteral };
  In in = In::Toml;
  size_t i = start;
  while (i < text.size()) {
    const char c = text[i];
    switch (in) {
      case In::Toml:
        if (!is_ascii(c)) return Misplaced{i, false};
        if (c == '#') {
          in = In::Comment;
        } else if (c == '"' || c == '\'') {
          bool multi = text.substr(i, 3) == std::string(3, c);
          in = c == '"' ? (multi ? In::MultiBasic : In::Basic) : (multi ? In::MultiLiteral : In::Literal);
          if (multi) i += 2;
        }
        ++i;
        break;
      case In::Comment:
        if (c == '\n') in = In::Toml;
        ++i;
        break;
      case In::Basic:
      case In::Literal:
        if (c == '\n') return std::nullopt;
        if (c == '\\' && in == In::Basic) {
          ++i;  // the escaped character, a quote perhaps
        } else if (c == (in == In::Basic ? '"' : '\'')) {
          in = In::Toml;
        }
        ++i;
        break;
      case In::MultiBasic:
      case In::MultiLiteral: {
        const char quote = in == In::MultiBasic ? '"' : '\'';
        if (c == quote) {
          size_t run = std::min(text.find_first_not_of(quote, i), text.size()) - i;
          if (run >= 3) in = In::Toml;
          i += std::min<size_t>(run, 5);
        } else if (c == '\\' && in == In::MultiBasic) {
          constexpr std::string_view kBlanks = " \t\r\n";
          size_t next = i + 1;
          if (next < text.size() && kBlanks.find(text[next]) != std::string_view::npos)
            next = std::min(text.find_first_not_of(kBlanks, next), text.size());  // a line-ending backslash
          if (next < text.size() && !is_ascii(text[next])) return Misplaced{next, true};
          i = next == i + 1 ? next + 1 : next;  // past an escaped character; to what follows blanks
        } else {
          ++i;
        }
        break;
      }
    }
  }
  return std::nullopt;
}

// "line:col: ..." for a non-ASCII character toml++ must not see, or nothing.
std::optional<std::string> misplaced_non_ascii(std::string_view text) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // toml++ skips it
  const size_t start = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
  auto found = find_misplaced_non_ascii(text, start);
  if (!found) return std::nullopt;
  auto c = code_point_at(text, found->at);
  if (!c) return std::nullopt;  // not UTF-8: toml++ stops there and says so
  std::string prefix = position_of(text, found->at, start) + ": U+" + hex(*c, 4);
  if (!found->after_backslash)
    return prefix +
           " outside a string or comment: TOML allows non-ASCII characters only in strings and comments";
  return prefix + " after a backslash in a multi-line string: write it as " +
         (*c > 0xFFFF ? "\\U" + hex(*c, 8) : "\\u" + hex(*c, 4));
}

void flatten(const toml::table& table, const std::string& prefix, const std::string& path,
             std::vector<TomlEntry>& out) {
  for (auto&& [key, node] : table) {
    TomlEntry e;
    e.key = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    e.where = where(path, key.source());
    if (const toml::table* sub = node.as_table()) {
      e.is_table = true;
      out.push_back(e);
      flatten(*sub, e.key, path, out);
      continue;
    }
    if (auto s = node.value_exact<std::string>()) {
      e.text = *s;
    } else if (auto b = node.value_exact<bool>()) {
      e.text = *b ? "true" : "false";
    } else if (auto i = node.value_exact<int64_t>()) {
      e.text = std::to_string(*i);
    } else if (auto d = node.value_exact<double>()) {
      e.text = shortest(*d);
    } else if (const toml::array* arr = node.as_array()) {
      e.is_list = true;
      for (const toml::node& item : *arr) {
        if (auto s = item.value_exact<std::string>()) {
          e.list.push_back(*s);
        } else {
          e.type_error = "expected an array of strings";
          break;
        }
      }
    } else {
      e.type_error = "dates and times are not settings";
    }
    out.push_back(std::move(e));
  }
}

}  // namespace

Result<std::vector<TomlEntry>> parse_toml(const std::string& text, const std::string& path) {
  // toml++ 3.3.0's undefined behaviour on some non-ASCII characters (misplaced_non_ascii).
  if (auto misplaced = misplaced_non_ascii(text))
    return Error{ErrorKind::Config, path + ":" + *misplaced, 0, {}};
  try {
    toml::table table = toml::parse(text, path);
    std::vector<TomlEntry> out;
    flatten(table, "", path, out);
    return out;
  } catch (const toml::parse_error& e) {
    // toml++ quotes the offending input, newlines included: keep the message on one line.
    return Error{ErrorKind::Config, where(path, e.source()) + ": " + escape_controls(e.description()), 0, {}};
  }
}

}  // namespace schemagate::config
