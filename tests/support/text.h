// Text helpers shared by the tests and their support code: lines of captured output, substrings,
// numbers as the tests print them, percent-encoding, and the tail of a long text for an error
// message.
//
// Header-only and includes nothing from the project, so unit tests can use it too.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace schemagate::testing {

// A '\r' ends a line as '\n' does (so "a\r\n" is "a" and ""): a terminal shows a carriage return in
// a message as a broken line, and a check that a message is one line must see it.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = std::min(text.find_first_of("\r\n", begin), text.size());
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// The lines of `text` that contain `needle`.
inline std::vector<std::string> lines_with(const std::string& text, std::string_view needle) {
  std::vector<std::string> out;
  for (auto& line : lines_of(text))
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

inline bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

// Whether every needle occurs in text, each after the one before it.
inline bool in_order(const std::string& text, const std::vector<std::string>& needles) {
  size_t at = 0;
  for (const auto& needle : needles) {
    at = text.find(needle, at);
    if (at == std::string::npos) return false;
    at += needle.size();
  }
  return true;
}

// `value` with `decimals` digits after the point, for timings in a test's messages: "1.25".
inline std::string fixed(double value, int decimals = 2) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// "007": how the tests name versions, as the tracking table stores them.
inline std::string three_digits(int n) {
  char text[16];
  std::snprintf(text, sizeof text, "%03d", n);
  return text;
}

// RFC 3986: everything but the unreserved characters, so '@', ':', '/' and '%' in a password
// reach libpq intact. PgCluster::url encodes this way.
inline std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    bool is_unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (is_unreserved) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0xF];
    }
  }
  return encoded;
}

// The last `max` characters of `text`, marked with "..." when cut: enough of a log for a message.
inline std::string tail(const std::string& text, std::size_t max = 4000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

}  // namespace schemagate::testing
