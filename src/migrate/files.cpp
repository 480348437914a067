#include "migrate/files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "sql/lexer.h"
#include "util/checksum.h"
#include "util/file.h"
#include "util/json.h"

namespace schemagate::migrate {
namespace {

namespace fs = std::filesystem;

std::string at_line(std::string_view path, int line) {
  return std::string(path) + ":" + std::to_string(line);
}

int line_of(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

// Offset of the first byte that is not valid UTF-8 (or a NUL), or npos.
size_t first_bad_byte(std::string_view s) { return std::min(s.find('\0'), first_invalid_utf8(s)); }

bool iequals_prefix(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
  return true;
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > begin) words.push_back(text.substr(begin, i - begin));
  }
  return words;
}

struct Marker {
  bool is_up;
  bool transactional;
  size_t line_begin;  // offset of the marker line
  size_t body_begin;  // offset just past it
  int line;
};

// `-- migrate:up` / `-- migrate:down`, optionally followed by `transaction:false` (dbmate's syntax).
Result<std::vector<Marker>> find_markers(std::string_view text, std::string_view path) {
  std::vector<Marker> markers;
  size_t pos = 0;
  int line = 1;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view l = text.substr(pos, next - pos);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.remove_suffix(1);
    size_t k = 0;
    while (k < l.size() && (l[k] == ' ' || l[k] == '\t')) ++k;
    if (l.substr(k).starts_with("--")) {
      std::string_view rest = l.substr(k + 2);
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
      if (iequals_prefix(rest, "migrate:")) {
        rest.remove_prefix(8);
        Marker m{false, true, pos, next, line};
        if (iequals_prefix(rest, "up")) {
          m.is_up = true;
          rest.remove_prefix(2);
        } else if (iequals_prefix(rest, "down")) {
          rest.remove_prefix(4);
        } else {
          return bad_migrations(at_line(path, line) + ": unknown marker; expected -- migrate:up or -- migrate:down");
        }
        for (std::string_view opt : words_of(rest)) {
          std::string lower;
          for (char c : opt) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (lower == "transaction:false") m.transactional = false;
          else if (lower != "transaction:true")
            return bad_migrations(at_line(path, line) + ": unknown marker option \"" + std::string(opt) + "\"; expected transaction:false");
        }
        markers.push_back(m);
      }
    }
    pos = next;
    ++line;
  }
  return markers;
}

struct NameParts {
  std::string version;
  std::string version_text;
  std::string name;
  std::string kind;  // "single", "up", "down"
};

Result<NameParts> split_name(std::string_view file, std::string_view path) {
  NameParts p;
  std::string_view stem = file.substr(0, file.size() - 4);  // without ".sql"
  p.kind = "single";
  if (stem.ends_with(".up")) {
    p.kind = "up";
    stem.remove_suffix(3);
  } else if (stem.ends_with(".down")) {
    p.kind = "down";
    stem.remove_suffix(5);
  }
  size_t digits = 0;
  while (digits < stem.size() && std::isdigit(static_cast<unsigned char>(stem[digits]))) ++digits;
  if (digits == 0)
    return bad_migrations(std::string(path) + ": the name must start with a version number (e.g. 20240101120000_create_users.sql)");
  if (digits < stem.size() && stem[digits] != '_' && stem[digits] != '-')
    return bad_migrations(std::string(path) + ": the version must be followed by _ or - and a name (e.g. 0003_add_users.sql)");
  std::string_view v = stem.substr(0, digits);
  p.version_text = std::string(v);
  while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
  p.version = std::string(v);
  p.name = digits < stem.size() ? std::string(stem.substr(digits + 1)) : "";
  return p;
}

}  // namespace

bool version_less(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

Result<Migration> parse_file(std::string_view file_name, std::string_view path, std::string text) {
  auto parts = split_name(file_name, path);
  if (!parts) return parts.error();
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // editors on Windows add a BOM
  if (size_t at = first_bad_byte(text); at != std::string::npos)
    return bad_migrations(at_line(path, line_of(text, at)) +
               (text[at] == '\0' ? ": NUL byte in SQL" : ": not valid UTF-8"));

  Migration m;
  m.version = parts->version;
  m.version_text = parts->version_text;
  m.name = parts->name;
  if (parts->kind != "single") {
    Section& s = parts->kind == "up" ? m.up : m.down;
    s.present = true;
    s.path = std::string(path);
    s.sql = std::move(text);
    if (sql::is_blank(s.sql)) s.sql.clear();
    if (parts->kind == "up") m.checksum = checksum_of(m.up.sql);
    return m;
  }

  auto markers = find_markers(text, path);
  if (!markers) return markers.error();
  const Marker* up = nullptr;
  const Marker* down = nullptr;
  for (const Marker& mk : *markers) {
    const Marker*& slot = mk.is_up ? up : down;
    if (slot)
      return bad_migrations(at_line(path, mk.line) + ": second -- migrate:" + (mk.is_up ? "up" : "down") +
                 " marker (the first is on line " + std::to_string(slot->line) + ")");
    slot = &mk;
  }
  if (!up) return bad_migrations(at_line(path, 1) + ": no -- migrate:up marker; a migration file starts with -- migrate:up");
  if (down && down->line < up->line)
    return bad_migrations(at_line(path, down->line) + ": -- migrate:down comes before -- migrate:up (line " +
               std::to_string(up->line) + ")");
  if (!sql::is_blank(std::string_view(text).substr(0, up->line_begin)))
    return bad_migrations(at_line(path, 1) + ": SQL before the -- migrate:up marker (line " + std::to_string(up->line) + ")");

  auto fill = [&](Section& s, const Marker& mk, std::string sql) {
    s.present = true;
    s.path = std::string(path);
    s.first_line = mk.line + 1;
    s.sql = std::move(sql);
    // The marker makes the section present, as in dbmate; a down of blanks and comments (an
    // irreversible data fix, what `schemagate new` writes) has nothing to run: `down` removes the
    // row alone (SPEC §2), so its SQL is left empty, as a blank .down.sql's is.
    if (!mk.is_up && sql::is_blank(s.sql)) {
      s.sql.clear();
      return;
    }
    s.transaction_false = !mk.transactional;
  };
  if (down) fill(m.down, *down, text.substr(down->body_begin));
  // The up section is cut out of the file's text in place, not copied: a data migration of 50 MB
  // would otherwise be held twice.
  text.resize(down ? down->line_begin : text.size());
  text.erase(0, up->body_begin);
  fill(m.up, *up, std::move(text));
  m.checksum = checksum_of(m.up.sql);
  return m;
}

std::string checksum_of(std::string_view up_sql) {
  if (up_sql.find(kAckMarker) == std::string_view::npos) return sha256_hex(up_sql);
  std::string kept;
  kept.reserve(up_sql.size());
  for (size_t begin = 0; begin < up_sql.size();) {
    size_t end = up_sql.find('\n', begin);
    end = end == std::string_view::npos ? up_sql.size() : end + 1;
    std::string_view line = up_sql.substr(begin, end - begin);
    size_t text = line.find_first_not_of(" \t");
    if (text == std::string_view::npos || line.substr(text).rfind(kAckMarker, 0) != 0) kept += line;
    begin = end;
  }
  return sha256_hex(kept);
}

Result<std::vector<Migration>> read_dir(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return bad_migrations("migrations directory \"" + dir + "\": " + ec.message());
  std::vector<fs::path> files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return bad_migrations("migrations directory \"" + dir + "\": " + ec.message());
    if (it->path().extension() == ".sql") files.push_back(it->path());
  }
  if (ec) return bad_migrations("migrations directory \"" + dir + "\": " + ec.message());
  std::sort(files.begin(), files.end());

  std::map<std::string, Migration, decltype(&version_less)> by_version(&version_less);
  std::map<std::string, bool> is_single;  // by version: from a file with markers
  for (const fs::path& file : files) {
    std::string path = file.string();
    // The name is stored in the tracking table as text: PostgreSQL would refuse it (22021) in the
    // middle of applying, and JSON output could not carry it.
    if (first_invalid_utf8(file.filename().string()) != std::string::npos)
      return bad_migrations(escape_controls(path) + ": the file name is not valid UTF-8; rename the file");
    auto content = read_file(path);
    if (!content) return bad_migrations(path + ": cannot read: " + content.error().message);
    auto m = parse_file(file.filename().string(), path, std::move(*content));
    if (!m) return m.error();
    bool single = !file.stem().string().ends_with(".up") && !file.stem().string().ends_with(".down");
    std::string version = m->version;
    auto [slot, inserted] = by_version.try_emplace(version, std::move(*m));
    if (inserted) {
      is_single[version] = single;
      continue;
    }
    // A version seen before: only the other half of an up/down pair may join it.
    Migration& have = slot->second;
    Section& theirs = m->up.present ? m->up : m->down;
    Section& mine = m->up.present ? have.up : have.down;
    if (single || is_single[m->version] || mine.present) {
      const std::string& other = have.up.present ? have.up.path : have.down.path;
      return bad_migrations(path + ": duplicate version " + m->version + " (also " + other + ")");
    }
    mine = std::move(theirs);
    if (m->up.present) {
      have.checksum = m->checksum;
      have.name = m->name;
    }
  }
  std::vector<Migration> out;
  for (auto& [version, m] : by_version) {
    if (!m.up.present) return bad_migrations(m.down.path + ": a .down.sql without its .up.sql (version " + version + ")");
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace schemagate::migrate
