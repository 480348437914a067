#pragma once
#include <chrono>

#include "db/connection.h"
#include "db/target.h"
#include "util/interrupt.h"
#include "util/result.h"

namespace schemagate::wait {

// DB_MAX_RETRIES and DB_RETRY_INTERVAL, as the settings give them.
struct Policy {
  int attempts = 0;  // values below 1 still make one attempt
  std::chrono::milliseconds interval{};
  // One attempt gives up after this long: a host that drops packets must not hang the wait.
  std::chrono::milliseconds attempt_timeout{10000};
};

// SPEC §1 step 3: connect until the server answers a query on the target database and is not a
// standby. Retries refused connections, a database that does not exist yet (3D000), a server still
// starting, a standby. Gives up at once on rejected credentials (28P01, 28000).
// Errors: Unreachable (69), Interrupted (128+N, at once on a signal).
Result<db::Connection> until_ready(const db::Target& target, const Policy& policy, const Interrupt& stop);

}  // namespace schemagate::wait
