#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace schemagate::db {

// Where to connect, and how to name it without its secrets. Built from a URL or key=value
// conninfo; an empty string means libpq's PG* environment variables and defaults.
struct Target {
  std::string conninfo;
  std::string user, host, port, dbname;
  // Every password spelling that must never be printed: from the string and from PGPASSWORD.
  std::vector<std::string> secrets;
  // Set when the string (or PGHOST) lists several hosts: libpq moves on to the next host at
  // connect_timeout only in its blocking connect, so Connection tries them one at a time.
  struct Endpoint {
    std::string host, hostaddr, port;  // each empty when not given
  };
  std::vector<Endpoint> endpoints;
  int connect_timeout_s = 0;  // per host; 0 when not set
  // DATABASE_URL_FILE (or MIGRATIONS_DATABASE_URL_FILE) when the string came from one: a secret
  // that may be rotated in place, read afresh before every connect attempt (wait/wait.h).
  std::string secret_file;
  std::string secret_variable;  // the variable that named it, as messages say it

  // `user@host:port/dbname` (SPEC §6), an IPv6 host in brackets: `app@[::1]:5432/shop`.
  std::string display() const;
  // Replaces every known secret in text (libpq echoes parts of what it was given), as
  // scrub_secrets does (util/secret.h).
  std::string scrub(std::string text) const;

  // Fails (ErrorKind::Config) when libpq cannot parse the string; the message is scrubbed.
  static Result<Target> parse(std::string_view conninfo);
};

// "host:port" as a URL writes it: an IPv6 address in brackets ("[::1]:5432"), each one of a
// comma-separated list ("db,[::1]:5432,5433"); a socket directory as it is.
std::string host_port(std::string_view host, std::string_view port);

}  // namespace schemagate::db
