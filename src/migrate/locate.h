#pragma once
// Where in a migration file an error is: the server counts characters of the query it was sent;
// people read file:line:col.
#include <string>
#include <string_view>

#include "migrate/files.h"

namespace schemagate::migrate {

// "path:line:col" for a byte offset into a section's SQL; columns count characters, as the
// server's error positions do.
std::string locate(const Section& section, size_t byte_offset);
// The same place as numbers, for output that keeps them apart (lint --json).
struct Position {
  int line = 0, column = 0;
};
Position position(const Section& section, size_t byte_offset);
// The byte offset of a 1-based character position in text (the server counts characters).
size_t byte_offset_of(std::string_view text, int char_position);

}  // namespace schemagate::migrate
