#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace schemagate {

// A point in time after which an operation gives up; "never" when unbounded.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  static Deadline never() { return Deadline{}; }
  static Deadline after(std::chrono::milliseconds d) { return Deadline{Clock::now() + d}; }

  bool is_never() const { return !at_; }
  bool expired() const { return at_ && Clock::now() >= *at_; }
  // For poll(2): -1 when unbounded, else the milliseconds left rounded up, at least 0.
  int poll_timeout_ms() const;
  // The sooner of the two.
  Deadline earlier(Deadline other) const;

 private:
  Deadline() = default;
  explicit Deadline(Clock::time_point at) : at_(at) {}
  std::optional<Clock::time_point> at_;
};

// "1.234s": how logs and messages show a duration.
std::string format_seconds(std::chrono::milliseconds d);
std::string seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace schemagate
