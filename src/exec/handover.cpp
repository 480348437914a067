#include "exec/handover.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace schemagate::exec {

Error hand_over(const std::vector<std::string>& argv, std::string_view status, SignalGate& gate) {
  if (argv.empty()) return usage_error("no app to start");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  setenv("SCHEMAGATE_STATUS", std::string(status).c_str(), 1);

  restore_default_dispositions();
  // Last look while the signals are still blocked: a stop requested now is honoured, not lost.
  if (int sig = gate.interrupt().signal()) return interrupted(sig);
  unblock_all_signals();
  execvp(args[0], args.data());
  int err = errno;

  // Exit codes as shells and tini use them: 127 not found, 126 found but not runnable.
  bool missing = err == ENOENT || err == ENOTDIR;
  return Error{missing ? ErrorKind::NotFound : ErrorKind::NotExecutable,
               "cannot start app \"" + argv[0] + "\": " + std::strerror(err), 0, {}};
}

}  // namespace schemagate::exec
