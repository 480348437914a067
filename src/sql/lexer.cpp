#include "sql/lexer.h"

#include <cctype>
#include <string>

namespace schemagate::sql {
namespace {

bool is_ident_start(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool is_ident_char(char c) {
  return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Reads the SQL text as the server's lexer does, one token class at a time, and psql's lines
// where psql would take them.
class Scanner {
 public:
  explicit Scanner(std::string_view sql) : s_(sql) {}

  // Length of the (nested) block comment the text starts with.
  size_t block_comment_length() {
    skip_block_comment();
    return i_;
  }

  bool ended_open() const { return open_; }

  std::vector<Piece> run() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '-' && peek(1) == '-') {
        skip_line_comment();
        continue;
      } else if (c == '/' && peek(1) == '*') {
        skip_block_comment();
        continue;
      } else if (c == '\\' && !token_seen_) {
        meta_command();
        continue;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
        continue;
      } else if (c == '\'') {
        skip_quoted('\'', false);
      } else if (c == '"') {
        skip_quoted('"', false);
      } else if ((c == 'e' || c == 'E') && peek(1) == '\'' && !after_ident()) {
        ++i_;
        skip_quoted('\'', true);
      } else if (c == '$' && !after_ident() && dollar_tag_length() > 0) {
        skip_dollar_quote();
      } else if (is_ident_start(c) && !after_ident()) {
        word();
      } else if (c == '(') {
        ++paren_depth_;
        ++i_;
      } else if (c == ')') {
        if (paren_depth_ > 0) --paren_depth_;
        ++i_;
      } else if (c == ';' && atomic_depth_ == 0 && paren_depth_ == 0) {
        bool copy_in = copy_in_;
        finish(i_);
        ++i_;
        restart(i_);
        if (copy_in) copy_data();
        continue;
      } else {
        ++i_;
      }
      token_seen_ = true;  // a backslash from here on is no longer at a statement's start
    }
    finish(s_.size());
    return out_;
  }

 private:
  char peek(size_t ahead) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  bool after_ident() const { return i_ > 0 && is_ident_char(s_[i_ - 1]); }

  void restart(size_t at) {
    start_ = at;
    words_ = 0;
    routine_ = false;
    copy_ = false;
    copy_in_ = false;
    paren_depth_ = 0;
    token_seen_ = false;
  }

  void finish(size_t end) {
    std::string_view text = s_.substr(start_, end - start_);
    if (is_blank(text)) return;
    Piece p{Piece::Kind::statement, text, start_};
    p.copy_in = copy_in_;
    out_.push_back(p);
  }

  // psql reads a backslash line itself: it ends at the end of the line, whatever it holds.
  void meta_command() {
    size_t end = s_.find('\n', i_);
    if (end == std::string_view::npos) end = s_.size();
    std::string_view line = s_.substr(i_, end - i_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out_.push_back({Piece::Kind::meta_command, line, i_});
    i_ = end;
    restart(i_);
  }

  // After COPY ... FROM STDIN; psql sends the lines that follow as data, up to a line `\.`.
  void copy_data() {
    Piece& copy = out_.back();
    size_t eol = s_.find('\n', i_);
    if (eol == std::string_view::npos) eol = s_.size();
    std::string_view rest = s_.substr(i_, eol - i_);
    copy.text_after = !is_blank(rest);
    size_t begin = eol == s_.size() ? eol : eol + 1;
    size_t line = begin;
    Piece data{Piece::Kind::copy_data, {}, begin};
    data.ended = false;
    while (line < s_.size()) {
      size_t end = s_.find('\n', line);
      size_t next = end == std::string_view::npos ? s_.size() : end + 1;
      std::string_view text = s_.substr(line, (end == std::string_view::npos ? s_.size() : end) - line);
      if (text == "\\." || text == "\\.\r") {
        data.ended = true;
        data.text = s_.substr(begin, line - begin);
        out_.push_back(data);
        i_ = next;
        restart(i_);
        return;
      }
      line = next;
    }
    data.text = s_.substr(begin);
    out_.push_back(data);
    i_ = s_.size();
    restart(i_);
  }

  void skip_line_comment() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
  }

  void skip_block_comment() {
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
      } else if (s_[i_] == '*' && peek(1) == '/') {
        i_ += 2;
        if (--depth == 0) return;
      } else {
        ++i_;
      }
    }
    open_ = true;
  }

  // 'it''s', "a""b"; with backslashes, E'it\'s'.
  void skip_quoted(char quote, bool backslashes) {
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (backslashes && c == '\\') {
        i_ += 2;
      } else if (c == quote && peek(1) == quote) {
        i_ += 2;
      } else if (c == quote) {
        ++i_;
        return;
      } else {
        ++i_;
      }
    }
    open_ = true;
  }

  // Length of a "$tag$" opener at i_, or 0 when this '$' starts none ($1 is a parameter).
  size_t dollar_tag_length() const {
    size_t j = i_ + 1;
    if (j < s_.size() && s_[j] == '$') return 2;
    if (j >= s_.size() || !is_ident_start(s_[j])) return 0;
    while (j < s_.size() && (is_ident_start(s_[j]) || std::isdigit(static_cast<unsigned char>(s_[j])))) ++j;
    return j < s_.size() && s_[j] == '$' ? j - i_ + 1 : 0;
  }

  void skip_dollar_quote() {
    std::string_view tag = s_.substr(i_, dollar_tag_length());
    size_t close = s_.find(tag, i_ + tag.size());
    open_ = close == std::string_view::npos;
    i_ = open_ ? s_.size() : close + tag.size();
  }

  // Keywords matter for two things: SQL-standard routine bodies (CREATE FUNCTION ... BEGIN ATOMIC
  // ... END holds semicolons, and CASE ... END nests inside it), and COPY ... FROM STDIN, whose data
  // follows its semicolon.
  void word() {
    size_t begin = i_;
    while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
    std::string_view w = s_.substr(begin, i_ - begin);
    ++words_;
    if (words_ == 1) {
      creating_ = iequals(w, "create");
      copy_ = iequals(w, "copy");
      last_word_from_ = false;
      return;
    }
    if (copy_ && paren_depth_ == 0) {
      if (last_word_from_ && iequals(w, "stdin")) copy_in_ = true;
      last_word_from_ = iequals(w, "from");
    }
    if (creating_ && words_ <= 4 && (iequals(w, "function") || iequals(w, "procedure"))) routine_ = true;
    if (!routine_) return;
    if (iequals(w, "atomic") && last_word_begin_) {
      atomic_depth_ = 1;
    } else if (atomic_depth_ > 0 && iequals(w, "case")) {
      ++atomic_depth_;
    } else if (atomic_depth_ > 0 && iequals(w, "end")) {
      --atomic_depth_;
    }
    last_word_begin_ = iequals(w, "begin");
  }

  std::string_view s_;
  size_t i_ = 0;
  size_t start_ = 0;
  int words_ = 0;
  int paren_depth_ = 0;
  bool creating_ = false;
  bool routine_ = false;
  bool last_word_begin_ = false;
  int atomic_depth_ = 0;
  bool copy_ = false;
  bool copy_in_ = false;
  bool last_word_from_ = false;
  bool token_seen_ = false;
  bool open_ = false;
  std::vector<Piece> out_;
};

}  // namespace

std::vector<Piece> pieces(std::string_view script) { return Scanner(script).run(); }

std::vector<Piece> split(std::string_view sql) {
  std::vector<Piece> out;
  for (const Piece& p : pieces(sql))
    if (p.kind == Piece::Kind::statement) out.push_back(p);
  return out;
}

bool is_complete(std::string_view sql) {
  Scanner scan(sql);
  scan.run();
  return !scan.ended_open();
}

std::string_view without_leading_comments(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      Scanner comment(sql.substr(i));
      i += comment.block_comment_length();
    } else {
      break;
    }
  }
  return sql.substr(i);
}

bool is_blank(std::string_view sql) { return without_leading_comments(sql).empty(); }

}  // namespace schemagate::sql
