#include "sql/statements.h"

#include <cctype>

#include "sql/keywords.h"
#include "sql/lexer.h"
#include "sql/parser.h"

namespace schemagate::sql {
namespace {

// Statements whose kind is plain whatever follows their first word: in a script too large to
// parse whole, these (the bulk of a data load) are not parsed one by one either.
bool is_plain_dml(std::string_view statement) {
  std::string_view text = without_leading_comments(statement);
  size_t n = 0;
  while (n < text.size() && std::isalpha(static_cast<unsigned char>(text[n]))) ++n;
  std::string word(text.substr(0, n));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word == "insert" || word == "update" || word == "delete" || word == "select" || word == "values";
}

// The grammar ends a statement at its semicolon, but after an empty statement (`a;;b`) it counts
// the first semicolon into the statement before it.
std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == ';' || std::isspace(static_cast<unsigned char>(text.back()))))
    text.remove_suffix(1);
  return text;
}

Statement at(std::string_view text, size_t offset, Kind kind) {
  Statement s;
  s.text = text;
  s.offset = offset;
  s.kind = kind;
  return s;
}

Statement one(std::string_view text, size_t offset, bool parse) {
  Statement s = at(text, offset, Kind::plain);
  if (auto kind = parse ? parser::kind_of(text) : std::nullopt) {
    s.kind = *kind;
  } else {
    s.kind = guess_kind(text);
    s.understood = false;
  }
  return s;
}

// A run of statements with no COPY data or backslash line inside it: by the grammar when it can
// read the run whole, else by its scanner with each statement parsed alone, else by the lexer.
void add_run(std::string_view script, const Piece* first, const Piece* last, std::vector<Statement>& out) {
  const size_t begin = first->offset;
  const std::string_view run = script.substr(begin, last->offset + last->text.size() - begin);
  const bool whole = run.size() <= kWholeScriptLimit;
  const size_t before = out.size();
  if (auto parsed = whole ? parser::parse(run) : std::nullopt) {
    for (const parser::Parsed& p : *parsed) {
      std::string_view text = trimmed(run.substr(p.begin, p.end - p.begin));
      if (!is_blank(text)) out.push_back(at(text, begin + p.begin, p.kind));
    }
  } else if (auto scanned = whole ? parser::scan(run) : std::nullopt) {
    for (auto [b, e] : *scanned) {
      std::string_view text = trimmed(run.substr(b, e - b));
      if (!is_blank(text)) out.push_back(one(text, begin + b, true));
    }
  } else {
    for (const Piece* p = first; p <= last; ++p) out.push_back(one(p->text, p->offset, whole || !is_plain_dml(p->text)));
  }
  // The lexer saw COPY ... FROM STDIN end the run: its data follows, whatever the parser made of it.
  if (last->copy_in && out.size() > before) {
    out.back().kind = Kind::copy_in;
    out.back().text_after = last->text_after;
  }
}

}  // namespace

std::vector<Statement> statements(std::string_view script) {
  const std::vector<Piece> all = pieces(script);
  std::vector<Statement> out;
  for (size_t i = 0; i < all.size();) {
    const Piece& p = all[i];
    if (p.kind == Piece::Kind::meta_command) {
      out.push_back(at(p.text, p.offset, Kind::meta_command));
      ++i;
    } else if (p.kind == Piece::Kind::copy_data) {
      if (!out.empty() && out.back().kind == Kind::copy_in) {
        out.back().data = p.text;
        out.back().data_offset = p.offset;
        out.back().data_ended = p.ended;
      }
      ++i;
    } else {
      size_t j = i;
      while (j < all.size() && all[j].kind == Piece::Kind::statement && !(j > i && all[j - 1].copy_in)) ++j;
      add_run(script, &all[i], &all[j - 1], out);
      i = j;
    }
  }
  // A script that ends inside a block comment or a quote would have it dropped as blank: sent as
  // written, the server says what is wrong with it, where.
  if (!is_complete(script)) {
    size_t end = 0;
    if (!out.empty()) end = std::max(out.back().offset + out.back().text.size(), out.back().data_offset + out.back().data.size());
    size_t begin = script.find_first_not_of("; \t\r\n", end);
    if (begin != std::string_view::npos) {
      Statement tail = at(script.substr(begin), begin, Kind::plain);
      tail.understood = false;
      out.push_back(tail);
    }
  }
  return out;
}

bool controls_transactions(Kind kind) {
  return kind == Kind::begin || kind == Kind::commit || kind == Kind::prepare || kind == Kind::rollback ||
         kind == Kind::savepoint || kind == Kind::routine;
}

std::string first_line(std::string_view statement) {
  std::string_view t = without_leading_comments(statement);
  std::string first(t.substr(0, t.find('\n')));
  if (first.size() > 80) first = first.substr(0, 77) + "...";
  return first;
}

}  // namespace schemagate::sql
