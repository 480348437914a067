#pragma once
// Whole-file reads and writes with POSIX calls: iostreams would cost the static binary its size
// budget (locale machinery) and say less when they fail.
#include <string>
#include <string_view>

#include "util/result.h"

namespace schemagate {

// The file's bytes. On failure the message is the system's reason alone ("No such file or
// directory", "Is a directory"), for the caller to put after the name it knows the file by.
// Only a regular file (or a symbolic link to one) is read: anything else fails at once, without
// blocking ("a FIFO, not a regular file"), since a FIFO without a writer would never answer.
Result<std::string> read_file(const std::string& path);

// Creates path holding text; fails if it already exists.
Status create_file(const std::string& path, std::string_view text);

// Replaces path's content all at once: readers see the old file or the new one, never half.
Status replace_file(const std::string& path, std::string_view text);

// Command output on stdout (logs go to stderr).
void print(std::string_view text);

}  // namespace schemagate
