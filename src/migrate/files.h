#pragma once
// SPEC §3: the migrations directory, both layouts, parsed before anything runs.
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace schemagate::migrate {

// One direction of a migration: the SQL as written and where it starts in its file.
struct Section {
  // Its marker or its file is there. A down section that is present with empty `sql` (it held only
  // blanks and comments) rolls back by removing the row alone; one not present refuses (SPEC §2).
  bool present = false;
  std::string path;     // the file it came from
  std::string sql;      // a down section's (and a pair file's) is empty when only blanks and comments
  int first_line = 1;   // line of the file on which `sql` begins
  bool transaction_false = false;  // its marker says transaction:false (script.h decides the rest)
};

struct Migration {
  std::string version;  // the leading digits without leading zeros ("0" for zero): ordered numerically
  std::string version_text;  // the digits as the file name writes them, as the tracking table records them
  std::string name;
  Section up;
  Section down;
  std::string checksum;  // SHA-256 of up.sql without its kAckMarker lines (checksum_of)
};

// Orders versions of any width numerically: "7" < "36004600" < "20240101120000".
bool version_less(std::string_view a, std::string_view b);

// Every migration in dir, in version order. Files that are not *.sql are ignored. Any problem is
// ErrorKind::BadMigrations naming file:line: no up marker, two of a marker, SQL before the up
// marker, a name without a leading version, a duplicate version, a .down.sql without its .up.sql,
// invalid UTF-8 or a NUL byte. A leading UTF-8 BOM is dropped; CRLF line ends are fine.
Result<std::vector<Migration>> read_dir(const std::string& dir);

// Parses one file's text; exposed for unit tests. `kind` is "single", "up" or "down".
Result<Migration> parse_file(std::string_view file_name, std::string_view path, std::string text);

// A line acknowledging a pre-flight finding (`-- schemagate:ack <rule-id>`, preflight/lint.h).
// Such lines are left out of the checksum: acknowledging a finding in a migration that one
// environment has already applied is not drift.
inline constexpr std::string_view kAckMarker = "-- schemagate:ack";
// SHA-256 of a migration's up-SQL as the tracking table records it: without kAckMarker lines.
std::string checksum_of(std::string_view up_sql);

}  // namespace schemagate::migrate
