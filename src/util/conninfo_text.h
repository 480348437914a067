#pragma once
// Pure text handling of connection strings, both forms libpq accepts: URLs
// (postgresql://user:pw@host:port/db?opt=v) and key=value conninfo. No libpq here, so the rules
// that keep passwords out of logs are unit-tested on their own.
#include <string>
#include <string_view>
#include <vector>

namespace schemagate {

// Every spelling of a password a string carries: as written and percent-decoded, from the URL's
// user info, from `password=`/`sslpassword=` query parameters or conninfo keys. Generous on
// purpose: a malformed URL whose password libpq would misread is still found.
std::vector<std::string> passwords_in(std::string_view conninfo);

// The same string with each password replaced by "****", for `schemagate config`.
std::string mask_passwords(std::string_view conninfo);

// Empty when libpq will read the URL as written; otherwise why it would misread it (an unescaped
// '@' or '/' in a password), in words that never repeat the URL.
std::string url_problem(std::string_view url);

bool is_url(std::string_view conninfo);
std::string percent_decode(std::string_view text);

}  // namespace schemagate
