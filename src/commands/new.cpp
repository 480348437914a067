#include <chrono>
#include <ctime>
#include <filesystem>

#include "commands/commands.h"
#include "log/log.h"
#include "util/file.h"

namespace schemagate::commands {

// `schemagate new NAME`: VERSION_NAME.sql with a UTC timestamp version and both sections.
Status new_migration(Context& ctx) {
  const std::string& name = ctx.invocation.name;
  if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
    return usage_error("new: the name may hold letters, digits, _ and - only, not \"" + name + "\"");
  std::string dir = ctx.settings.migrations_dir;
  std::error_code ec;
  if (ctx.settings.source_of("migrations.dir").kind == config::Source::Kind::Default &&
      !std::filesystem::exists(dir, ec) && std::filesystem::is_directory("db/migrations", ec))
    dir = "db/migrations";
  std::filesystem::create_directories(dir, ec);
  if (ec) return config_error("migrations directory \"" + dir + "\": " + ec.message());

  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char version[16];
  std::strftime(version, sizeof version, "%Y%m%d%H%M%S", &utc);
  std::string path = dir + "/" + version + "_" + name + ".sql";
  if (Status made = create_file(path, "-- migrate:up\n\n\n-- migrate:down\n\n"); !made)
    return config_error(path + ": cannot create: " + made.error().message);
  print(path + "\n");
  return {};
}

}  // namespace schemagate::commands
