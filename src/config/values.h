#pragma once
// The value parsers every setting shares (SPEC §4: "Booleans accept true/false/1/0/yes/no", counts,
// durations, table lists, command lines), and the way `schemagate config` shows each kind back.
// Errors are ErrorKind::Config and say only what is wrong with the value: the caller adds where it
// came from.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::config {

using std::chrono::milliseconds;

// A whole number from 0 to 1,000,000; leading zeros allowed.
Result<int> parse_count(std::string_view text);
// Seconds (`2`, `0.5`) or a number with a unit (`500ms`, `5s`, `2m`, `1h`), at most 7 days; a
// nonzero value under 1 ms is refused, since zero means "none" where a timeout takes it.
Result<milliseconds> parse_duration(std::string_view text);
// true/false, 1/0, yes/no, in any case.
Result<bool> parse_bool(std::string_view text);
// Comma-separated table names; a comma inside double quotes is part of a name; blank items name
// nothing.
Result<std::vector<TableName>> parse_table_list(std::string_view text);
// Words as a POSIX shell splits them (blanks; '...', "...", backslash), without running a shell.
Result<std::vector<std::string>> parse_command_line(std::string_view text);

// As `schemagate config` shows them: "5s" for whole seconds, else "1500ms"; "true"/"false"; an
// argv with the words that need it in single quotes.
std::string show_duration(milliseconds d);
std::string show_bool(bool b);
std::string show_command(const std::vector<std::string>& argv);

// ASCII lower case, for the values read in any case (LOG_FORMAT=JSON, LOG_LEVEL=Warning).
std::string lower(std::string_view text);

}  // namespace schemagate::config
