// A project as a user keeps one: a working directory of its own beside a database of its own, and
// schemagate started from that directory, where it finds what the user put there (a
// schemagate.toml, the scripts of a migrate command, an Alembic project). The command and Alembic
// suites build on it; each adds only what its runs do differently.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "support/files.h"
#include "support/gate.h"
#include "support/migrations.h"
#include "support/process.h"

namespace schemagate::testing {

// How a suite's runs differ from Project's: variables added to the environment or taken out of
// it, and the time a run may take. A case's own variables still come last, over all of these.
struct RunDefaults {
  std::map<std::string, std::string> env;
  std::vector<std::string> unset;
  std::chrono::seconds timeout = RunOptions{}.timeout;
};

// A Project (its database, its migrations directory, its environment) whose runs start in a
// directory of their own, named `name` under the temporary directory.
class WorkdirProject {
 public:
  explicit WorkdirProject(std::string_view name, RunDefaults defaults = {})
      : work_(name), defaults_(std::move(defaults)) {}

  const Project& project() const { return project_; }
  const TempDir& work() const { return work_; }
  const std::string& path() const { return work_.path(); }
  // Writes `text` to `name` in the working directory; its path.
  std::string write(const std::string& name, const std::string& text) const {
    return work_.write(name, text);
  }
  std::string file(const std::string& name) const { return work_.file(name); }
  // Whether `name` exists in the working directory (a file a script left, say).
  bool has(const std::string& name) const {
    std::error_code ignored;
    return std::filesystem::exists(file(name), ignored);
  }

  // Project's environment with this suite's defaults, then `extra`; run in the working directory.
  RunOptions options(const std::map<std::string, std::string>& extra = {}) const {
    RunOptions options = project_.options(defaults_.env);
    for (const auto& name : defaults_.unset) options.env.erase(name);
    for (const auto& [key, value] : extra) options.env[key] = value;
    options.cwd = work_.path();
    options.timeout = defaults_.timeout;
    return options;
  }
  RunResult run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& extra = {}) const {
    return testing::run(schemagate(args), options(extra));
  }
  Child spawn(const std::vector<std::string>& args,
              const std::map<std::string, std::string>& extra = {}) const {
    return testing::spawn(schemagate(args), options(extra));
  }

 private:
  Project project_;
  TempDir work_;
  RunDefaults defaults_;
};

}  // namespace schemagate::testing
