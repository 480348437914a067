#include "migrate/alembic.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "util/file.h"

namespace schemagate::migrate::alembic {
namespace {

namespace fs = std::filesystem;


std::string at_line(std::string_view path, int line) {
  return std::string(path) + ":" + std::to_string(line);
}

std::string single_quoted(std::string_view id) { return "'" + std::string(id) + "'"; }

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (is_blank_char(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_blank_char(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// ---------------------------------------------------------------------------------------------
// alembic.ini, read as Python's configparser (Alembic's reader) reads it.

struct IniValue {
  std::string text;
  int line = 0;
};
using IniSection = std::map<std::string, IniValue>;  // keys lower-cased, as configparser's optionxform does

struct Ini {
  std::string path;
  std::map<std::string, IniSection> sections;
};

Result<Ini> parse_ini(std::string_view text, const std::string& path) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Ini ini{path, {}};
  IniSection* section = nullptr;
  std::string section_name;
  std::map<std::string, int> section_lines;
  IniValue* open = nullptr;  // the value indented lines continue
  size_t open_indent = 0;
  int line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line;
    size_t indent = 0;
    while (indent < raw.size() && is_blank_char(raw[indent])) ++indent;
    std::string_view body = trimmed(raw);
    // configparser: blank and comment lines neither end a multi-line value nor belong to it.
    if (body.empty() || body.front() == '#' || body.front() == ';') continue;
    if (open && indent > open_indent) {
      open->text += "\n";
      open->text += body;
      continue;
    }
    open = nullptr;
    if (body.front() == '[') {
      size_t close = body.rfind(']');
      if (close != std::string_view::npos && close >= 2) {
        section_name = std::string(body.substr(1, close - 1));
        if (auto [first, inserted] = section_lines.emplace(section_name, line); !inserted)
          return config_error(at_line(path, line) + ": section [" + section_name +
                        "] appears twice (first on line " + std::to_string(first->second) + ")");
        section = &ini.sections[section_name];
        continue;
      }
    }
    if (!section) return config_error(at_line(path, line) + ": a key before any [section]");
    size_t delimiter = body.find_first_of("=:");
    std::string key = delimiter == std::string_view::npos ? "" : lower(trimmed(body.substr(0, delimiter)));
    if (key.empty()) return config_error(at_line(path, line) + ": expected key = value or [section]");
    IniValue value{std::string(trimmed(body.substr(delimiter + 1))), line};
    auto [slot, inserted] = section->emplace(key, value);
    if (!inserted)
      return config_error(at_line(path, line) + ": " + key + " is set twice in [" + section_name +
                    "] (first on line " + std::to_string(slot->second.line) + ")");
    open = &slot->second;
    open_indent = indent;
  }
  return ini;
}

// configparser's BasicInterpolation: %(key)s from the same section or [DEFAULT], %% for %.
// Alembic gives `here` as a default: the ini file's directory.
class Settings {
 public:
  Settings(const Ini& ini, std::string section, std::string here)
      : ini_(ini), section_(std::move(section)), here_(std::move(here)) {}

  const std::string& ini_path() const { return ini_.path; }

  // The interpolated value and its line, or nullopt when the key is not set.
  Result<std::optional<IniValue>> get(const std::string& key) const {
    const IniValue* raw = find(key);
    if (!raw) return std::optional<IniValue>();
    auto text = interpolate(key, raw->text, raw->line, 1);
    if (!text) return text.error();
    return std::optional<IniValue>(IniValue{std::move(*text), raw->line});
  }

 private:
  const IniValue* find(const std::string& key) const {
    for (const std::string& name : {section_, std::string("DEFAULT")}) {
      auto s = ini_.sections.find(name);
      if (s == ini_.sections.end()) continue;
      if (auto v = s->second.find(key); v != s->second.end()) return &v->second;
    }
    return nullptr;
  }

  Result<std::string> interpolate(const std::string& key, std::string_view raw, int line, int depth) const {
    // Python stops at the same depth: a value that refers to itself would never end.
    if (depth > 10)
      return config_error(at_line(ini_.path, line) + ": " + key + ": interpolation nests deeper than 10 (a loop?)");
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        out += raw[i];
        continue;
      }
      if (i + 1 < raw.size() && raw[i + 1] == '%') {
        out += '%';
        ++i;
        continue;
      }
      size_t close = raw.find(')', i);
      if (i + 1 >= raw.size() || raw[i + 1] != '(' || close == std::string_view::npos ||
          close + 1 >= raw.size() || raw[close + 1] != 's')
        return config_error(at_line(ini_.path, line) + ": " + key + ": '%' must be followed by '%' or '(name)s'");
      std::string name = lower(raw.substr(i + 2, close - i - 2));
      if (const IniValue* value = find(name)) {
        auto text = interpolate(key, value->text, line, depth + 1);
        if (!text) return text.error();
        out += *text;
      } else if (name == "here") {
        out += here_;
      } else {
        return config_error(at_line(ini_.path, line) + ": " + key + ": %(" + name + ")s names no key of [" +
                      section_ + "] or [DEFAULT]");
      }
      i = close + 1;
    }
    return out;
  }

  const Ini& ini_;
  std::string section_;
  std::string here_;
};

// A location as Alembic would use it, but relative to the ini's directory (see the header).
Result<fs::path> resolve_location(const Ini& ini, const IniValue& value, std::string_view key,
                                  std::string_view location) {
  fs::path path(location);
  // Alembic reads "package:dir" as a directory inside an installed Python package; finding it
  // needs Python's import machinery.
  if (!path.is_absolute() && location.find(':') != std::string_view::npos)
    return config_error(
        at_line(ini.path, value.line) + ": " + std::string(key) + " \"" + std::string(location) +
        "\" names a directory in a Python package; schemagate needs a path (e.g. %(here)s/migrations)");
  return (fs::path(ini.path).parent_path() / path).lexically_normal();
}

// Why path is not a readable directory, or empty when it is one.
std::string not_a_directory(const fs::path& path) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec) return ec.message();
  if (!fs::is_directory(status)) return "Not a directory";
  return {};
}

// version_locations split as Alembic splits it.
Result<std::vector<std::string>> split_locations(const Settings& settings, const IniValue& locations) {
  std::optional<IniValue> separator;
  std::string separator_key;
  for (std::string key : {"path_separator", "version_path_separator"}) {
    auto value = settings.get(key);
    if (!value) return value.error();
    if (*value) {
      separator = **value;
      separator_key = key;
      break;
    }
  }
  std::vector<std::string> out;
  if (!separator) {
    // Alembic's legacy splitting, on commas and runs of spaces.
    std::string item;
    for (char c : locations.text) {
      if (c == ',' || is_blank_char(c) || c == '\n') {
        if (!item.empty()) out.push_back(std::move(item));
        item.clear();
      } else {
        item += c;
      }
    }
    if (!item.empty()) out.push_back(std::move(item));
    return out;
  }
  static const std::map<std::string, char> kSeparators = {
      {"space", ' '}, {"newline", '\n'}, {"os", ':'}, {":", ':'}, {";", ';'}};
  auto sep = kSeparators.find(separator->text);
  if (sep == kSeparators.end())
    return config_error(at_line(settings.ini_path(), separator->line) + ": " + separator_key + " \"" +
                  separator->text + "\": expected space, newline, os, : or ;");
  size_t begin = 0;
  const std::string& text = locations.text;
  while (begin <= text.size()) {
    size_t end = text.find(sep->second, begin);
    if (end == std::string::npos) end = text.size();
    std::string_view item = trimmed(std::string_view(text).substr(begin, end - begin));
    if (!item.empty()) out.emplace_back(item);
    begin = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Revision files: just enough of Python's tokenizer to find top-level statements.

struct Token {
  enum class Kind { Name, String, Op };
  Kind kind;
  std::string text;    // the name, the operator, or the string's value
  std::string prefix;  // a string's prefix letters, lower-cased: "", "r", "u", "b", "f", "rb", ...
  int line;
};

// One logical line: physical lines joined by open brackets or a trailing backslash.
struct LogicalLine {
  std::vector<Token> tokens;
  bool at_column_zero = false;  // a module-level statement, not the body of a def, if or class
};

bool is_name_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || u >= 0x80;
}

bool is_string_prefix(std::string_view name) {
  if (name.size() > 2) return false;
  std::string p = lower(name);
  static const std::set<std::string> kPrefixes = {"r", "u", "b", "f", "br", "rb", "fr", "rf"};
  return kPrefixes.count(p) > 0;
}

char escaped(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case '0':
      return '\0';
    default:
      return c;
  }
}

class Tokenizer {
 public:
  Tokenizer(std::string_view text, std::string_view path) : text_(text), path_(path) {}

  Result<std::vector<LogicalLine>> lines() {
    std::vector<LogicalLine> out;
    LogicalLine current;
    size_t line_begin = 0;
    int depth = 0;
    auto finish = [&] {
      if (!current.tokens.empty()) out.push_back(std::move(current));
      current = LogicalLine();
    };
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (c == '\n') {
        ++line_;
        line_begin = ++i_;
        if (depth == 0) finish();
        continue;
      }
      if (is_blank_char(c)) {
        ++i_;
        continue;
      }
      if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
        continue;
      }
      if (c == '\\') {
        size_t next = i_ + 1;
        if (next < text_.size() && text_[next] == '\r') ++next;
        if (next < text_.size() && text_[next] == '\n') {
          ++line_;
          i_ = line_begin = next + 1;
          continue;
        }
      }
      if (current.tokens.empty()) current.at_column_zero = i_ == line_begin;
      if (c == '\'' || c == '"') {
        auto value = string_literal("");
        if (!value) return value.error();
        current.tokens.push_back(std::move(*value));
        continue;
      }
      if (is_name_char(c)) {
        int line = line_;
        size_t begin = i_;
        while (i_ < text_.size() && is_name_char(text_[i_])) ++i_;
        std::string_view name = text_.substr(begin, i_ - begin);
        if (i_ < text_.size() && (text_[i_] == '\'' || text_[i_] == '"') && is_string_prefix(name)) {
          auto value = string_literal(lower(name));
          if (!value) return value.error();
          current.tokens.push_back(std::move(*value));
        } else {
          current.tokens.push_back(Token{Token::Kind::Name, std::string(name), {}, line});
        }
        continue;
      }
      std::string op(1, c);
      ++i_;
      // `==`, `+=`, `:=` and the like are one token: none of them is an assignment's `=`.
      if (i_ < text_.size() && text_[i_] == '=' &&
          std::string_view("=!<>+-*/%&|^@:").find(c) != std::string_view::npos)
        op += text_[i_++];
      if (c == '(' || c == '[' || c == '{') ++depth;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
      current.tokens.push_back(Token{Token::Kind::Op, std::move(op), {}, line_});
    }
    finish();
    return out;
  }

 private:
  // At the opening quote; prefix as read before it.
  Result<Token> string_literal(std::string prefix) {
    int start_line = line_;
    char quote = text_[i_];
    bool triple = text_.substr(i_, 3) == std::string(3, quote);
    bool raw = prefix.find('r') != std::string::npos;
    i_ += triple ? 3 : 1;
    std::string value;
    for (;;) {
      if (i_ >= text_.size()) return unterminated(start_line, triple);
      char c = text_[i_];
      if (c == '\\' && i_ + 1 < text_.size()) {
        char next = text_[i_ + 1];
        if (next == '\n') ++line_;
        if (raw) {
          value += c;
          value += next;
        } else if (next != '\n') {
          value += escaped(next);
        }
        i_ += 2;
        continue;
      }
      if (c == quote && (!triple || text_.substr(i_, 3) == std::string(3, quote))) {
        i_ += triple ? 3 : 1;
        return Token{Token::Kind::String, std::move(value), std::move(prefix), start_line};
      }
      if (c == '\n') {
        if (!triple) return unterminated(start_line, triple);
        ++line_;
      }
      value += c;
      ++i_;
    }
  }

  Error unterminated(int line, bool triple) const {
    return bad_migrations(at_line(path_, line) +
               (triple ? ": unterminated triple-quoted string" : ": unterminated string"));
  }

  std::string_view text_;
  std::string_view path_;
  size_t i_ = 0;
  int line_ = 1;
};

bool is_op(const Token& t, std::string_view op) { return t.kind == Token::Kind::Op && t.text == op; }

// Splits tokens at op where brackets are balanced.
std::vector<std::vector<Token>> split_at(const std::vector<Token>& tokens, std::string_view op) {
  std::vector<std::vector<Token>> parts(1);
  int depth = 0;
  for (const Token& t : tokens) {
    if (t.kind == Token::Kind::Op && (t.text == "(" || t.text == "[" || t.text == "{")) ++depth;
    if (t.kind == Token::Kind::Op && (t.text == ")" || t.text == "]" || t.text == "}")) --depth;
    if (depth == 0 && is_op(t, op)) {
      parts.emplace_back();
      continue;
    }
    parts.back().push_back(t);
  }
  return parts;
}

// The value of `revision` or `down_revision`, read as a literal.
struct Literal {
  bool is_none = false;
  bool is_single_string = false;  // 'a' or ('a'), not ('a',) or ['a']
  std::vector<std::string> strings;
};

// Adjacent string literals concatenate, as in Python; f-strings and bytes are not ids.
std::optional<std::string> string_of(const std::vector<Token>& tokens) {
  if (tokens.empty()) return std::nullopt;
  std::string out;
  for (const Token& t : tokens) {
    if (t.kind != Token::Kind::String) return std::nullopt;
    if (t.prefix.find_first_of("bf") != std::string::npos) return std::nullopt;
    out += t.text;
  }
  return out;
}

std::optional<Literal> literal_of(std::vector<Token> tokens) {
  Literal lit;
  if (tokens.size() == 1 && tokens[0].kind == Token::Kind::Name && tokens[0].text == "None") {
    lit.is_none = true;
    return lit;
  }
  bool bracketed = false;
  bool is_list = false;
  if (tokens.size() >= 2 && ((is_op(tokens.front(), "(") && is_op(tokens.back(), ")")) ||
                             (is_op(tokens.front(), "[") && is_op(tokens.back(), "]")))) {
    // Only when the first bracket closes at the end: ("a") + ("b") is not one group.
    int depth = 0;
    bool closes_early = false;
    for (size_t k = 0; k < tokens.size(); ++k) {
      const Token& t = tokens[k];
      if (t.kind == Token::Kind::Op && (t.text == "(" || t.text == "[" || t.text == "{")) ++depth;
      if (t.kind == Token::Kind::Op && (t.text == ")" || t.text == "]" || t.text == "}")) --depth;
      if (depth == 0 && k + 1 < tokens.size()) closes_early = true;
    }
    if (!closes_early) {
      bracketed = true;
      is_list = is_op(tokens.front(), "[");
      tokens = std::vector<Token>(tokens.begin() + 1, tokens.end() - 1);
    }
  }
  if (tokens.empty()) {
    if (!bracketed) return std::nullopt;
    return lit;  // () or []: no parents, like None
  }
  auto items = split_at(tokens, ",");
  if (items.size() > 1 && items.back().empty()) items.pop_back();  // a trailing comma
  for (const auto& item : items) {
    auto s = string_of(item);
    if (!s) return std::nullopt;
    lit.strings.push_back(std::move(*s));
  }
  lit.is_single_string = !is_list && lit.strings.size() == 1 && split_at(tokens, ",").size() == 1;
  return lit;
}

// Lines that open a block: a statement after their `:` is not at module level.
bool opens_block(const Token& t) {
  static const std::set<std::string> kKeywords = {"if",  "elif",  "else", "for",    "while",   "with",
                                                  "def", "class", "try",  "except", "finally", "async"};
  return t.kind == Token::Kind::Name && kKeywords.count(t.text) > 0;
}

struct Assignment {
  std::vector<Token> value;
  int line = 0;
};

// The last top-level assignment to each of `revision` and `down_revision`.
void find_assignments(const std::vector<LogicalLine>& lines, std::optional<Assignment>& revision,
                      std::optional<Assignment>& down_revision) {
  for (const LogicalLine& line : lines) {
    if (!line.at_column_zero || opens_block(line.tokens.front())) continue;
    for (const std::vector<Token>& statement : split_at(line.tokens, ";")) {
      if (statement.size() < 2 || statement[0].kind != Token::Kind::Name) continue;
      std::vector<Token> targets;
      std::vector<Token> value;
      if (is_op(statement[1], ":")) {
        // An annotation (`revision: str = ...`) may hold brackets and commas but no `=`.
        auto parts = split_at(std::vector<Token>(statement.begin() + 2, statement.end()), "=");
        if (parts.size() != 2) continue;  // `revision: str` alone assigns nothing
        targets.push_back(statement[0]);
        value = std::move(parts[1]);
      } else {
        // `a = b = value` assigns to every name before the last `=`.
        auto parts = split_at(statement, "=");
        if (parts.size() < 2) continue;
        bool all_names = true;
        for (size_t k = 0; k + 1 < parts.size(); ++k) {
          all_names = all_names && parts[k].size() == 1 && parts[k][0].kind == Token::Kind::Name;
          if (all_names) targets.push_back(parts[k][0]);
        }
        if (!all_names) continue;  // `x[0] = ...`, `a, b = ...`: not a plain name
        value = std::move(parts.back());
      }
      for (const Token& target : targets) {
        if (target.text == "revision") revision = Assignment{value, target.line};
        if (target.text == "down_revision") down_revision = Assignment{value, target.line};
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the project.

// Revision files in dir as Alembic lists them: sorted, subdirectories after files and only when
// recursive, nothing from __pycache__.
Status list_revision_files(const fs::path& dir, bool recursive, std::vector<fs::path>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return config_error(dir.string() + ": cannot read: " + ec.message());
  std::vector<fs::path> files;
  std::vector<fs::path> dirs;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return config_error(dir.string() + ": cannot read: " + ec.message());
    std::error_code kind;
    if (it->is_directory(kind)) {
      if (!it->is_symlink(kind)) dirs.push_back(it->path());  // os.walk does not follow links
      continue;
    }
    std::string name = it->path().filename().string();
    if (name.ends_with(".py") && !name.starts_with(".#") && !name.starts_with("__init__"))
      files.push_back(it->path());
  }
  if (ec) return config_error(dir.string() + ": cannot read: " + ec.message());
  if (dir.filename().string().ends_with("__pycache__") ||
      (dir.filename().empty() && dir.parent_path().filename().string().ends_with("__pycache__")))
    files.clear();
  std::sort(files.begin(), files.end());
  out.insert(out.end(), files.begin(), files.end());
  if (!recursive) return {};
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& sub : dirs)
    if (auto listed = list_revision_files(sub, recursive, out); !listed) return listed.error();
  return {};
}

// The directories to read, from version_locations or <script_location>/versions.
Result<std::vector<std::string>> version_dirs(const Ini& ini, const Settings& settings, Project& project,
                                              const IniValue& script_location) {
  auto locations = settings.get("version_locations");
  if (!locations) return locations.error();
  if (!*locations || (*locations)->text.empty()) {
    if (std::string why = not_a_directory(project.versions_dir); !why.empty())
      return config_error(at_line(ini.path, script_location.line) + ": script_location \"" + script_location.text +
                    "\" has no versions directory (" + project.versions_dir + ": " + why + ")");
    return std::vector<std::string>{project.versions_dir};
  }
  const IniValue& listed = **locations;
  auto items = split_locations(settings, listed);
  if (!items) return items.error();
  std::vector<std::string> dirs;
  std::vector<std::string> missing;
  for (const std::string& item : *items) {
    auto dir = resolve_location(ini, listed, "version_locations", item);
    if (!dir) return dir.error();
    std::error_code ec;
    if (!fs::exists(*dir, ec) && !ec) {
      missing.push_back(dir->string());  // Alembic skips these: a location may be optional
      continue;
    }
    if (std::string why = not_a_directory(*dir); !why.empty())
      return config_error(at_line(ini.path, listed.line) + ": version_locations: " + dir->string() + ": " + why);
    dirs.push_back(dir->string());
  }
  if (dirs.empty())
    return config_error(at_line(ini.path, listed.line) +
                  ": version_locations: none of these directories exists: " + joined(missing, ", "));
  return dirs;
}

// Every revision is known to the project and no revision is its own ancestor.
Status check_graph(const std::vector<Revision>& revisions) {
  std::map<std::string, const Revision*> by_id;
  for (const Revision& r : revisions) {
    auto [slot, inserted] = by_id.emplace(r.id, &r);
    if (!inserted)
      return bad_migrations(at_line(r.path, r.line) + ": duplicate revision id " + single_quoted(r.id) + " (also " +
                 at_line(slot->second->path, slot->second->line) + ")");
  }
  for (const Revision& r : revisions)
    for (const std::string& parent : r.parents)
      if (!by_id.count(parent))
        return bad_migrations(at_line(r.path, r.parents_line) + ": down_revision names " + single_quoted(parent) +
                   ", which no revision file has");

  // Depth-first along parents; meeting a revision still on the path is a cycle.
  enum class Mark { Unseen, OnPath, Done };
  std::map<std::string, Mark> marks;
  for (const Revision& start : revisions) {
    if (marks[start.id] != Mark::Unseen) continue;
    std::vector<std::pair<const Revision*, size_t>> path{{&start, 0}};
    marks[start.id] = Mark::OnPath;
    while (!path.empty()) {
      auto& [rev, next] = path.back();
      if (next == rev->parents.size()) {
        marks[rev->id] = Mark::Done;
        path.pop_back();
        continue;
      }
      const Revision* parent = by_id.at(rev->parents[next++]);
      Mark& mark = marks[parent->id];
      if (mark == Mark::OnPath) {
        std::vector<std::string> cycle;
        bool in_cycle = false;
        for (const auto& step : path) {
          in_cycle = in_cycle || step.first == parent;
          if (in_cycle) cycle.push_back(step.first->id);
        }
        cycle.push_back(parent->id);
        return bad_migrations(at_line(parent->path, parent->parents_line) +
                   ": revisions form a cycle: " + joined(cycle, " -> "));
      }
      if (mark == Mark::Unseen) {
        mark = Mark::OnPath;
        path.push_back({parent, 0});
      }
    }
  }
  return {};
}

std::map<std::string, const Revision*> revisions_by_id(const Project& project) {
  std::map<std::string, const Revision*> by_id;
  for (const Revision& r : project.revisions) by_id.emplace(r.id, &r);
  return by_id;
}

}  // namespace

Result<Revision> parse_revision(std::string_view path, std::string text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  auto lines = Tokenizer(text, path).lines();
  if (!lines) return lines.error();
  std::optional<Assignment> revision;
  std::optional<Assignment> down_revision;
  find_assignments(*lines, revision, down_revision);

  Revision r;
  r.path = std::string(path);
  if (!revision)
    return bad_migrations(at_line(path, 1) +
               ": no revision id: expected a top-level assignment like revision = \"ae1027a6acf\"");
  auto id = literal_of(revision->value);
  if (!id || !id->is_single_string)
    return bad_migrations(at_line(path, revision->line) +
               ": revision must be a string literal (read without running Python)");
  if (id->strings[0].empty()) return bad_migrations(at_line(path, revision->line) + ": revision is empty");
  r.id = id->strings[0];
  r.line = revision->line;

  if (!down_revision)
    return bad_migrations(at_line(path, revision->line) +
               ": no down_revision (the first revision has down_revision = None)");
  auto parents = literal_of(down_revision->value);
  if (!parents)
    return bad_migrations(
        at_line(path, down_revision->line) +
        ": down_revision must be None, a string literal or a tuple of them (read without running Python)");
  // Alembic drops a parent named twice.
  for (std::string& parent : parents->strings)
    if (std::find(r.parents.begin(), r.parents.end(), parent) == r.parents.end())
      r.parents.push_back(std::move(parent));
  r.parents_line = down_revision->line;
  return r;
}

Result<Project> read_project(const std::string& ini_path, const std::string& section) {
  auto text = read_file(ini_path);
  if (!text) return config_error(ini_path + ": cannot read: " + text.error().message);
  auto ini = parse_ini(*text, ini_path);
  if (!ini) return ini.error();

  std::error_code ec;
  fs::path absolute = fs::absolute(ini_path, ec);
  if (ec) return config_error(ini_path + ": " + ec.message());
  Settings settings(*ini, section, absolute.lexically_normal().parent_path().string());

  Project project;
  project.ini_path = ini_path;
  auto script_location = settings.get("script_location");
  if (!script_location) return script_location.error();
  if (!*script_location || (*script_location)->text.empty())
    return config_error(ini_path + ": no script_location in [" + section + "]");
  const IniValue& location = **script_location;
  auto script_dir = resolve_location(*ini, location, "script_location", location.text);
  if (!script_dir) return script_dir.error();
  if (std::string why = not_a_directory(*script_dir); !why.empty())
    return config_error(at_line(ini_path, location.line) + ": script_location \"" + location.text + "\": " + why);
  project.versions_dir = (*script_dir / "versions").string();

  auto dirs = version_dirs(*ini, settings, project, location);
  if (!dirs) return dirs.error();
  project.version_dirs = std::move(*dirs);
  auto recursive = settings.get("recursive_version_locations");
  if (!recursive) return recursive.error();
  bool is_recursive = *recursive && (*recursive)->text == "true";

  std::vector<fs::path> files;
  for (const std::string& dir : project.version_dirs)
    if (auto listed = list_revision_files(dir, is_recursive, files); !listed) return listed.error();
  // Alembic reads a file reached through two listed locations once.
  std::set<fs::path> seen;
  for (const fs::path& file : files) {
    fs::path real = fs::canonical(file, ec);
    if (!seen.insert(ec ? file : real).second) continue;
    auto content = read_file(file.string());
    if (!content) return bad_migrations(file.string() + ": cannot read: " + content.error().message);
    auto revision = parse_revision(file.string(), std::move(*content));
    if (!revision) return revision.error();
    project.revisions.push_back(std::move(*revision));
  }
  if (auto checked = check_graph(project.revisions); !checked) return checked.error();
  return project;
}

std::vector<std::string> heads(const Project& project) {
  std::set<std::string> parents;
  for (const Revision& r : project.revisions) parents.insert(r.parents.begin(), r.parents.end());
  std::set<std::string> out;
  for (const Revision& r : project.revisions)
    if (!parents.count(r.id)) out.insert(r.id);
  return {out.begin(), out.end()};
}

Result<std::string> single_head(const Project& project) {
  std::vector<std::string> all = heads(project);
  if (all.empty()) return std::string();
  if (all.size() > 1)
    return bad_migrations("several Alembic heads: " + joined(all, ", ") + " (merge them with `alembic merge heads`)");
  return all[0];
}

Result<std::vector<std::string>> pending(const Project& project, const std::vector<std::string>& current) {
  auto by_id = revisions_by_id(project);
  std::set<std::string> applied;
  std::vector<std::string> stack;
  for (const std::string& id : current) {
    if (!by_id.count(id))
      return bad_migrations("alembic_version holds " + single_quoted(id) + ", which no revision file has");
    stack.push_back(id);
  }
  while (!stack.empty()) {
    std::string id = std::move(stack.back());
    stack.pop_back();
    auto r = by_id.find(id);
    if (r == by_id.end() || !applied.insert(id).second) continue;
    stack.insert(stack.end(), r->second->parents.begin(), r->second->parents.end());
  }

  // Post-order from each head: a revision is listed once all its parents are.
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<std::pair<const Revision*, size_t>> path;
  auto visit = [&](const std::string& id) {
    auto r = by_id.find(id);
    if (r == by_id.end() || applied.count(id) || !seen.insert(id).second) return;
    path.push_back({r->second, 0});
  };
  for (const std::string& head : heads(project)) {
    visit(head);
    while (!path.empty()) {
      auto& [rev, next] = path.back();
      if (next < rev->parents.size()) {
        const std::string& parent = rev->parents[next++];
        visit(parent);  // may grow path: rev and next are not used after this
        continue;
      }
      out.push_back(rev->id);
      path.pop_back();
    }
  }
  return out;
}

}  // namespace schemagate::migrate::alembic
