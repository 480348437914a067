// SPEC §6: every log line names the database as user@host:port/dbname, from a URL, from conninfo
// or from libpq's PG* variables, and never shows a password.
#include "db/target.h"

#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace schemagate::db {
namespace {

using Vars = std::map<std::string, std::string>;

// Clears every PG* variable for the life of a test (libpq reads them all) and sets the ones asked
// for; the developer's own are put back afterwards.
class PgEnv {
 public:
  explicit PgEnv(const Vars& set = {}) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string text(*entry);
      if (!text.starts_with("PG")) continue;
      auto eq = text.find('=');
      if (eq == std::string::npos) continue;
      saved_[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& [name, value] : saved_) unsetenv(name.c_str());
    for (const auto& [name, value] : set) setenv(name.c_str(), value.c_str(), 1);
    set_ = set;
  }
  ~PgEnv() {
    for (const auto& [name, value] : set_) unsetenv(name.c_str());
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }
  PgEnv(const PgEnv&) = delete;
  PgEnv& operator=(const PgEnv&) = delete;

 private:
  Vars saved_;
  Vars set_;
};

Target parsed(std::string_view conninfo) {
  auto target = Target::parse(conninfo);
  REQUIRE_MESSAGE(target, (target ? "" : target.error().message));
  return *target;
}

std::string error_of(std::string_view conninfo) {
  auto target = Target::parse(conninfo);
  REQUIRE_FALSE(target);
  CHECK(target.error().kind == ErrorKind::Config);
  return target.error().message;
}

bool mentions(const std::vector<std::string>& secrets, const std::string& secret) {
  return std::find(secrets.begin(), secrets.end(), secret) != secrets.end();
}

// ---------------------------------------------------------------------------------------------
// display()

TEST_CASE("a URL is displayed as user@host:port/dbname without its password") {
  PgEnv env;
  Target t = parsed("postgresql://alice:s3cret@db.internal:6432/shop?sslmode=require");
  CHECK(t.display() == "alice@db.internal:6432/shop");
  CHECK(t.user == "alice");
  CHECK(t.host == "db.internal");
  CHECK(t.port == "6432");
  CHECK(t.dbname == "shop");
  CHECK(t.conninfo == "postgresql://alice:s3cret@db.internal:6432/shop?sslmode=require");
}

TEST_CASE("a URL's percent-encoded parts are displayed decoded") {
  PgEnv env;
  CHECK(parsed("postgresql://app%20user:p%40ss@db/my%20db").display() == "app user@db:5432/my db");
}

TEST_CASE("key=value conninfo is displayed the same way") {
  PgEnv env;
  CHECK(parsed("host=db.internal port=6432 user=alice password=s3cret dbname=shop").display() ==
        "alice@db.internal:6432/shop");
  CHECK(parsed("hostaddr=10.0.0.5 user=alice dbname=shop").display() == "alice@10.0.0.5:5432/shop");
}

TEST_CASE("what the string leaves out comes from the PG* variables") {
  PgEnv env(
      Vars{{"PGHOST", "pg.example"}, {"PGPORT", "5433"}, {"PGUSER", "bob"}, {"PGDATABASE", "inventory"}});
  CHECK(parsed("").display() == "bob@pg.example:5433/inventory");
  CHECK(parsed("postgresql://alice@db/shop").display() == "alice@db:5433/shop");
  CHECK(parsed("dbname=other").display() == "bob@pg.example:5433/other");
}

TEST_CASE("an empty string with no PGHOST is a local socket on the default port") {
  PgEnv env(Vars{{"PGUSER", "carol"}});
  // libpq's default database is the user's name.
  CHECK(parsed("").display() == "carol@[local]:5432/carol");
  CHECK(parsed("").conninfo == "");
}

TEST_CASE("a unix socket directory is displayed as the host") {
  PgEnv env(Vars{{"PGUSER", "carol"}});
  CHECK(parsed("postgresql:///shop?host=/var/run/postgresql").display() ==
        "carol@/var/run/postgresql:5432/shop");
}

TEST_CASE("an IPv6 host is displayed in brackets, as a URL writes it") {
  PgEnv env;
  CHECK(parsed("postgresql://app@[::1]:5433/shop").display() == "app@[::1]:5433/shop");
  CHECK(parsed("host=::1 user=app dbname=shop").display() == "app@[::1]:5432/shop");
  CHECK(parsed("hostaddr=fe80::1 user=app dbname=shop").display() == "app@[fe80::1]:5432/shop");
  CHECK(parsed("host=db,::1 port=1,2 user=app dbname=shop").display() == "app@db,[::1]:1,2/shop");
}

TEST_CASE("host_port writes an IPv6 address in brackets and anything else as it is") {
  CHECK(host_port("::1", "5432") == "[::1]:5432");
  CHECK(host_port("db.internal", "6432") == "db.internal:6432");
  CHECK(host_port("10.0.0.5", "5432") == "10.0.0.5:5432");
  CHECK(host_port("/var/run/postgresql", "5432") == "/var/run/postgresql:5432");
  CHECK(host_port("a,fe80::1", "1,2") == "a,[fe80::1]:1,2");
}

// ---------------------------------------------------------------------------------------------
// Invalid options fail as configuration errors

TEST_CASE("a port that is not a port number is a configuration error") {
  PgEnv env;
  CHECK(error_of("postgresql://app@db:99999/shop") == "port \"99999\" is not a port number");
  CHECK(error_of("host=db port=abc") == "port \"abc\" is not a port number");
  CHECK(error_of("host=db port=0") == "port \"0\" is not a port number");
  CHECK(error_of("host=a,b port=5432,x") == "port \"5432,x\" is not a port number");
}

TEST_CASE("a port list for several hosts is accepted") {
  PgEnv env;
  CHECK(Target::parse("host=a,b port=5432,5433 user=app dbname=shop"));
  // An empty element is that host's default port: libpq reads `a,b` in a URL as port ",".
  CHECK(Target::parse("postgresql://app@a,b/shop"));
  CHECK(Target::parse("postgresql://app@a:5433,b/shop"));
  CHECK(Target::parse("postgresql://app@db:65535/shop"));
}

// Connection tries the hosts of a list one at a time (libpq's non-blocking connect never moves
// on from a host that does not answer): each needs its own host, hostaddr and port.
TEST_CASE("a host list becomes one endpoint per host, paired as libpq pairs them") {
  PgEnv env;
  auto endpoints = [](std::string_view conninfo) {
    std::string out;
    for (const auto& e : parsed(conninfo).endpoints) out += "[" + e.host + "|" + e.hostaddr + "|" + e.port + "]";
    return out;
  };
  CHECK(endpoints("postgresql://app@a:5433,b:5434/shop") == "[a||5433][b||5434]");
  CHECK(endpoints("host=a,b port=6000 user=app") == "[a||6000][b||6000]");
  CHECK(endpoints("host=a,b hostaddr=10.0.0.1,10.0.0.2 port=1,2") == "[a|10.0.0.1|1][b|10.0.0.2|2]");
  CHECK(endpoints("hostaddr=10.0.0.1,10.0.0.2") == "[|10.0.0.1|5432][|10.0.0.2|5432]");
  CHECK(endpoints("postgresql://app@a,b/shop") == "[a||5432][b||5432]");
  CHECK(endpoints("postgresql://app@a:5433,b/shop") == "[a||5433][b||5432]");
  // Left to libpq: an empty host (its default socket), and prefer-standby, which looks at every
  // host before it settles for a primary.
  CHECK(endpoints("host=,b port=1,2") == "");
  CHECK(endpoints("postgresql://app@a,b/shop?target_session_attrs=prefer-standby") == "");
  CHECK(endpoints("postgresql://app@a,b/shop?target_session_attrs=read-write") == "[a||5432][b||5432]");
  // One host: libpq's own handling, no list.
  CHECK(endpoints("postgresql://app@db/shop") == "");
  // Lists that do not pair are libpq's to report.
  CHECK(endpoints("host=a,b hostaddr=10.0.0.1") == "");
  PgEnv from_env(Vars{{"PGHOST", "x,y"}, {"PGPORT", "7000"}});
  CHECK(endpoints("") == "[x||7000][y||7000]");
}

TEST_CASE("connect_timeout is kept per host, below 2 s taken as 2 s as libpq does") {
  PgEnv env;
  CHECK(parsed("postgresql://db/shop?connect_timeout=5").connect_timeout_s == 5);
  CHECK(parsed("host=db connect_timeout=1").connect_timeout_s == 2);
  CHECK(parsed("host=db connect_timeout=0").connect_timeout_s == 0);
  CHECK(parsed("host=db").connect_timeout_s == 0);
  CHECK(parsed("host=db connect_timeout=1000000000000").connect_timeout_s == 999999999);
  PgEnv from_env(Vars{{"PGCONNECT_TIMEOUT", "7"}});
  CHECK(parsed("host=db").connect_timeout_s == 7);
}

TEST_CASE("an unknown sslmode is a configuration error") {
  PgEnv env;
  CHECK(error_of("postgresql://app@db/shop?sslmode=requried") ==
        "sslmode \"requried\" is not one of disable, allow, prefer, require, verify-ca, verify-full");
  for (std::string mode : {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}) {
    CAPTURE(mode);
    CHECK(Target::parse("host=db sslmode=" + mode));
  }
}

TEST_CASE("a connect_timeout that is not whole seconds is a configuration error") {
  PgEnv env;
  CHECK(error_of("host=db connect_timeout=5s") == "connect_timeout \"5s\" is not a whole number of seconds");
  CHECK(error_of("postgresql://db/shop?connect_timeout=-1") ==
        "connect_timeout \"-1\" is not a whole number of seconds");
  CHECK(Target::parse("host=db connect_timeout=10"));
}

TEST_CASE("an option libpq checks only when it connects is a configuration error naming it") {
  PgEnv env;
  CHECK(error_of("host=db sslmode=") ==
        "sslmode \"\" is not one of disable, allow, prefer, require, verify-ca, verify-full");
  CHECK(error_of("postgresql://db/shop?sslmode=") ==
        "sslmode \"\" is not one of disable, allow, prefer, require, verify-ca, verify-full");
  CHECK(error_of("postgresql://db/shop?target_session_attrs=bogus") ==
        "target_session_attrs \"bogus\" is not one of any, read-write, read-only, primary, standby, "
        "prefer-standby");
  CHECK(error_of("host=db channel_binding=bogus") ==
        "channel_binding \"bogus\" is not one of disable, prefer, require");
  CHECK(error_of("host=db gssencmode=bogus") ==
        "gssencmode \"bogus\" is not one of disable, prefer, require");
  CHECK(error_of("host=db ssl_min_protocol_version=TLSv1.4") ==
        "ssl_min_protocol_version \"TLSv1.4\" is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  CHECK(error_of("host=db ssl_max_protocol_version=SSLv3") ==
        "ssl_max_protocol_version \"SSLv3\" is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3");
  CHECK(error_of("postgresql://db/shop?keepalives=abc") == "keepalives \"abc\" is not an integer");
  CHECK(error_of("host=db keepalives=") == "keepalives \"\" is not an integer");
  CHECK(error_of("host=db keepalives_idle=1m") == "keepalives_idle \"1m\" is not an integer");
  CHECK(error_of("host=db keepalives_interval=1.5") == "keepalives_interval \"1.5\" is not an integer");
  CHECK(error_of("host=db keepalives_count=99999999999") ==
        "keepalives_count \"99999999999\" is not an integer");
  CHECK(error_of("host=db tcp_user_timeout=soon") == "tcp_user_timeout \"soon\" is not an integer");
}

TEST_CASE("an option libpq checks only when it connects names its PG* variable when it came from there") {
  PgEnv env(Vars{{"PGGSSENCMODE", "bogus"}});
  CHECK(error_of("host=db") ==
        "gssencmode (from PGGSSENCMODE) \"bogus\" is not one of disable, prefer, require");
  CHECK(Target::parse("host=db gssencmode=disable"));
  PgEnv attrs(Vars{{"PGTARGETSESSIONATTRS", "primry"}});
  CHECK(
      error_of("postgresql://db/shop") ==
      "target_session_attrs (from PGTARGETSESSIONATTRS) \"primry\" is not one of any, read-write, read-only, "
      "primary, standby, prefer-standby");
}

TEST_CASE("a bad option value equal to the password is masked in the message") {
  PgEnv env;
  CHECK(error_of("host=db password=bogus-pw gssencmode=bogus-pw") ==
        "gssencmode \"****\" is not one of disable, prefer, require");
}

// What libpq itself says of one option's value, without a server: PQconnectStart checks the
// enumerated options before it connects, and the integer ones when it sets up a TCP socket, before
// connect(). A socket directory that does not exist stops the first kind there; 127.0.0.1:1 the
// second (the connection is abandoned at once).
std::string libpq_says(const std::string& key, const std::string& value) {
  bool tcp = key.starts_with("keepalives") || key == "tcp_user_timeout";
  std::string conninfo =
      (tcp ? "hostaddr=127.0.0.1 port=1 " : "host=/nonexistent-schemagate-dir ") + key + "='" + value + "'";
  PGconn* conn = PQconnectStart(conninfo.c_str());
  std::string message = PQerrorMessage(conn);
  PQfinish(conn);
  return message;
}

TEST_CASE("libpq and schemagate agree on each checked option's values") {
  PgEnv env;
  const std::vector<std::pair<std::string, std::vector<std::string>>> options = {
      {"sslmode",
       {"disable", "allow", "prefer", "require", "verify-ca", "verify-full", "", "bogus", "Require",
        " require"}},
      {"gssencmode", {"disable", "prefer", "require", "", "bogus", "PREFER"}},
      {"channel_binding", {"disable", "prefer", "require", "", "bogus", "Require"}},
      {"target_session_attrs",
       {"any", "read-write", "read-only", "primary", "standby", "prefer-standby", "", "bogus", "Primary"}},
      {"ssl_min_protocol_version",
       {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "tlsv1.2", "", "TLSv1.4", "SSLv3"}},
      // (Not below the minimum, TLSv1.2 by default: libpq also checks the range, and so far only libpq.)
      {"ssl_max_protocol_version", {"TLSv1.2", "TLSv1.3", "tlsv1.3", "", "TLSv2"}},
      {"keepalives", {"0", "1", "-1", " 1 ", "+5", "2147483647", "", "abc", "1.5", "1s", "2147483648"}},
      {"keepalives_idle", {"30", "", "x"}},
      {"keepalives_interval", {"5", "", "5 s"}},
      {"keepalives_count", {"3", "", "three"}},
      {"tcp_user_timeout", {"1000", "", "1e3"}},
  };
  for (const auto& [key, values] : options) {
    for (const std::string& value : values) {
      CAPTURE(key);
      CAPTURE(value);
      std::string says = libpq_says(key, value);
      bool libpq_refuses = says.find("invalid ") != std::string::npos;
      CAPTURE(says);
      CHECK(static_cast<bool>(Target::parse("host=db " + key + "='" + value + "'")) == !libpq_refuses);
    }
  }
}

TEST_CASE("a PGPORT that is not a port number is a configuration error naming the variable") {
  for (std::string port : {"abc", "0", "99999", "5432,x", "54 32"}) {
    CAPTURE(port);
    PgEnv env(Vars{{"PGPORT", port}});
    CHECK(error_of("") == "port (from PGPORT) \"" + port + "\" is not a port number");
    CHECK(error_of("postgresql://app@db/shop") == "port (from PGPORT) \"" + port + "\" is not a port number");
    CHECK(error_of("host=db user=app") == "port (from PGPORT) \"" + port + "\" is not a port number");
  }
}

TEST_CASE("more ports than hosts is a configuration error, as libpq cannot pair them") {
  PgEnv env(Vars{{"PGPORT", "5432,"}});
  CHECK(error_of("host=db user=app") == "port (from PGPORT) \"5432,\" lists 2 ports for 1 host");
  CHECK(error_of("host=a,b,c port=1,2") == "port \"1,2\" lists 2 ports for 3 hosts");
  CHECK(Target::parse("host=a,b port=1,2"));
}

TEST_CASE("a bad PGPORT is no error when the string names the port itself") {
  PgEnv env(Vars{{"PGPORT", "abc"}});
  CHECK(parsed("postgresql://app@db:6432/shop").display() == "app@db:6432/shop");
  CHECK(parsed("host=db port=6432 user=app dbname=shop").display() == "app@db:6432/shop");
}

TEST_CASE("a bad port in the string is named as the string's, even with PGPORT set") {
  PgEnv env(Vars{{"PGPORT", "5433"}});
  CHECK(error_of("host=db port=abc") == "port \"abc\" is not a port number");
}

TEST_CASE("an unknown PGSSLMODE is a configuration error naming the variable") {
  PgEnv env(Vars{{"PGSSLMODE", "requried"}});
  CHECK(error_of("") == "sslmode (from PGSSLMODE) \"requried\" is not one of disable, allow, prefer, require, "
                        "verify-ca, verify-full");
  CHECK(error_of("postgresql://app@db/shop") ==
        "sslmode (from PGSSLMODE) \"requried\" is not one of disable, allow, prefer, require, verify-ca, "
        "verify-full");
  CHECK(Target::parse("postgresql://app@db/shop?sslmode=require"));
}

TEST_CASE("a PGCONNECT_TIMEOUT that is not whole seconds is a configuration error naming the variable") {
  PgEnv env(Vars{{"PGCONNECT_TIMEOUT", "5s"}});
  CHECK(error_of("") == "connect_timeout (from PGCONNECT_TIMEOUT) \"5s\" is not a whole number of seconds");
  CHECK(error_of("host=db") == "connect_timeout (from PGCONNECT_TIMEOUT) \"5s\" is not a whole number of seconds");
  CHECK(Target::parse("host=db connect_timeout=5"));
}

TEST_CASE("valid or empty PGPORT, PGSSLMODE and PGCONNECT_TIMEOUT are accepted") {
  SUBCASE("valid") {
    PgEnv env(Vars{{"PGPORT", "6432"}, {"PGSSLMODE", "verify-full"}, {"PGCONNECT_TIMEOUT", "10"}, {"PGUSER", "app"}});
    CHECK(parsed("host=db").display() == "app@db:6432/app");
  }
  SUBCASE("empty") {
    PgEnv env(Vars{{"PGPORT", ""}, {"PGSSLMODE", ""}, {"PGCONNECT_TIMEOUT", ""}, {"PGUSER", "app"}});
    CHECK(parsed("host=db").display() == "app@db:5432/app");
  }
}

TEST_CASE("a bad PGPORT is reported before a bad PGSSLMODE or PGCONNECT_TIMEOUT") {
  PgEnv env(Vars{{"PGPORT", "x"}, {"PGSSLMODE", "y"}, {"PGCONNECT_TIMEOUT", "z"}});
  CHECK(error_of("") == "port (from PGPORT) \"x\" is not a port number");
}

TEST_CASE("a bad PGPORT's message is scrubbed of a password equal to it") {
  PgEnv env(Vars{{"PGPORT", "hunter2"}, {"PGPASSWORD", "hunter2"}});
  CHECK(error_of("") == "port (from PGPORT) \"****\" is not a port number");
}

TEST_CASE("a string libpq cannot parse is a configuration error in libpq's words") {
  PgEnv env;
  CHECK(error_of("host=db bogus=1") == "not a valid connection string: invalid connection option \"bogus\"");
  CHECK(error_of("host=db user") ==
        "not a valid connection string: missing \"=\" after \"user\" in connection info string");
  CHECK(error_of("postgresql://db/shop?bogus=1") ==
        "not a valid connection string: invalid URI query parameter: \"bogus\"");
}

TEST_CASE("libpq's error about a URL is scrubbed of the password it echoes") {
  PgEnv env;
  CHECK(error_of("postgresql://app:hunter2@[::1/shop") ==
        "not a valid connection string: end of string reached when looking for matching \"]\" in IPv6 "
        "host address in URI: \"postgresql://app:****@[::1/shop\"");
  std::string encoded = error_of("postgresql://app:hun%3Fter2@[::1/shop");
  CHECK(encoded.find("hun%3Fter2") == std::string::npos);
  CHECK(encoded.find("ter2") == std::string::npos);
}

TEST_CASE("a URL libpq would misread is refused without repeating it") {
  PgEnv env;
  CHECK(error_of("postgresql://app:hunter2@x@db/shop") ==
        "not a valid connection URL: more than one '@' before the host: percent-encode '@' in the user or "
        "password as %40");
  CHECK(error_of("postgresql://app:hun/ter2@db/shop") ==
        "not a valid connection URL: '@' after a '/': percent-encode '/' in the user or password as %2F");
}

TEST_CASE("a URL whose password may run past a '?' is refused without libpq's words about it") {
  PgEnv env;
  // libpq would read `app:Head` as host and port, and the password's tail as the query.
  for (std::string_view url :
       {"postgresql://app:Head/?port=Tail@db/app", "postgresql://app:Head/?sslmode=x@db/app",
        "postgresql://app:xx/?Head=y@db/app"}) {
    CAPTURE(url);
    CHECK(
        error_of(url) ==
        "not a valid connection URL: '@' after a '?': percent-encode '?' and '/' in the user or password as "
        "%3F and %2F, and '@' in the query as %40");
  }
}

TEST_CASE("a bad option's message is scrubbed of the password") {
  PgEnv env;
  // The password doubles as the port here, so the message would otherwise show it.
  CHECK(error_of("host=db password=65536 port=65536") == "port \"****\" is not a port number");
}

// ---------------------------------------------------------------------------------------------
// Secrets and scrub()

TEST_CASE("every spelling of the password is a secret") {
  PgEnv env;
  Target t = parsed("postgresql://app:p%40ss%3Fw@db/shop?sslpassword=keypass");
  CHECK(mentions(t.secrets, "p%40ss%3Fw"));
  CHECK(mentions(t.secrets, "p@ss?w"));
  CHECK(mentions(t.secrets, "keypass"));

  Target quoted = parsed(R"(host=db password='it\'s here')");
  CHECK(mentions(quoted.secrets, R"('it\'s here')"));
  CHECK(mentions(quoted.secrets, "it's here"));
}

TEST_CASE("PGPASSWORD becomes a secret") {
  PgEnv env(Vars{{"PGPASSWORD", "from-the-env"}, {"PGUSER", "app"}});
  Target t = parsed("");
  CHECK(mentions(t.secrets, "from-the-env"));
  CHECK(t.scrub("FATAL: password from-the-env rejected") == "FATAL: password **** rejected");
  CHECK(t.display().find("from-the-env") == std::string::npos);
  // Also alongside a URL that has a password of its own.
  Target both = parsed("postgresql://app:url-secret@db/shop");
  CHECK(mentions(both.secrets, "from-the-env"));
  CHECK(mentions(both.secrets, "url-secret"));
}

TEST_CASE("an empty PGPASSWORD is no secret") {
  PgEnv env(Vars{{"PGPASSWORD", ""}, {"PGUSER", "app"}});
  CHECK(parsed("").secrets.empty());
}

TEST_CASE("scrub removes every spelling of every secret") {
  PgEnv env(Vars{{"PGPASSWORD", "envpass"}});
  Target t = parsed("postgresql://app:p%40ss@db/shop?sslpassword=keypass");
  CHECK(t.scrub("url postgresql://app:p%40ss@db/shop, decoded p@ss, key keypass, env envpass; p@ss again") ==
        "url postgresql://app:****@db/shop, decoded ****, key ****, env ****; **** again");
  CHECK(t.scrub("nothing secret") == "nothing secret");
  CHECK(t.scrub("") == "");
}

TEST_CASE("scrub replaces the longer secret first so no fragment of it survives") {
  // Replacing "pass" first would turn "password1" into "****word1".
  PgEnv env(Vars{{"PGPASSWORD", "pass"}});
  Target t = parsed("postgresql://app:password1@db/shop");
  CHECK(t.scrub("sent password1 then pass") == "sent **** then ****");
}

TEST_CASE("a short password is masked where it stands as a value, not inside the target's name") {
  PgEnv env;
  Target t = parsed("postgresql://postgres:x@127.0.0.1:1/x");
  CHECK(t.display() == "postgres@127.0.0.1:1/x");
  CHECK(t.scrub("postgres@127.0.0.1:1/x not ready after 1 attempts") ==
        "postgres@127.0.0.1:1/x not ready after 1 attempts");
  CHECK(t.scrub("invalid value \"x\" for x") == "invalid value \"****\" for x");
  CHECK(t.scrub("given postgresql://postgres:x@127.0.0.1:1/x") ==
        "given postgresql://postgres:****@127.0.0.1:1/x");
}

TEST_CASE("a conninfo password with backslash escapes is a secret as libpq reads it") {
  PgEnv env;
  Target t = parsed(R"(host=db password=two\ words)");
  CHECK(mentions(t.secrets, "two words"));
  CHECK(t.scrub("the password two words was wrong") == "the password **** was wrong");
}

TEST_CASE("a conninfo password with an escaped blank is scrubbed in every spelling") {
  PgEnv env;
  Target t = parsed(R"(host=db password=ab\ cd user=app)");
  CHECK(mentions(t.secrets, R"(ab\ cd)"));
  CHECK(mentions(t.secrets, "ab cd"));
  CHECK(t.scrub(R"(given host=db password=ab\ cd user=app, read as ab cd)") ==
        "given host=db password=**** user=app, read as ****");
}

}  // namespace
}  // namespace schemagate::db
