// README.md's "## Settings" table says what the settings table (config/table.cpp) says: a reader
// of the README learns every setting's TOML key, variables, flags and default as the code has them.
#include "config/table.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/files.h"

namespace schemagate::config {
namespace {

// README cells carry notes for people that rows do not, so each cell is compared by this rule:
// - a note in parentheses, and whatever follows a ';', is decoration and dropped:
//   "`MIGRATION_TIMEOUT_SECONDS` (0 = none)", "`-v` (debug), `-q` (warn)", "; else libpq's `PG*`";
// - the TOML key, environment and flag cells are then the backticked names left, in order; a
//   TOML key cell of "—" (no name) is an env-only row (Row::in_toml false);
// - the default cell is then its text without backticks, and "—" or "none" means no default; it
//   must be the row's default_text, else its default_note, else no default:
//   "`./schemagate.toml` if present" is config's note, "none (SQL files)" is no default.
// Rows are matched by their first environment variable, which every setting has.

// Names joined with ", ", so that a failed check shows them.
std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

struct ReadmeRow {
  std::string line;
  std::string keys, variables, flags;  // listed()
  std::string first_variable;
  std::string default_value;
};

// The cell without its notes: parentheses (outside backticks) and what follows a ';'.
std::string without_notes(std::string_view cell) {
  std::string out;
  int depth = 0;
  bool in_code = false;
  for (char c : cell.substr(0, cell.find(';'))) {
    if (c == '`') in_code = !in_code;
    if (!in_code && c == '(') ++depth;
    if (depth == 0) out += c;
    if (!in_code && c == ')' && depth > 0) --depth;
  }
  return out;
}

std::vector<std::string> backticked(std::string_view text) {
  std::vector<std::string> names;
  for (size_t open = text.find('`'); open != std::string_view::npos;) {
    size_t close = text.find('`', open + 1);
    if (close == std::string_view::npos) break;
    names.emplace_back(text.substr(open + 1, close - open - 1));
    open = text.find('`', close + 1);
  }
  return names;
}

std::string trimmed(std::string_view text) {
  size_t begin = text.find_first_not_of(' ');
  if (begin == std::string_view::npos) return "";
  return std::string(text.substr(begin, text.find_last_not_of(' ') - begin + 1));
}

std::string plain_default(std::string_view cell) {
  std::string text;
  for (char c : without_notes(cell))
    if (c != '`') text += c;
  text = trimmed(text);
  return text == "—" || text.empty() ? "none" : text;
}

// The cells of one table line, split on the '|' outside backticks.
std::vector<std::string> cells_of(std::string_view line) {
  std::vector<std::string> cells(1);
  bool in_code = false;
  for (char c : line.substr(1)) {  // past the leading '|'
    if (c == '`') in_code = !in_code;
    if (c == '|' && !in_code)
      cells.emplace_back();
    else
      cells.back() += c;
  }
  cells.pop_back();  // what follows the trailing '|'
  return cells;
}

// The rows of the table under "## Settings", past its header and separator lines.
std::vector<ReadmeRow> readme_settings() {
  std::string readme = testing::read_text_file(std::string(SCHEMAGATE_SOURCE_DIR) + "/README.md");
  size_t at = readme.find("\n## Settings\n");
  REQUIRE(at != std::string::npos);
  std::vector<std::string> lines;
  for (at = readme.find("\n|", at); at != std::string::npos && readme.compare(at, 2, "\n|") == 0;) {
    size_t end = readme.find('\n', at + 1);
    lines.push_back(readme.substr(at + 1, end - at - 1));
    at = end;
  }
  REQUIRE(lines.size() > 2);
  CHECK(lines[0] == "| TOML key | environment (aliases) | flag | default |");
  std::vector<ReadmeRow> rows;
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<std::string> cells = cells_of(lines[i]);
    CAPTURE(lines[i]);
    REQUIRE(cells.size() == 4);
    std::vector<std::string> variables = backticked(without_notes(cells[1]));
    REQUIRE_FALSE(variables.empty());
    ReadmeRow row{lines[i],          listed(backticked(without_notes(cells[0]))),
                  listed(variables), listed(backticked(without_notes(cells[2]))),
                  variables[0],      plain_default(cells[3])};
    if (row.keys.empty()) CHECK(trimmed(cells[0]) == "—");
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string variables_of(const Row& r) {
  std::vector<std::string> names;
  for (const Alias& alias : r.env)
    if (!alias.name.empty()) names.emplace_back(alias.name);
  return listed(names);
}

std::string flags_of(const Row& r) {
  std::vector<std::string> flags;
  if (!r.flag.empty()) flags.emplace_back(r.flag);
  for (const Switch& s : r.switches)
    if (!s.flag.empty()) flags.emplace_back(s.flag);
  return listed(flags);
}

std::string default_of(const Row& r) {
  return std::string(!r.default_text.empty()   ? r.default_text
                     : !r.default_note.empty() ? r.default_note
                                               : "none");
}

TEST_CASE("README.md's settings table has every setting with its key, variables, flags and default") {
  std::vector<ReadmeRow> readme = readme_settings();
  for (const Row& r : table()) {
    CAPTURE(r.key);
    auto same = std::find_if(readme.begin(), readme.end(),
                             [&](const ReadmeRow& row) { return row.first_variable == r.env[0].name; });
    REQUIRE_MESSAGE(same != readme.end(), "no README row for " << r.env[0].name);
    CAPTURE(same->line);
    CHECK(same->keys == (r.in_toml ? std::string(r.key) : ""));
    CHECK(same->variables == variables_of(r));
    CHECK(same->flags == flags_of(r));
    CHECK(same->default_value == default_of(r));
  }
}

TEST_CASE("README.md's settings table has no setting the settings table lacks") {
  std::vector<ReadmeRow> readme = readme_settings();
  for (const ReadmeRow& row : readme) {
    CAPTURE(row.line);
    CHECK(std::count_if(table().begin(), table().end(),
                        [&](const Row& r) { return r.env[0].name == row.first_variable; }) == 1);
  }
  CHECK(readme.size() == table().size());
}

}  // namespace
}  // namespace schemagate::config
