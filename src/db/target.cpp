#include "db/target.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include "util/conninfo_text.h"
#include "util/secret.h"

namespace schemagate::db {
namespace {

struct OptionsFree {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};
using Options = std::unique_ptr<PQconninfoOption, OptionsFree>;

std::string value_of(const PQconninfoOption* options, std::string_view key) {
  for (auto* o = options; o && o->keyword; ++o)
    if (key == o->keyword && o->val && *o->val) return o->val;
  return {};
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n' || c == '\t') c = ' ';
  return text;
}

// A port, or one per host; an empty one is the default port, as libpq reads `h1,h2` in a URL.
bool is_port_list(std::string_view ports) {
  size_t start = 0;
  for (;;) {
    size_t comma = ports.find(',', start);
    std::string_view one = ports.substr(start, comma == std::string_view::npos ? comma : comma - start);
    bool is_default = one.empty() && ports.find(',') != std::string_view::npos;
    if (!is_default && (one.empty() || one.size() > 5 || one.find_first_not_of("0123456789") != std::string_view::npos ||
                        std::stoi(std::string(one)) > 65535 || std::stoi(std::string(one)) == 0))
      return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(text.substr(start, comma - start));
  out.push_back(text.substr(start));
  return out;
}

// The value libpq will use for an option and its name in a message: the string's, else its PG*
// variable's (named: "sslmode (from PGSSLMODE)"). An empty value in the string counts only where
// libpq refuses it (`sslmode=`); an empty one elsewhere, or an empty variable, is no value.
struct OptionValue {
  bool present = false;
  std::string value, name;
};

OptionValue option_value(const PQconninfoOption* given, const PQconninfoOption* defaults,
                         std::string_view key, bool empty_counts = false) {
  for (auto* o = given; o && o->keyword; ++o)
    if (key == o->keyword && o->val && (*o->val || empty_counts)) return {true, o->val, std::string(key)};
  for (auto* o = defaults; o && o->keyword; ++o) {
    if (key != o->keyword || !o->envvar) continue;
    const char* e = std::getenv(o->envvar);
    if (e && *e) return {true, e, std::string(key) + " (from " + o->envvar + ")"};
  }
  return {};
}

// libpq's parse_int_value: what strtol reads (blanks before, a sign), then only blanks, in an int.
bool is_libpq_integer(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(begin, &end, 10);
  if (end == begin || errno != 0 || n != static_cast<int>(n)) return false;
  while (*end && std::isspace(static_cast<unsigned char>(*end))) ++end;
  return *end == '\0';
}

// Options libpq checks only when it connects: the enumerated ones before each attempt, the integer
// ones when it sets up a TCP socket. A wait would retry a bad one until it ran out of attempts.
// Their values as the libpq 15 manual lists them ("Parameter Key Words",
// https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-PARAMKEYWORDS); target_test.cpp
// checks that the linked libpq agrees, value by value.
struct Checked {
  std::string_view key;
  std::vector<std::string_view> values;  // none: an integer
  bool any_case = false;                 // the TLS versions are compared ignoring case
};

const std::vector<Checked>& checked_options() {
  static const std::vector<std::string_view> modes = {"disable", "prefer", "require"};
  static const std::vector<std::string_view> tls = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
  static const std::vector<Checked> options = {
      {"sslmode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}},
      {"gssencmode", modes},
      {"channel_binding", modes},
      {"target_session_attrs", {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}},
      {"ssl_min_protocol_version", tls, true},
      {"ssl_max_protocol_version", tls, true},
      {"keepalives", {}},
      {"keepalives_idle", {}},
      {"keepalives_interval", {}},
      {"keepalives_count", {}},
      {"tcp_user_timeout", {}},
  };
  return options;
}

// Why libpq would refuse the option's value, or empty.
std::string refusal(const Checked& option, const OptionValue& v) {
  std::string quoted = v.name + " \"" + v.value + "\"";
  if (option.values.empty()) return is_libpq_integer(v.value) ? "" : quoted + " is not an integer";
  // An empty TLS version is libpq's "no limit".
  if (option.any_case && v.value.empty()) return {};
  auto same = [&](std::string_view allowed) {
    auto folded = [&](unsigned char c) { return option.any_case ? std::tolower(c) : c; };
    return std::equal(allowed.begin(), allowed.end(), v.value.begin(), v.value.end(),
                      [&](unsigned char a, unsigned char b) { return folded(a) == folded(b); });
  };
  if (std::any_of(option.values.begin(), option.values.end(), same)) return {};
  std::string listed;
  for (std::string_view allowed : option.values)
    listed += (listed.empty() ? "" : ", ") + std::string(allowed);
  return quoted + " is not one of " + listed;
}

// Checks an option whether the string or a PG* variable gave it; names the variable in the latter case.
std::string invalid_option(const PQconninfoOption* given, const PQconninfoOption* defaults) {
  auto value = [&](std::string_view key) { return option_value(given, defaults, key); };
  if (auto [present, port, name] = value("port"); present) {
    if (!is_port_list(port)) return name + " \"" + port + "\" is not a port number";
    // libpq pairs them only when there is one port, or one per host.
    size_t ports = comma_list(port).size();
    size_t hosts = std::max(
        {size_t{1}, comma_list(value("host").value).size(), comma_list(value("hostaddr").value).size()});
    if (ports > 1 && ports != hosts)
      return name + " \"" + port + "\" lists " + std::to_string(ports) + " ports for " + std::to_string(hosts) +
             (hosts == 1 ? " host" : " hosts");
  }
  for (const Checked& option : checked_options())
    if (OptionValue v = option_value(given, defaults, option.key, true); v.present)
      if (std::string why = refusal(option, v); !why.empty()) return why;
  if (auto [present, t, name] = value("connect_timeout");
      present && t.find_first_not_of("0123456789") != std::string::npos)
    return name + " \"" + t + "\" is not a whole number of seconds";
  return {};
}

// One endpoint per host, as libpq pairs the lists: host and hostaddr name the same hosts, and a
// single port serves them all; an empty port is the default one. Left to libpq's own handling:
// lists that do not pair (it reports them), an empty host or hostaddr (one host cannot be told
// "none"), and prefer-standby, which looks at every host before it settles for a primary.
std::vector<Target::Endpoint> endpoints_of(const std::string& host, const std::string& hostaddr,
                                           const std::string& port, const std::string& session_attrs) {
  auto hosts = comma_list(host), addrs = comma_list(hostaddr), ports = comma_list(port);
  size_t n = std::max(hosts.size(), addrs.size());
  auto has_empty = [](const std::vector<std::string>& list) {
    return std::any_of(list.begin(), list.end(), [](const std::string& v) { return v.empty(); });
  };
  if (n < 2 || (!hosts.empty() && hosts.size() != n) || (!addrs.empty() && addrs.size() != n) ||
      (ports.size() > 1 && ports.size() != n) || has_empty(hosts) || has_empty(addrs) ||
      session_attrs == "prefer-standby")
    return {};
  std::vector<Target::Endpoint> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (!hosts.empty()) out[i].host = hosts[i];
    if (!addrs.empty()) out[i].hostaddr = addrs[i];
    if (!ports.empty()) out[i].port = ports.size() == 1 ? ports[0] : ports[i];
    if (!ports.empty() && out[i].port.empty()) out[i].port = "5432";  // libpq's DEF_PGPORT
  }
  return out;
}

}  // namespace

std::string host_port(std::string_view host, std::string_view port) {
  std::string out;
  for (size_t start = 0;;) {
    size_t comma = host.find(',', start);
    std::string_view one = host.substr(start, comma == std::string_view::npos ? comma : comma - start);
    // A ':' in a socket directory ("/run/pg:1") or in "[local]" does not make an address of it.
    bool is_ipv6 = one.find(':') != std::string_view::npos && !one.starts_with('/') &&
                   !one.starts_with('@') && !one.starts_with('[');
    out += is_ipv6 ? "[" + std::string(one) + "]" : std::string(one);
    if (comma == std::string_view::npos) break;
    out += ',';
    start = comma + 1;
  }
  return out + ":" + std::string(port);
}

std::string Target::display() const {
  return (user.empty() ? "?" : user) + "@" +
         host_port(host.empty() ? "[local]" : host, port.empty() ? "5432" : port) + "/" +
         (dbname.empty() ? user : dbname);
}

std::string Target::scrub(std::string text) const { return scrub_secrets(std::move(text), secrets); }

Result<Target> Target::parse(std::string_view conninfo) {
  Target t;
  t.conninfo = std::string(conninfo);
  t.secrets = passwords_in(conninfo);
  if (const char* pw = std::getenv("PGPASSWORD"); pw && *pw) t.secrets.emplace_back(pw);

  if (std::string problem = url_problem(conninfo); !problem.empty())
    return config_error("not a valid connection URL: " + problem);
  Options given;
  if (!conninfo.empty()) {
    char* err = nullptr;
    given.reset(PQconninfoParse(t.conninfo.c_str(), &err));
    if (!given) {
      std::string why = err ? one_line(err) : "out of memory";
      PQfreemem(err);
      // Neither key=value nor a URL (a bare password in DATABASE_URL_FILE is a common mix-up):
      // the whole value, and each word of it, may be the secret.
      if (!is_url(t.conninfo) && t.conninfo.find('=') == std::string::npos) {
        t.secrets.push_back(t.conninfo);
        std::string_view rest = t.conninfo;
        for (size_t start = 0; start < rest.size();) {
          size_t end = std::min(rest.find_first_of(" \t", start), rest.size());
          if (end - start >= 4) t.secrets.emplace_back(rest.substr(start, end - start));
          start = end + 1;
        }
      }
      return config_error(t.scrub("not a valid connection string: " + why));
    }
  }
  // What the string leaves out comes from PG* variables and libpq's defaults, as libpq will do.
  Options defaults(PQconndefaults());
  auto pick = [&](std::string_view key) {
    std::string v = value_of(given.get(), key);
    return v.empty() ? value_of(defaults.get(), key) : v;
  };
  t.user = pick("user");
  t.host = pick("host");
  if (t.host.empty()) t.host = pick("hostaddr");
  t.port = pick("port");
  t.endpoints = endpoints_of(pick("host"), pick("hostaddr"), t.port, pick("target_session_attrs"));
  t.dbname = pick("dbname");
  if (t.dbname.empty()) t.dbname = t.user;
  if (std::string pw = value_of(given.get(), "password"); !pw.empty()) t.secrets.push_back(pw);
  // libpq checks option values only when it connects, and a wait would then retry a typo until it
  // runs out of attempts: check the common ones here so they fail as configuration errors.
  if (std::string bad = invalid_option(given.get(), defaults.get()); !bad.empty())
    return config_error(t.scrub(bad));
  // libpq takes a timeout below 2 s as 2 s.
  if (std::string timeout = pick("connect_timeout"); !timeout.empty()) {
    long long seconds = timeout.size() > 9 ? 999999999 : std::stoll(timeout);
    t.connect_timeout_s = seconds > 0 ? static_cast<int>(std::max(2LL, seconds)) : 0;
  }
  return t;
}

}  // namespace schemagate::db
