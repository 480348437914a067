#pragma once
#include <string>
#include <string_view>

namespace schemagate {

// text as a JSON string literal, quotes included; control characters escaped.
std::string json_string(std::string_view text);

}  // namespace schemagate
