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

namespace {
Error of_kind(ErrorKind kind, std::string message) { return Error{kind, std::move(message), 0, {}, 0}; }
}  // namespace

Error migration_failed(std::string message) { return of_kind(ErrorKind::MigrationFailed, std::move(message)); }
Error verify_failed(std::string message) { return of_kind(ErrorKind::VerifyFailed, std::move(message)); }
Error still_pending(std::string message) { return of_kind(ErrorKind::Pending, std::move(message)); }
Error usage_error(std::string message) { return of_kind(ErrorKind::Usage, std::move(message)); }
Error bad_migrations(std::string message) { return of_kind(ErrorKind::BadMigrations, std::move(message)); }
Error unreachable(std::string message, std::string sqlstate) {
  Error e = of_kind(ErrorKind::Unreachable, std::move(message));
  e.sqlstate = std::move(sqlstate);
  return e;
}
Error internal_error(std::string message) { return of_kind(ErrorKind::Internal, std::move(message)); }
Error timed_out(std::string message) { return of_kind(ErrorKind::Timeout, std::move(message)); }
Error config_error(std::string message) { return of_kind(ErrorKind::Config, std::move(message)); }
Error not_executable(std::string message) { return of_kind(ErrorKind::NotExecutable, std::move(message)); }
Error not_found(std::string message) { return of_kind(ErrorKind::NotFound, std::move(message)); }

Error interrupted(int signal) {
  return Error{ErrorKind::Interrupted, "stopped by signal " + std::to_string(signal), signal, {}};
}

}  // namespace schemagate
