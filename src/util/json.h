#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace schemagate {

// text as a JSON string literal, quotes included; control characters escaped. Always valid UTF-8
// (RFC 8259 §8.1), whatever text holds: a byte that is not part of a valid UTF-8 character
// (a Latin-1 file name, say) is written as the four characters \xE9.
std::string json_string(std::string_view text);

// text with control characters written as escapes (\n, \t, \u0001) and bytes that are not UTF-8
// as \xE9, quotes left alone: for echoing a user's value inside a one-line message.
std::string escape_controls(std::string_view text);

// The offset of the first byte of text that is not part of a valid UTF-8 character (RFC 3629:
// no overlong forms, no surrogates, nothing past U+10FFFF), or npos when all of it is valid.
size_t first_invalid_utf8(std::string_view text);

}  // namespace schemagate
