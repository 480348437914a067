// libFuzzer target: secret masking. No password may survive the masking that `schemagate config`
// and the log apply, whatever the connection string looks like; url_problem and percent_decode
// must take any text.
//
// Input: a connection string (URL or key=value conninfo). For mask_secret the input is also cut
// in halves, a text and a secret, and the secret is planted in the text. For the URL family the
// first two bytes choose a user and what follows the password, and the rest, mapped onto
// printable ASCII, is the password, written into the URL unescaped.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "check.h"
#include "db/target.h"
#include "util/conninfo_text.h"
#include "util/secret.h"

namespace schemagate::fuzz {
namespace {

// Masking writes "****": a secret holding '*' may rightly be found again in masked text (secret
// "a***" in "aa***" masks to "a****"), and a secret under four bytes is masked only as a whole word.
bool must_vanish(std::string_view secret) {
  return secret.size() >= 4 && secret.find('*') == std::string_view::npos;
}

// The values libpq itself reads from the string for fields it hides ("*" in dispchar: password,
// sslpassword): the oracle passwords_in must agree with. (STYLE keeps <libpq-fe.h> to src/db/;
// a test oracle outside src/ is the exception.)
std::vector<std::string> libpq_secrets(std::string_view conninfo) {
  std::vector<std::string> out;
  if (conninfo.find('\0') != std::string_view::npos) return out;  // libpq would read a shorter string
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(conninfo).c_str(), &error);
  if (error) PQfreemem(error);
  if (!options) return out;
  for (PQconninfoOption* o = options; o->keyword; ++o)
    if (o->val && o->val[0] && o->dispchar && o->dispchar[0] == '*') out.emplace_back(o->val);
  PQconninfoFree(options);
  return out;
}

void check_conninfo(std::string_view conninfo) {
  std::vector<std::string> passwords = passwords_in(conninfo);
  for (const std::string& secret : libpq_secrets(conninfo))
    require(std::find(passwords.begin(), passwords.end(), secret) != passwords.end(),
            "libpq reads a password that passwords_in misses",
            "libpq: " + secret + "\n  in: " + std::string(conninfo));
  // What `schemagate config` prints: the masked string, then the log's scrub over it (the same
  // text may also stand where no password is written, as a user or database name).
  std::string masked = scrub_secrets(mask_passwords(conninfo), passwords);
  for (const std::string& p : passwords) {
    require(!p.empty(), "passwords_in gave an empty password");
    if (must_vanish(p))
      require(masked.find(p) == std::string::npos, "mask_passwords left a password showing",
              "password: " + p + "\n  masked: " + masked);
  }
  // What the log does (main registers passwords_in of DATABASE_URL, log::scrub masks each):
  // nothing may show afterwards.
  std::string scrubbed = scrub_secrets(std::string(conninfo), passwords);
  for (const std::string& p : passwords)
    if (must_vanish(p)) require(scrubbed.find(p) == std::string::npos, "log scrubbing left a password", p);

  std::string problem = url_problem(conninfo);
  require(problem.find('\n') == std::string::npos, "url_problem spans several lines", problem);
  if (conninfo.size() >= 8)
    require(problem.find(conninfo) == std::string::npos, "url_problem repeats the URL", problem);
  std::string decoded = percent_decode(conninfo);
  require(decoded.size() <= conninfo.size(), "percent_decode grew the text");
}

void check_mask_secret(std::string text, std::string_view secret) {
  mask_secret(text, secret);
  if (must_vanish(secret))
    require(text.find(secret) == std::string::npos, "mask_secret left the secret",
            "secret: " + std::string(secret) + "\n  text: " + text);
}

// ---------------------------------------------------------------------------------------------
// A URL whose password leaves '@', '/', '?', '%' or anything else unescaped (issue 11): whatever
// libpq would make of it, nothing schemagate prints shows four characters in a row of it.

const std::vector<std::string> kUsers = {"app", "", "u%40x", "a.b-c"};
// What follows the password's '@': hosts, ports, lists, queries that libpq checks or echoes.
const std::vector<std::string> kTails = {"db/app",
                                         "db:5432/app",
                                         "db",
                                         "db/app?sslmode=require",
                                         "db/app?application_name=a@b",
                                         "[::1]:5432/app",
                                         "db:5432,db2:5433/app",
                                         "db/app?password=other",
                                         "/app",
                                         "db/app?port=99999",
                                         "db/app?host=/tmp&port=5",
                                         "db:abc/app",
                                         "db/app?sslmode=bogus",
                                         "db/a%zzb",
                                         "db/app?keepalives=x",
                                         "db/app?target_session_attrs=x",
                                         "db?dbname=app",
                                         "db/app?bogus=1"};

// Everything schemagate prints about a URL before it connects, scrubbed as the log scrubs (main
// registers passwords_in of the URL, and a parsed target its secrets): the masked URL (`schemagate
// config`, and the label of any error about the setting), url_problem's reason, and Target::parse's
// error, or the target's name when it parses.
std::string printed(const std::string& url) {
  std::vector<std::string> secrets = passwords_in(url);
  std::string out = scrub_secrets(mask_passwords(url), secrets) + "\n" + url_problem(url) + "\n";
  auto target = db::Target::parse(url);
  if (!target) return out + scrub_secrets(target.error().message, secrets);
  secrets.insert(secrets.end(), target->secrets.begin(), target->secrets.end());
  return out + scrub_secrets(target->display(), secrets);
}

// What may be printed whatever the password: the URL around it, and the words schemagate and
// libpq use about this user and tail (what they print for short passwords of each kind).
const std::string& vocabulary(size_t user, size_t tail) {
  static std::map<std::pair<size_t, size_t>, std::string> known;
  auto [it, added] = known.try_emplace({user, tail});
  if (added) {
    it->second = "postgresql://" + kUsers[user] + ":@" + kTails[tail] + "\n";
    for (std::string_view pw : {"pw", "p/w", "p?w", "p@w", "p/?w", "p%zz", "p%00", "p/?w=x@y", "p@w/x?y"})
      it->second +=
          printed("postgresql://" + kUsers[user] + ":" + std::string(pw) + "@" + kTails[tail]) + "\n";
  }
  return it->second;
}

void check_url_password(std::string_view input) {
  if (input.size() < 6) return;
  const size_t user = static_cast<unsigned char>(input[0]) % kUsers.size();
  const size_t tail = static_cast<unsigned char>(input[1]) % kTails.size();
  std::string password;
  for (char c : input.substr(2)) password += static_cast<char>(' ' + static_cast<unsigned char>(c) % 95);
  const std::string url = "postgresql://" + kUsers[user] + ":" + password + "@" + kTails[tail];
  const std::string out = printed(url);
  const std::string& allowed = vocabulary(user, tail);
  for (size_t i = 0; i + 4 <= password.size(); ++i) {
    std::string_view piece = std::string_view(password).substr(i, 4);
    if (allowed.find(piece) != std::string::npos) continue;
    require(out.find(piece) == std::string::npos, "four characters of a URL's password were printed",
            "piece: " + std::string(piece) + "\n  url: " + url + "\n  printed: " + out);
  }
}

}  // namespace
}  // namespace schemagate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace schemagate::fuzz;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_conninfo(input);
  check_url_password(input);

  std::string text(input.substr(0, size / 2));
  std::string_view secret = input.substr(size / 2);
  check_mask_secret(text, secret);
  check_mask_secret(text + std::string(secret) + text, secret);
  check_mask_secret(std::string(secret) + std::string(secret), secret);
  check_mask_secret(std::string(secret) + text + std::string(secret), secret);
  return 0;
}
