#pragma once
#include <string>
#include <string_view>

namespace schemagate {

// Replaces every occurrence of secret in text with "****". A secret shorter than four characters
// is replaced only where it stands as a whole word (not inside "connection" for "on"): it is still
// never printed where libpq echoes it ("invalid value \"on\""), and messages stay readable.
void mask_secret(std::string& text, std::string_view secret);

}  // namespace schemagate
