#include "migrate/alembic/project.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "migrate/alembic/ini.h"
#include "migrate/alembic/text.h"
#include "util/file.h"

namespace schemagate::migrate::alembic {
namespace {

namespace fs = std::filesystem;

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
Result<std::vector<std::string>> split_locations(const IniSection& options, const IniValue& locations) {
  std::optional<IniValue> separator;
  std::string separator_key;
  for (std::string key : {"path_separator", "version_path_separator"}) {
    auto value = options.get(key);
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
    return config_error(at_line(options.ini_path(), separator->line) + ": " + separator_key + " \"" +
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
Result<std::vector<std::string>> version_dirs(const Ini& ini, const IniSection& options, Project& project,
                                              const IniValue& script_location) {
  auto locations = options.get("version_locations");
  if (!locations) return locations.error();
  if (!*locations || (*locations)->text.empty()) {
    if (std::string why = not_a_directory(project.versions_dir); !why.empty())
      return config_error(at_line(ini.path, script_location.line) + ": script_location \"" +
                          script_location.text + "\" has no versions directory (" + project.versions_dir +
                          ": " + why + ")");
    return std::vector<std::string>{project.versions_dir};
  }
  const IniValue& listed = **locations;
  auto items = split_locations(options, listed);
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
      return config_error(at_line(ini.path, listed.line) + ": version_locations: " + dir->string() + ": " +
                          why);
    dirs.push_back(dir->string());
  }
  if (dirs.empty())
    return config_error(at_line(ini.path, listed.line) +
                        ": version_locations: none of these directories exists: " + joined(missing, ", "));
  return dirs;
}

}  // namespace

Result<Project> read_project(const std::string& ini_path, const std::string& section) {
  auto text = read_file(ini_path);
  if (!text) return config_error(ini_path + ": cannot read: " + text.error().message);
  auto ini = parse_ini(*text, ini_path);
  if (!ini) return ini.error();

  std::error_code ec;
  fs::path absolute = fs::absolute(ini_path, ec);
  if (ec) return config_error(ini_path + ": " + ec.message());
  IniSection options(*ini, section, absolute.lexically_normal().parent_path().string());

  Project project;
  project.ini_path = ini_path;
  auto script_location = options.get("script_location");
  if (!script_location) return script_location.error();
  if (!*script_location || (*script_location)->text.empty())
    return config_error(ini_path + ": no script_location in [" + section + "]");
  const IniValue& location = **script_location;
  auto script_dir = resolve_location(*ini, location, "script_location", location.text);
  if (!script_dir) return script_dir.error();
  if (std::string why = not_a_directory(*script_dir); !why.empty())
    return config_error(at_line(ini_path, location.line) + ": script_location \"" + location.text +
                        "\": " + why);
  project.versions_dir = (*script_dir / "versions").string();

  auto dirs = version_dirs(*ini, options, project, location);
  if (!dirs) return dirs.error();
  project.version_dirs = std::move(*dirs);
  auto recursive = options.get("recursive_version_locations");
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
  auto graph = Graph::build(project.revisions);
  if (!graph) return graph.error();
  project.graph = std::move(*graph);
  return project;
}

}  // namespace schemagate::migrate::alembic
