#include "migrate/alembic/ini.h"

#include <utility>

#include "migrate/alembic/text.h"

namespace schemagate::migrate::alembic {

Result<Ini> parse_ini(std::string_view text, const std::string& path) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Ini ini{path, {}};
  IniKeys* section = nullptr;
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

IniSection::IniSection(const Ini& ini, std::string section, std::string here)
    : ini_(ini), section_(std::move(section)), here_(std::move(here)) {}

Result<std::optional<IniValue>> IniSection::get(const std::string& key) const {
  const IniValue* raw = find(key);
  if (!raw) return std::optional<IniValue>();
  auto text = interpolate(key, raw->text, raw->line, 1);
  if (!text) return text.error();
  return std::optional<IniValue>(IniValue{std::move(*text), raw->line});
}

const IniValue* IniSection::find(const std::string& key) const {
  for (const std::string& name : {section_, std::string("DEFAULT")}) {
    auto s = ini_.sections.find(name);
    if (s == ini_.sections.end()) continue;
    if (auto v = s->second.find(key); v != s->second.end()) return &v->second;
  }
  return nullptr;
}

Result<std::string> IniSection::interpolate(const std::string& key, std::string_view raw, int line,
                                            int depth) const {
  // Python stops at the same depth: a value that refers to itself would never end.
  if (depth > 10)
    return config_error(at_line(ini_.path, line) + ": " + key +
                        ": interpolation nests deeper than 10 (a loop?)");
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
      return config_error(at_line(ini_.path, line) + ": " + key +
                          ": '%' must be followed by '%' or '(name)s'");
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

}  // namespace schemagate::migrate::alembic
