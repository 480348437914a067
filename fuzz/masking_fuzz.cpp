// libFuzzer target: secret masking. No password may survive the masking that `schemagate config`
// and the log apply, whatever the connection string looks like; url_problem and percent_decode
// must take any text.
//
// Input: a connection string (URL or key=value conninfo). For mask_secret the input is also cut
// in halves, a text and a secret, and the secret is planted in the text.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
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

}  // namespace
}  // namespace schemagate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace schemagate::fuzz;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_conninfo(input);

  std::string text(input.substr(0, size / 2));
  std::string_view secret = input.substr(size / 2);
  check_mask_secret(text, secret);
  check_mask_secret(text + std::string(secret) + text, secret);
  check_mask_secret(std::string(secret) + std::string(secret), secret);
  check_mask_secret(std::string(secret) + text + std::string(secret), secret);
  return 0;
}
