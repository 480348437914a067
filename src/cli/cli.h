#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "util/result.h"

namespace schemagate::cli {

// What the command line asks for: `schemagate [command] [flags] [-- app args...]`.
struct Invocation {
  std::string command = "run";
  std::vector<config::FlagValue> setting_flags;  // SPEC §4 flags, in order
  std::vector<std::string> app;                  // everything after `--`
  // Command flags (SPEC §2).
  std::string to;       // up, down: --to VERSION
  int steps = 0;        // down: --steps N (0: not given)
  bool dry_run = false; // up, down
  bool json = false;    // status
  std::string name;     // new NAME
  bool help = false;
  bool version = false;
};

// Fails with ErrorKind::Usage (64) naming the argument at fault. args excludes argv[0].
Result<Invocation> parse(std::span<const std::string> args);

std::string usage();

}  // namespace schemagate::cli
