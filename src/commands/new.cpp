#include <chrono>
#include <ctime>
#include <filesystem>

#include "commands/commands.h"
#include "log/log.h"
#include "migrate/files.h"
#include "util/file.h"

namespace schemagate::commands {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTimestamp = "%Y%m%d%H%M%S";  // dbmate's versions: UTC, to the second

std::string timestamp(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, kTimestamp, &utc);
  return text;
}

struct Version {
  std::string text;   // as the file name writes it: "0042", "20240101120000"
  std::string value;  // without leading zeros, for version_less
};

// The newest version among the names of dir's .sql files (their leading digits, as read_dir
// takes them); empty when there is none. Only names are read: a file that does not parse is the
// next run's business.
Version newest_version(const std::string& dir) {
  Version newest;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::string text = name.substr(0, name.find_first_not_of("0123456789"));
    if (!name.ends_with(".sql") || text.empty()) continue;
    std::string value = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
    if (newest.text.empty() || migrate::version_less(newest.value, value)) newest = {text, value};
  }
  return newest;
}

// The version right after v: one second later when v is a timestamp (so it still reads as one),
// otherwise v + 1 at v's width ("0042" -> "0043", "99" -> "100").
std::string successor(const std::string& v) {
  std::tm parsed{};
  const char* end = v.size() == 14 ? strptime(v.c_str(), kTimestamp, &parsed) : nullptr;
  if (end && *end == '\0') {
    std::time_t t = timegm(&parsed);
    if (timestamp(t) == v) return timestamp(t + 1);  // not 20241301..., which strptime may take
  }
  std::string next = v;
  size_t i = next.size();
  while (i > 0 && next[i - 1] == '9') next[--i] = '0';
  if (i == 0) return "1" + next;
  ++next[i - 1];
  return next;
}

}  // namespace

// `schemagate new NAME`: VERSION_NAME.sql with a UTC timestamp version and both sections. The
// version is always newer than every file's already there, so that two `new`s in one second, or a
// file from a colleague whose clock runs ahead, cannot give two migrations one version.
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

  std::string version = timestamp(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
  if (Version newest = newest_version(dir);
      !newest.text.empty() && !migrate::version_less(newest.value, version)) {
    version = successor(newest.text);
    log::info("version " + newest.text + " is already there and not older than now: using " + version);
  }
  std::string path = dir + "/" + version + "_" + name + ".sql";
  if (Status made = create_file(path, "-- migrate:up\n\n\n-- migrate:down\n\n"); !made)
    return config_error(path + ": cannot create: " + made.error().message);
  print(path + "\n");
  return {};
}

}  // namespace schemagate::commands
