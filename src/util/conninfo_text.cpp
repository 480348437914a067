#include "util/conninfo_text.h"

#include <algorithm>
#include <cctype>

namespace schemagate {
namespace {

constexpr std::string_view kMask = "****";
constexpr size_t npos = std::string_view::npos;

bool is_password_key(std::string_view key) {
  return key == "password" || key == "sslpassword";
}

struct Span {
  size_t begin;
  size_t end;
};

// Where the parts of a URL start, as libpq reads them (conninfo_uri_parse_options).
struct UrlShape {
  size_t start = npos;         // after "://"
  size_t colon = npos;         // the first ':' after it: where a password would start
  size_t userinfo_end = npos;  // the '@' libpq ends the user info at; npos when it sees none
  size_t last_at = npos;       // the last '@' of the whole URL
  size_t path = npos;          // the first '/' after the scheme
  size_t query = npos;         // the first '?' after that
};

UrlShape shape_of(std::string_view url) {
  UrlShape s;
  size_t scheme_end = url.find("://");
  if (scheme_end == npos) return s;
  s.start = scheme_end + 3;
  s.colon = url.find(':', s.start);
  // libpq looks for the user info's '@' only up to the first '/'.
  size_t stop = url.find_first_of("@/", s.start);
  if (stop != npos && url[stop] == '@') s.userinfo_end = stop;
  size_t last_at = url.rfind('@');
  if (last_at != npos && last_at >= s.start) s.last_at = last_at;
  s.path = url.find('/', s.start);
  if (s.path != npos) s.query = url.find('?', s.path);
  return s;
}

enum class Doubt { none, at_in_authority, at_in_path, at_in_query };

// Whether the user info libpq reads could be shorter than the one written, because an '@' it does
// not end the user info at follows: a password with an unescaped '@', '/' or '?' runs up to it.
Doubt doubt_of(std::string_view url, const UrlShape& s) {
  if (s.start == npos || s.last_at == npos || s.last_at == s.userinfo_end) return Doubt::none;
  std::string_view authority = url.substr(s.start, s.path == npos ? npos : s.path - s.start);
  if (std::count(authority.begin(), authority.end(), '@') > 1) return Doubt::at_in_authority;
  if (s.path != npos && url.substr(s.path, s.query == npos ? npos : s.query - s.path).find('@') != npos)
    return Doubt::at_in_path;
  // Only an '@' in the query is left. Without a ':' before it nothing can be a password.
  if (s.colon == npos || s.colon > s.last_at) return Doubt::none;
  return Doubt::at_in_query;
}

// Password spans in a URL, found the way libpq finds them: the user info ends at the first '@'
// unless a '/' comes before it. URLs libpq would misread are refused by url_problem(), but their
// password, up to the last '@' it may run to, must still never be printed.
std::vector<Span> url_password_spans(std::string_view url) {
  std::vector<Span> spans;
  const UrlShape s = shape_of(url);
  if (s.start == npos) return spans;
  if (s.userinfo_end != npos && s.colon < s.userinfo_end && s.colon + 1 < s.userinfo_end)
    spans.push_back({s.colon + 1, s.userinfo_end});
  // An '@' in the query does not make a password of the host when libpq has found the user info.
  const Doubt doubt = doubt_of(url, s);
  bool to_last_at = doubt == Doubt::at_in_authority || doubt == Doubt::at_in_path ||
                    (doubt == Doubt::at_in_query && s.userinfo_end == npos);
  if (to_last_at && s.colon < s.last_at && s.colon + 1 < s.last_at) spans.push_back({s.colon + 1, s.last_at});
  // The query starts at the first '?' after the user info (a '/' or '@' inside it does not count).
  size_t query = url.find('?', s.userinfo_end != npos ? s.userinfo_end + 1 : s.start);
  if (query == npos) return spans;
  size_t pos = query + 1;
  while (pos <= url.size()) {
    size_t amp = url.find('&', pos);
    if (amp == npos) amp = url.size();
    std::string_view pair = url.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (eq != npos && is_password_key(percent_decode(pair.substr(0, eq))) && eq + 1 < pair.size())
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
  switch (doubt_of(url, shape_of(url))) {
    case Doubt::none:
      return {};
    // libpq would take the text after the first '@' as the host and echo it in errors.
    case Doubt::at_in_authority:
      return "more than one '@' before the host: percent-encode '@' in the user or password as %40";
    // libpq would take the text before the '/' as the host and the password's tail as the database.
    case Doubt::at_in_path:
      return "'@' after a '/': percent-encode '/' in the user or password as %2F";
    // libpq would take the text before the '/' as host and port, or the password as ending at the
    // first '@', and the rest as query parameters, and echo them in errors.
    case Doubt::at_in_query:
      return "'@' after a '?': percent-encode '?' and '/' in the user or password as %3F and %2F, and '@' in "
             "the query as %40";
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
  // With an '@' in the query, not even the user can be told from the host: all of it goes.
  if (is_url(conninfo)) {
    const UrlShape s = shape_of(conninfo);
    if (doubt_of(conninfo, s) == Doubt::at_in_query) spans.push_back({s.start, s.last_at});
  }
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
