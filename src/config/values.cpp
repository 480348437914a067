#include "config/values.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace schemagate::config {
namespace {

constexpr int kMaxCount = 1'000'000;
constexpr milliseconds kMaxDuration = std::chrono::hours(24 * 7);

}  // namespace

Result<int> parse_count(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return config_error("not a non-negative integer");
  text.remove_prefix(std::min(text.find_first_not_of('0'), text.size() - 1));
  if (text.size() > 7 || std::stoi(std::string(text)) > kMaxCount)
    return config_error("too large (at most " + std::to_string(kMaxCount) + ")");
  return std::stoi(std::string(text));
}

Result<milliseconds> parse_duration(std::string_view text) {
  auto bad = config_error("not a duration (seconds such as 2 or 0.5, or with a unit: 500ms, 5s, 2m, 1h)");
  size_t digits_end = text.find_first_not_of("0123456789.");
  std::string_view number = text.substr(0, digits_end);
  std::string_view unit = digits_end == std::string_view::npos ? "" : text.substr(digits_end);
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      std::count(number.begin(), number.end(), '.') > 1)
    return bad;
  double scale = 1000;
  if (unit == "ms") scale = 1;
  else if (unit == "" || unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else return bad;
  double ms = std::strtod(std::string(number).c_str(), nullptr) * scale;
  if (ms > static_cast<double>(kMaxDuration.count())) return config_error("too large (at most 7 days)");
  // Zero means "no limit" for the timeout: a tiny value must not turn into that by rounding.
  if (ms > 0 && ms < 1) return config_error("too small (under 1 ms; 0 means none)");
  return milliseconds(static_cast<long long>(std::llround(ms)));
}

Result<bool> parse_bool(std::string_view text) {
  std::string v = lower(text);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return config_error("not a boolean (true/false, 1/0, yes/no)");
}

Result<std::vector<std::string>> parse_command_line(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return config_error("unterminated ' quote");
      word.append(text.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos)
          ++i;
        word += text[i];
      }
      if (i >= text.size()) return config_error("unterminated \" quote");
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<std::vector<TableName>> parse_table_list(std::string_view text) {
  std::vector<TableName> out;
  bool in_quotes = false;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '"') in_quotes = !in_quotes;
    if (i < text.size() && (in_quotes || text[i] != ',')) continue;
    std::string_view item = text.substr(start, i - start);
    start = i + 1;
    // Blank items (a trailing comma left by templating) name nothing.
    if (item.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto name = parse_table_name(item);
    if (!name) return name.error();
    out.push_back(*name);
  }
  return out;
}

std::string show_duration(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string show_bool(bool b) { return b ? "true" : "false"; }

std::string show_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) {
    if (!out.empty()) out += ' ';
    out += word.find_first_of(" \t'\"\\") == std::string::npos && !word.empty() ? word : "'" + word + "'";
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace schemagate::config
