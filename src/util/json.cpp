#include "util/json.h"

namespace schemagate {
namespace {

constexpr const char* kHex = "0123456789abcdef";       // control characters: \u001b
constexpr const char* kUpperHex = "0123456789ABCDEF";  // bytes outside UTF-8: \xE9

// The length of the valid UTF-8 character at text[at], or 0 when the bytes there are not one.
size_t utf8_length_at(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char c = byte(at);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || at + len > text.size()) return 0;
  unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(at + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(at + k) & 0x3F);
  }
  bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

size_t first_invalid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8_length_at(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // JSON has no escape for a byte: one outside UTF-8 is spelt out, as error messages spell it.
      size_t len = utf8_length_at(text, i);
      if (len == 0) {
        out += "\\\\x";
        out += kUpperHex[c >> 4];
        out += kUpperHex[c & 15];
        len = 1;
      } else {
        out.append(text.substr(i, len));
      }
      i += len;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {  // DEL too: invisible in a message
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

std::string escape_controls(std::string_view text) {
  std::string quoted = json_string(text);
  // Undo only the quote and backslash escapes: what remains escaped are the control characters.
  // A byte that is not UTF-8 came out as \\xE9, and so ends up as \xE9.
  std::string out;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\' && (quoted[i + 1] == '"' || quoted[i + 1] == '\\')) ++i;
    out += quoted[i];
  }
  return out;
}

}  // namespace schemagate
