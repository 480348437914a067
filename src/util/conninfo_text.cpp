#include "util/conninfo_text.h"

#include <algorithm>
#include <cctype>

namespace schemagate {
namespace {

constexpr std::string_view kMask = "****";

bool is_password_key(std::string_view key) {
  return key == "password" || key == "sslpassword";
}

struct Span {
  size_t begin;
  size_t end;
};

// Password spans in a URL, found the way libpq finds them: the user info ends at the first '@'
// unless a '/' comes before it. URLs libpq would misread are refused by url_problem().
std::vector<Span> url_password_spans(std::string_view url) {
  std::vector<Span> spans;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return spans;
  size_t start = scheme_end + 3;
  size_t stop = url.find_first_of("@/", start);
  size_t colon = url.find(':', start);
  if (stop != std::string_view::npos && url[stop] == '@') {
    if (colon != std::string_view::npos && colon < stop && colon + 1 < stop) spans.push_back({colon + 1, stop});
  }
  // A password with an unescaped '@' or '/' reaches to the last '@': url_problem() refuses such a
  // URL, but its password must still never be printed.
  size_t last_at = url.substr(0, url.find('?', start)).rfind('@');
  if (last_at != std::string_view::npos && last_at > start && colon != std::string_view::npos && colon < last_at &&
      colon + 1 < last_at && (spans.empty() || spans.back().end != last_at))
    spans.push_back({colon + 1, last_at});
  // The query starts at the first '?' after the user info (a '/' or '@' inside it does not count).
  size_t after_userinfo = stop != std::string_view::npos && url[stop] == '@' ? stop + 1 : start;
  size_t query = url.find('?', after_userinfo);
  if (query == std::string_view::npos) return spans;
  size_t pos = query + 1;
  while (pos <= url.size()) {
    size_t amp = url.find('&', pos);
    if (amp == std::string_view::npos) amp = url.size();
    std::string_view pair = url.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && is_password_key(percent_decode(pair.substr(0, eq))) &&
        eq + 1 < pair.size())
      spans.push_back({pos + eq + 1, amp});
    pos = amp + 1;
  }
  return spans;
}

// Password value spans in key=value conninfo; a value is a bare word or a single-quoted string
// with backslash escapes (libpq's conninfo rules).
std::vector<Span> keyword_password_spans(std::string_view s) {
  std::vector<Span> spans;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  while (i < s.size()) {
    skip_space();
    size_t key_begin = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view key = s.substr(key_begin, i - key_begin);
    skip_space();
    if (i >= s.size() || s[i] != '=') {
      if (key.empty()) ++i;
      continue;
    }
    ++i;
    skip_space();
    size_t value_begin = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      if (i < s.size()) ++i;
    } else {
      // libpq lets a backslash escape a blank in a bare value: `password=ab\ cd` is "ab cd".
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])))
        i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
    }
    if (is_password_key(key) && i > value_begin) spans.push_back({value_begin, i});
  }
  return spans;
}

std::vector<Span> password_spans(std::string_view conninfo) {
  return is_url(conninfo) ? url_password_spans(conninfo) : keyword_password_spans(conninfo);
}

// A conninfo value as libpq reads it: quotes removed, backslash escapes resolved.
std::string unquote(std::string_view v) {
  bool quoted = v.size() >= 2 && v.front() == '\'';
  if (quoted) v = v.substr(1, v.size() - 2);
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\') {
      if (i + 1 == v.size()) break;  // a lone trailing backslash escapes nothing: libpq drops it
      ++i;
    }
    out += v[i];
  }
  return out;
}

}  // namespace

std::string url_problem(std::string_view url) {
  if (!is_url(url)) return {};
  size_t start = url.find("://") + 3;
  size_t slash = url.find('/', start);
  std::string_view authority = url.substr(start, slash == std::string_view::npos ? slash : slash - start);
  // libpq would take the text after the first '@' as the host and echo it in errors.
  if (std::count(authority.begin(), authority.end(), '@') > 1)
    return "more than one '@' before the host: percent-encode '@' in the user or password as %40";
  if (slash != std::string_view::npos) {
    std::string_view path = url.substr(slash, url.find('?', slash) - slash);
    // libpq would take the text before the '/' as the host and the password's tail as the database.
    if (path.find('@') != std::string_view::npos)
      return "'@' after a '/': percent-encode '/' in the user or password as %2F";
  }
  return {};
}

bool is_url(std::string_view conninfo) {
  return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string> passwords_in(std::string_view conninfo) {
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  bool url = is_url(conninfo);
  for (Span span : password_spans(conninfo)) {
    std::string_view raw = conninfo.substr(span.begin, span.end - span.begin);
    add(std::string(raw));
    add(url ? percent_decode(raw) : unquote(raw));
  }
  return out;
}

std::string mask_passwords(std::string_view conninfo) {
  auto spans = password_spans(conninfo);
  std::sort(spans.begin(), spans.end(), [](Span a, Span b) { return a.begin < b.begin; });
  std::string out;
  size_t copied = 0;
  for (Span span : spans) {
    if (span.begin < copied) {  // overlaps the span just masked: widen it, one mask for both
      copied = std::max(copied, span.end);
      continue;
    }
    out.append(conninfo.substr(copied, span.begin - copied));
    out += kMask;
    copied = span.end;
  }
  out.append(conninfo.substr(copied));
  return out;
}

}  // namespace schemagate
