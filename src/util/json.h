#pragma once
#include <string>
#include <string_view>

namespace schemagate {

// text as a JSON string literal, quotes included; control characters escaped.
std::string json_string(std::string_view text);

// text with control characters written as escapes (\n, \t, \u0001), quotes left alone: for
// echoing a user's value inside a one-line message.
std::string escape_controls(std::string_view text);

}  // namespace schemagate
