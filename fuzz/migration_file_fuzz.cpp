// libFuzzer target: migration files (SPEC §3) on hostile input. parse_file, the statement splitter
// (split, is_complete, without_leading_comments) and the Alembic revision reader must never crash,
// hang or leak; statements must be the pieces of the text they claim to be; errors name the file.
//
// Input: one byte choosing the file name (see kNames: '0' a dbmate file with markers, '1' a
// golang-migrate .up.sql, '2' its .down.sql, ...), then the file's text.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "migrate/alembic/python.h"
#include "migrate/files.h"
#include "migrate/script.h"
#include "sql/lexer.h"
#include "sql/statements.h"

namespace schemagate::fuzz {
namespace {

constexpr std::array<std::string_view, 6> kNames = {
    "20240101120000_create_users.sql",
    "0003_add_orders.up.sql",
    "0003_add_orders.down.sql",
    "7.sql",
    "0042-backfill.up.sql",
    "init.sql",  // no version: always refused
};
constexpr std::string_view kRevisionPath = "alembic/versions/ae1027a6acf_add_users.py";

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Errors point at the file, and usually a line in it: "migrations/0003_x.sql:12: ...".
void require_names_file(const Error& error, std::string_view path) {
  require_one_line_error(error, {ErrorKind::BadMigrations});
  require(error.message.starts_with(std::string(path) + ":"), "error does not start with its file",
          error.message);
}

void check_statements(std::string_view sql) {
  auto pieces = sql::pieces(sql);
  size_t covered = 0;  // end of the previous piece
  for (const sql::Piece& p : pieces) {
    require(p.offset >= covered, "pieces overlap or go backwards");
    require(p.offset <= sql.size() && p.text.size() <= sql.size() - p.offset, "piece outside the text");
    require(p.text == sql.substr(p.offset, p.text.size()), "piece text is not the text at its offset");
    require(p.text.data() == sql.data() + p.offset, "piece does not point into the text");
    if (p.kind == sql::Piece::Kind::statement) {
      require(!sql::is_blank(p.text), "blank statement kept");
      // A statement read on its own is still one statement: the lexer's state resets at ';'.
      auto again = sql::split(p.text);
      require(again.size() == 1 && again[0].offset == 0 && again[0].text.size() == p.text.size(),
              "a statement splits differently on its own", p.text);
    }
    std::string_view gap = sql.substr(covered, p.offset - covered);
    require(sql::split(gap).empty(), "text between pieces holds a statement", gap);
    covered = p.offset + p.text.size();
  }
  require(sql::split(sql.substr(covered)).empty(), "text after the last piece holds a statement");
  (void)sql::is_complete(sql);

  std::string_view rest = sql::without_leading_comments(sql);
  require(rest.data() + rest.size() == sql.data() + sql.size(), "without_leading_comments is not a suffix");
  require(rest.empty() || (!std::isspace(static_cast<unsigned char>(rest.front())) &&
                           !rest.starts_with("--") && !rest.starts_with("/*")),
          "without_leading_comments left a blank or a comment in front", rest.substr(0, 40));
  require(sql::is_blank(sql) == rest.empty(), "is_blank disagrees with without_leading_comments");
  require(!sql::is_blank(sql) || pieces.empty(), "a blank text has pieces");

  // PostgreSQL's reading of the same text: statements in order, each the text at its offset.
  size_t end = 0;
  for (const sql::Statement& st : sql::statements(sql)) {
    require(st.offset >= end && st.offset + st.text.size() <= sql.size(), "statements overlap or leave the text");
    require(st.text == sql.substr(st.offset, st.text.size()), "statement text is not the text at its offset");
    end = st.offset + st.text.size();
    if (st.kind != sql::Kind::copy_in || st.data_offset == 0) continue;
    require(st.data_offset >= end && st.data_offset + st.data.size() <= sql.size(), "COPY data outside the text");
    end = st.data_offset + st.data.size();
  }
}

// The section's SQL is the text from the start of line first_line on.
void check_section(const migrate::Section& s, std::string_view path, std::string_view text) {
  if (!s.present) return;
  require(s.path == path, "section names another file");
  require(s.first_line >= 1, "section starts before line 1");
  migrate::Script script = migrate::analyse(s);
  require(script.transactional || !script.why_not_transactional.empty(), "non-transactional without a reason");
  if (script.own_transaction)
    require(script.transactional && script.commit_offset < s.sql.size(), "own transaction's COMMIT outside the SQL");
  if (s.sql.empty()) return;
  size_t at = 0;
  for (int line = 1; line < s.first_line; ++line) {
    at = text.find('\n', at);
    require(at != std::string_view::npos, "first_line past the end of the file");
    ++at;
  }
  require(text.substr(at, s.sql.size()) == s.sql, "section SQL is not the text at first_line");
  check_statements(s.sql);
}

void check_migration_file(std::string_view name, std::string_view text) {
  std::string path = "migrations/" + std::string(name);
  auto m = migrate::parse_file(name, path, std::string(text));
  if (!m) {
    require_names_file(m.error(), path);
    return;
  }
  require(is_digits(m->version) && (m->version == "0" || m->version.front() != '0'), "bad version",
          m->version);
  require(is_digits(m->version_text), "bad version text", m->version_text);
  // Only the up SQL is checksummed: a .down.sql alone has none.
  require(m->checksum.size() == (m->up.present ? 64u : 0u), "checksum is not SHA-256 hex of the up SQL",
          m->checksum);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  bool single = !name.ends_with(".up.sql") && !name.ends_with(".down.sql");
  if (single) require(m->up.present, "a file with markers but no up section");
  if (!single) require(m->up.present != m->down.present, "an .up.sql/.down.sql file fills both or neither");
  check_section(m->up, path, text);
  check_section(m->down, path, text);
}

void check_revision(std::string_view text) {
  auto r = migrate::alembic::parse_revision(kRevisionPath, std::string(text));
  if (!r) {
    require_names_file(r.error(), kRevisionPath);
    return;
  }
  require(!r->id.empty() && r->line >= 1 && r->parents_line >= 1, "revision without id or lines");
  for (size_t i = 0; i < r->parents.size(); ++i)
    require(std::find(r->parents.begin() + static_cast<long>(i) + 1, r->parents.end(), r->parents[i]) ==
                r->parents.end(),
            "a parent named twice", r->parents[i]);
}

}  // namespace
}  // namespace schemagate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace schemagate::fuzz;
  if (size == 0) return 0;
  std::string_view name = kNames[data[0] % kNames.size()];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_migration_file(name, text);
  check_statements(text);
  check_revision(text);
  return 0;
}
