#pragma once
// The SQLSTATEs schemagate decides on (PostgreSQL manual, Appendix A), by name.
#include <string_view>

#include "util/result.h"

namespace schemagate::db::sqlstate {

constexpr std::string_view kUndefinedTable = "42P01";
constexpr std::string_view kInvalidPassword = "28P01";
constexpr std::string_view kInvalidAuthorization = "28000";
constexpr std::string_view kInsufficientPrivilege = "42501";
constexpr std::string_view kLockNotAvailable = "55P03";  // lock_timeout
constexpr std::string_view kDeadlockDetected = "40P01";
constexpr std::string_view kSerializationFailure = "40001";

// The server refused the credentials: trying again only delays the error and may lock the account.
inline bool is_auth_failure(const Error& e) {
  return e.sqlstate == kInvalidPassword || e.sqlstate == kInvalidAuthorization;
}

// The server refused this role something it needs: the credentials, or a privilege. Trying again
// on a new session only repeats it.
inline bool is_refusal(const Error& e) { return is_auth_failure(e) || e.sqlstate == kInsufficientPrivilege; }

// A failure that changed nothing and may pass when tried again (SPEC §1 step 6).
inline bool is_transient(const Error& e) {
  return e.sqlstate == kLockNotAvailable || e.sqlstate == kDeadlockDetected || e.sqlstate == kSerializationFailure;
}

}  // namespace schemagate::db::sqlstate
