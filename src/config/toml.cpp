#include "config/toml.h"

#include <cstdio>
#include <cstdlib>
#include <toml++/toml.h>

#include "util/json.h"

namespace schemagate::config {
namespace {

std::string where(const std::string& path, const toml::source_region& at) {
  return path + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
}

// The shortest text that reads back as d ("0.5", not "0.500000"). snprintf rather than
// std::to_chars: the latter's tables alone would put the static binary over its size budget.
std::string shortest(double d) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

void flatten(const toml::table& table, const std::string& prefix, const std::string& path,
             std::vector<TomlEntry>& out) {
  for (auto&& [key, node] : table) {
    TomlEntry e;
    e.key = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    e.where = where(path, key.source());
    if (const toml::table* sub = node.as_table()) {
      e.is_table = true;
      out.push_back(e);
      flatten(*sub, e.key, path, out);
      continue;
    }
    if (auto s = node.value_exact<std::string>()) {
      e.text = *s;
    } else if (auto b = node.value_exact<bool>()) {
      e.text = *b ? "true" : "false";
    } else if (auto i = node.value_exact<int64_t>()) {
      e.text = std::to_string(*i);
    } else if (auto d = node.value_exact<double>()) {
      e.text = shortest(*d);
    } else if (const toml::array* arr = node.as_array()) {
      e.is_list = true;
      for (const toml::node& item : *arr) {
        if (auto s = item.value_exact<std::string>()) {
          e.list.push_back(*s);
        } else {
          e.type_error = "expected an array of strings";
          break;
        }
      }
    } else {
      e.type_error = "dates and times are not settings";
    }
    out.push_back(std::move(e));
  }
}

}  // namespace

Result<std::vector<TomlEntry>> parse_toml(const std::string& text, const std::string& path) {
  try {
    toml::table table = toml::parse(text, path);
    std::vector<TomlEntry> out;
    flatten(table, "", path, out);
    return out;
  } catch (const toml::parse_error& e) {
    // toml++ quotes the offending input, newlines included: keep the message on one line.
    return Error{ErrorKind::Config, where(path, e.source()) + ": " + escape_controls(e.description()), 0, {}};
  }
}

}  // namespace schemagate::config
