// Deadlines bound every wait; poll_timeout_ms feeds poll(2) directly.
#include "util/deadline.h"

#include <doctest/doctest.h>

#include <climits>

namespace schemagate {
namespace {

using namespace std::chrono_literals;

TEST_CASE("never is unbounded and never expires") {
  Deadline never = Deadline::never();
  CHECK(never.is_never());
  CHECK_FALSE(never.expired());
  CHECK(never.poll_timeout_ms() == -1);
}

TEST_CASE("a deadline already passed has expired and polls for zero milliseconds") {
  for (auto d : {0ms, -1ms, -5000ms}) {
    CAPTURE(d.count());
    Deadline past = Deadline::after(d);
    CHECK_FALSE(past.is_never());
    CHECK(past.expired());
    CHECK(past.poll_timeout_ms() == 0);
  }
}

TEST_CASE("a future deadline has not expired and polls for at most the time left") {
  Deadline soon = Deadline::after(1h);
  CHECK_FALSE(soon.is_never());
  CHECK_FALSE(soon.expired());
  int left = soon.poll_timeout_ms();
  CHECK(left <= 3600000);
  CHECK(left > 3600000 - 60000);
}

TEST_CASE("a deadline further off than poll can take is clamped to INT_MAX") {
  CHECK(Deadline::after(std::chrono::hours(24 * 30)).poll_timeout_ms() == INT_MAX);
}

TEST_CASE("earlier picks the sooner deadline whichever side it is on") {
  Deadline hour = Deadline::after(1h);
  Deadline day = Deadline::after(24h);
  CHECK(hour.earlier(day).poll_timeout_ms() <= 3600000);
  CHECK(day.earlier(hour).poll_timeout_ms() <= 3600000);
  CHECK(day.earlier(day).poll_timeout_ms() > 3600000);

  Deadline past = Deadline::after(-1ms);
  CHECK(hour.earlier(past).expired());
  CHECK(past.earlier(hour).expired());
}

TEST_CASE("earlier treats never as later than any deadline") {
  Deadline hour = Deadline::after(1h);
  CHECK_FALSE(Deadline::never().earlier(hour).is_never());
  CHECK(Deadline::never().earlier(hour).poll_timeout_ms() <= 3600000);
  CHECK_FALSE(hour.earlier(Deadline::never()).is_never());
  CHECK(Deadline::never().earlier(Deadline::never()).is_never());
}

}  // namespace
}  // namespace schemagate
