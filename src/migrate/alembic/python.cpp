#include "migrate/alembic/python.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "migrate/alembic/text.h"

namespace schemagate::migrate::alembic {
namespace {

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

// The names a revision file's graph is read from; the last top-level assignment to each wins.
struct Assignments {
  std::optional<Assignment> revision, down_revision, branch_labels, depends_on;

  std::optional<Assignment>* slot(std::string_view name) {
    if (name == "revision") return &revision;
    if (name == "down_revision") return &down_revision;
    if (name == "branch_labels") return &branch_labels;
    if (name == "depends_on") return &depends_on;
    return nullptr;
  }
};

Assignments find_assignments(const std::vector<LogicalLine>& lines) {
  Assignments found;
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
      for (const Token& target : targets)
        if (auto* slot = found.slot(target.text)) *slot = Assignment{value, target.line};
    }
  }
  return found;
}

// branch_labels or depends_on, read as Alembic's util.to_tuple reads them: absent or None is
// none, a string is one, a tuple or list is each of its strings, repeats kept (the graph decides
// what a repeat means, as Alembic's RevisionMap does).
Status read_optional_list(std::string_view path, const std::optional<Assignment>& assignment,
                          std::string_view name, std::vector<std::string>& out, int& line) {
  if (!assignment) return {};
  auto literal = literal_of(assignment->value);
  if (!literal)
    return bad_migrations(at_line(path, assignment->line) + ": " + std::string(name) +
                          " must be None, a string literal or a tuple of them (read without running Python)");
  out = std::move(literal->strings);
  line = assignment->line;
  return {};
}

}  // namespace

Result<Revision> parse_revision(std::string_view path, std::string text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  auto lines = Tokenizer(text, path).lines();
  if (!lines) return lines.error();
  Assignments found = find_assignments(*lines);
  const std::optional<Assignment>& revision = found.revision;
  const std::optional<Assignment>& down_revision = found.down_revision;

  Revision r;
  r.path = std::string(path);
  if (!revision)
    return bad_migrations(
        at_line(path, 1) +
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

  Status lists =
      read_optional_list(path, found.depends_on, "depends_on", r.dependencies, r.dependencies_line);
  if (lists)
    lists = read_optional_list(path, found.branch_labels, "branch_labels", r.branch_labels, r.labels_line);
  if (!lists) return lists.error();
  return r;
}

}  // namespace schemagate::migrate::alembic
