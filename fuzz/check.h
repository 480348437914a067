#pragma once
// What the libFuzzer targets share: an invariant check that stops the run where libFuzzer sees it,
// and the splitting of one input into the parts a target feeds to the code under test.
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace schemagate::fuzz {

// SCHEMAGATE_FUZZ_TOLERATE="text,text": invariants whose description contains one of these texts
// are counted instead of stopping the run, so that a long run gets past a finding not fixed yet
// and still stops at anything else. The counts are printed when the run ends.
inline bool is_tolerated(const char* invariant) {
  static const std::vector<std::string> tolerated = [] {
    std::vector<std::string> out;
    const char* list = std::getenv("SCHEMAGATE_FUZZ_TOLERATE");
    std::string_view rest = list ? list : "";
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (comma != 0) out.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return out;
  }();
  static std::map<std::string, size_t>* counts = [] {
    auto* c = new std::map<std::string, size_t>();
    std::atexit([] {
      for (const auto& [what, n] : *counts) std::fprintf(stderr, "TOLERATED %zu x: %s\n", n, what.c_str());
    });
    return c;
  }();
  for (const std::string& t : tolerated) {
    if (std::string_view(invariant).find(t) == std::string_view::npos) continue;
    ++(*counts)[invariant];
    return true;
  }
  return false;
}

// A violated invariant is a finding: say which one, then trap so libFuzzer saves the input as a
// crash (an exception or an assert would be caught or compiled out).
inline void require(bool holds, const char* invariant, std::string_view detail = {}) {
  if (holds || is_tolerated(invariant)) return;
  std::fprintf(stderr, "\nINVARIANT VIOLATED: %s\n", invariant);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  __builtin_trap();
}

// The pieces of text between separators; n separators give n + 1 pieces.
inline std::vector<std::string_view> split_on(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  size_t begin = 0;
  for (;;) {
    size_t end = text.find(separator, begin);
    out.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return out;
    begin = end + 1;
  }
}

// Every error reaches the user as one log line (STYLE §2): it must say something, on one line,
// with an exit code the caller expects.
inline void require_one_line_error(const Error& error, std::initializer_list<ErrorKind> kinds) {
  bool kind_ok = false;
  for (ErrorKind k : kinds) kind_ok = kind_ok || error.kind == k;
  require(kind_ok, "error of an unexpected kind", error.message);
  require(!error.message.empty(), "error without a message");
  require(error.message.find_first_of("\r\n") == std::string::npos, "error message spans several lines",
          error.message);
}

}  // namespace schemagate::fuzz
