#pragma once
// Errors are values (STYLE §2): every expected failure carries the exit code SPEC §5 gives it.
// Named like std::expected so that moving to C++23 is a rename.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace schemagate {

enum class ErrorKind {
  MigrationFailed,  // 1
  VerifyFailed,     // 2
  Pending,          // 3
  Usage,            // 64
  BadMigrations,    // 65
  Unreachable,      // 69
  Internal,         // 70
  Timeout,          // 75
  Config,           // 78
  NotExecutable,    // 126
  NotFound,         // 127
  Interrupted,      // 128 + signal
};

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  int signal = 0;          // set for Interrupted
  std::string sqlstate;    // set when the server refused something
  int position = 0;        // the server's error position: 1-based, in characters of the query sent
};

// SPEC §5.
int exit_code(const Error& error);

// One constructor per kind, so that a call site reads as what went wrong.
Error migration_failed(std::string message);                    // 1
Error verify_failed(std::string message);                       // 2
Error still_pending(std::string message);                       // 3
Error usage_error(std::string message);                         // 64
Error bad_migrations(std::string message);                      // 65
Error unreachable(std::string message, std::string sqlstate = {});  // 69
Error internal_error(std::string message);                      // 70
Error timed_out(std::string message);                           // 75
Error config_error(std::string message);                        // 78
Error not_executable(std::string message);                      // 126
Error not_found(std::string message);                           // 127
Error interrupted(int signal);                                  // 128 + signal

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool has_value() const { return !error_; }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace schemagate
