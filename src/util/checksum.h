#pragma once
#include <string>
#include <string_view>

namespace schemagate {

// SHA-256 of text as 64 lower-case hex digits: the checksum recorded for a migration's up-SQL
// (SPEC §3), so that an edited, already-applied migration is noticed.
std::string sha256_hex(std::string_view text);

}  // namespace schemagate
