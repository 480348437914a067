#include "util/result.h"

namespace schemagate {

int exit_code(const Error& error) {
  switch (error.kind) {
    case ErrorKind::MigrationFailed: return 1;
    case ErrorKind::VerifyFailed: return 2;
    case ErrorKind::Pending: return 3;
    case ErrorKind::Usage: return 64;
    case ErrorKind::BadMigrations: return 65;
    case ErrorKind::Unreachable: return 69;
    case ErrorKind::Internal: return 70;
    case ErrorKind::Timeout: return 75;
    case ErrorKind::Config: return 78;
    case ErrorKind::NotExecutable: return 126;
    case ErrorKind::NotFound: return 127;
    case ErrorKind::Interrupted: return 128 + error.signal;
  }
  return 70;
}

Error interrupted(int signal) {
  return Error{ErrorKind::Interrupted, "stopped by signal " + std::to_string(signal), signal, {}};
}

}  // namespace schemagate
