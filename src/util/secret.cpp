#include "util/secret.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>

namespace schemagate {
namespace {

constexpr std::string_view kMask = "****";
constexpr size_t npos = std::string_view::npos;

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One character of a secret: its bytes (a UTF-8 sequence, or one byte that is not part of one)
// and, when it is a character, its code point (which JSON's \u escapes spell).
struct Unit {
  std::string_view bytes;
  uint32_t code_point = 0;
  bool is_character = false;
};

std::vector<Unit> units_of(std::string_view secret) {
  std::vector<Unit> units;
  for (size_t i = 0; i < secret.size();) {
    auto lead = static_cast<unsigned char>(secret[i]);
    size_t length = lead < 0x80           ? 1
                    : (lead >> 5) == 0x6  ? 2
                    : (lead >> 4) == 0xE  ? 3
                    : (lead >> 3) == 0x1E ? 4
                                          : 0;
    uint32_t cp = length == 1 ? lead : length == 2 ? lead & 0x1F : length == 3 ? lead & 0x0F : lead & 0x07;
    bool valid = length != 0 && i + length <= secret.size();
    for (size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(secret[i + k]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (!valid) length = 1;
    units.push_back({secret.substr(i, length), cp, valid});
    i += length;
  }
  return units;
}

// The 16-bit value of a JSON "\uXXXX" escape at `at` (either case of hex digits), or -1.
long json_escape_at(std::string_view text, size_t at) {
  if (at + 6 > text.size() || text[at] != '\\' || text[at + 1] != 'u') return -1;
  long value = 0;
  for (size_t i = at + 2; i < at + 6; ++i) {
    int digit = hex_value(text[i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// JSON's two-character escapes (RFC 8259 §7), '\/' among them: the letter after the backslash.
char short_escape_for(uint32_t c) {
  static constexpr std::string_view kCharacters = "\"\\/\b\f\n\r\t", kLetters = "\"\\/bfnrt";
  size_t at = c < 0x80 ? kCharacters.find(static_cast<char>(c)) : npos;
  return at == npos ? 0 : kLetters[at];
}

// Adds to `lengths` how long each spelling of `u` that `text` has at `at` is.
void spellings_at(std::string_view text, size_t at, const Unit& u, std::vector<size_t>& lengths) {
  auto percent = [&](size_t i, unsigned char byte) {
    return i + 3 <= text.size() && text[i] == '%' && hex_value(text[i + 1]) >= 0 &&
           hex_value(text[i + 2]) >= 0 && hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]) == byte;
  };
  if (u.bytes.size() == 1) {
    // '%' itself is both written and the start of an encoding: each is a spelling of its own.
    if (at < text.size() && text[at] == u.bytes[0]) lengths.push_back(1);
    if (percent(at, static_cast<unsigned char>(u.bytes[0]))) lengths.push_back(3);
    // application/x-www-form-urlencoded writes a blank as '+'.
    if (u.bytes[0] == ' ' && at < text.size() && text[at] == '+') lengths.push_back(1);
  } else {
    // A UTF-8 sequence, as written or percent-encoded byte by byte.
    size_t end = at;
    for (char c : u.bytes) {
      if (end < text.size() && text[end] == c) {
        end += 1;
      } else if (percent(end, static_cast<unsigned char>(c))) {
        end += 3;
      } else {
        end = npos;
        break;
      }
    }
    if (end != npos) lengths.push_back(end - at);
  }
  if (!u.is_character) return;
  if (char e = short_escape_for(u.code_point);
      e && at + 2 <= text.size() && text[at] == '\\' && text[at + 1] == e)
    lengths.push_back(2);
  if (u.code_point <= 0xFFFF && json_escape_at(text, at) == static_cast<long>(u.code_point))
    lengths.push_back(6);
  if (u.code_point > 0xFFFF) {
    uint32_t v = u.code_point - 0x10000;
    if (json_escape_at(text, at) == static_cast<long>(0xD800 + (v >> 10)) &&
        json_escape_at(text, at + 6) == static_cast<long>(0xDC00 + (v & 0x3FF)))
      lengths.push_back(12);
  }
}

// Where a spelling of the secret that starts at `at` ends (the longest, when several do), or npos.
// Each unit may be spelled its own way, so every spelling reached so far is carried along.
size_t spelled_at(std::string_view text, size_t at, const std::vector<Unit>& units) {
  const char first = text[at];
  if (first != units[0].bytes[0] && first != '%' && first != '\\' && first != '+') return npos;
  std::vector<size_t> ends = {at}, next, lengths;
  for (const Unit& u : units) {
    next.clear();
    for (size_t e : ends) {
      lengths.clear();
      spellings_at(text, e, u, lengths);
      for (size_t length : lengths)
        if (std::find(next.begin(), next.end(), e + length) == next.end()) next.push_back(e + length);
    }
    if (next.empty()) return npos;
    ends.swap(next);
  }
  return *std::max_element(ends.begin(), ends.end());
}

using Where = std::function<bool(std::string_view text, size_t begin, size_t end)>;

// Replaces each spelling of secret for which `where` holds.
void mask_spellings(std::string& text, std::string_view secret, const Where& where) {
  if (secret.empty()) return;
  const std::vector<Unit> units = units_of(secret);
  for (size_t at = 0; at < text.size();) {
    size_t end = spelled_at(text, at, units);
    if (end != npos && where(text, at, end)) {
      text.replace(at, end - at, kMask);
      at += kMask.size();
    } else {
      ++at;
    }
  }
}

bool is_whole_word(std::string_view text, size_t begin, size_t end) {
  return (begin == 0 || !is_word_char(text[begin - 1])) && (end == text.size() || !is_word_char(text[end]));
}

// See scrub_secrets: quoted, after '=' or ": ", between ':' and '@', or the whole text.
bool stands_as_value(std::string_view text, size_t begin, size_t end) {
  if (begin == 0 && end == text.size()) return true;
  if (begin == 0) return false;
  const char before = text[begin - 1];
  const char after = end < text.size() ? text[end] : '\0';
  if (before == '"') return after == '"' || (after == '\\' && end + 1 < text.size() && text[end + 1] == '"');
  if (before == '\'') return after == '\'';
  if (before == ':') return after == '@';
  bool ends_value =
      end == text.size() || after == ' ' || after == '\t' || after == '&' || after == ',' || after == ';';
  return ends_value && (before == '=' || (before == ' ' && begin >= 2 && text[begin - 2] == ':'));
}

}  // namespace

void mask_secret(std::string& text, std::string_view secret) {
  if (secret.size() >= 4)
    return mask_spellings(text, secret, [](std::string_view, size_t, size_t) { return true; });
  mask_spellings(text, secret, is_whole_word);
}

std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets) {
  std::vector<const std::string*> longest_first;
  for (const std::string& s : secrets) longest_first.push_back(&s);
  std::stable_sort(longest_first.begin(), longest_first.end(),
                   [](const std::string* a, const std::string* b) { return a->size() > b->size(); });
  for (const std::string* secret : longest_first) {
    if (secret->size() >= 4)
      mask_secret(text, *secret);
    else
      mask_spellings(text, *secret, stands_as_value);
  }
  return text;
}

}  // namespace schemagate
