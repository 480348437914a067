// Files for the tests and their support code: whole files read and written as text, and
// temporary directories removed with everything in them.
//
// Header-only and includes nothing from the project, so unit tests can use it too (as
// "../../support/files.h": the unit tests have no include path to tests/).
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace schemagate::testing {

// Throws std::system_error for the failed call `what` (e.g. "mkdtemp /tmp/x"), with errno's text.
[[noreturn]] inline void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The whole file, byte for byte; empty when the file does not exist (yet).
inline std::string read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Replaces the file's contents with `text`, byte for byte.
inline void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file.flush()) throw std::runtime_error("cannot write " + path);
}

// A new empty directory $TMPDIR/schemagate-<name>-XXXXXX (/tmp without TMPDIR); its path.
inline std::string make_temp_dir(std::string_view name) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp") + "/schemagate-" +
                     std::string(name) + "-XXXXXX";
  if (mkdtemp(path.data()) == nullptr) throw_errno("mkdtemp " + path);
  return path;
}

// A new empty directory (make_temp_dir), removed with everything in it by the destructor.
class TempDir {
 public:
  explicit TempDir(std::string_view name = "test") : path_(make_temp_dir(name)) {}
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` in this directory, whether or not it exists.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` byte for byte to `name` in this directory; returns the file's path.
  std::string write(const std::string& name, const std::string& text) const {
    write_text_file(file(name), text);
    return file(name);
  }
  std::string read(const std::string& name) const { return read_text_file(file(name)); }
  void remove(const std::string& name) const {
    if (::unlink(file(name).c_str()) != 0) throw_errno("unlink " + file(name));
  }
  // File names in the directory, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(path_))
      out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

}  // namespace schemagate::testing
