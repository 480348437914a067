#include "migrate/locate.h"

#include <algorithm>

namespace schemagate::migrate {
namespace {

bool is_utf8_lead(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

}  // namespace

size_t byte_offset_of(std::string_view text, int char_position) {
  int seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!is_utf8_lead(text[i])) continue;
    if (++seen == char_position) return i;
  }
  return text.size();
}

Position position(const Section& section, size_t byte_offset) {
  std::string_view sql = std::string_view(section.sql).substr(0, std::min(byte_offset, section.sql.size()));
  int line = section.first_line + static_cast<int>(std::count(sql.begin(), sql.end(), '\n'));
  size_t line_start = sql.rfind('\n');
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  int column = 1 + static_cast<int>(std::count_if(sql.begin() + static_cast<long>(line_start), sql.end(), is_utf8_lead));
  return {line, column};
}

std::string locate(const Section& section, size_t byte_offset) {
  Position at = position(section, byte_offset);
  return section.path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

}  // namespace schemagate::migrate
