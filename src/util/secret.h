#pragma once
// Finding a secret in text that may spell it otherwise than it was given: a program that prints a
// password may percent-encode it (with either case of hex digits, '+' for a blank) or escape it as
// JSON does ('\"', '\\', '\/', "\u00e9", surrogate pairs). Each character of the secret may be
// written any of these ways; every such spelling is masked.
#include <string>
#include <string_view>
#include <vector>

namespace schemagate {

// Replaces every spelling of secret in text with "****". A secret shorter than four characters
// is replaced only where it stands as a whole word (not inside "connection" for "on").
void mask_secret(std::string& text, std::string_view secret);

// What log lines and libpq's messages get: every secret masked, the longest first (a short one
// masked first would leave the rest of a longer one showing). A secret of four or more characters
// is masked wherever it is spelled; a shorter one only where it stands as a value: quoted ("x",
// 'x', \"x\"), after '=' or ": " up to a blank, '&', ',', ';' or the end, as a URL's password
// (":x@"), or as the whole text. A one-letter password then neither hides the database in
// `user@host:port/x` nor the same letter in other words, and is still never printed where libpq,
// a URL or a program's output gives it as a value.
std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace schemagate
