#include "util/deadline.h"

#include <climits>

namespace schemagate {

int Deadline::poll_timeout_ms() const {
  if (!at_) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*at_ - Clock::now()).count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

Deadline Deadline::earlier(Deadline other) const {
  if (!at_) return other;
  if (!other.at_) return *this;
  return *at_ <= *other.at_ ? *this : other;
}

}  // namespace schemagate
