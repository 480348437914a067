#pragma once
// The pre-flight rules (SPEC §1 step 5b): one per operation that can hurt a live database, with a
// stable id that findings, acknowledgements (`-- schemagate:ack <id>`) and the README share.
#include <span>
#include <string_view>

#include "sql/effects.h"

namespace schemagate::preflight {

// What a rule's statement costs, and so when it matters.
enum class Cost {
  on_size,       // a lock held while the table is rewritten, scanned or indexed: matters on a big table
  incompatible,  // the running release may still use what it removes or renames: blocks until acknowledged
  destructive,   // rows go (TRUNCATE): said, never blocking
};

struct Rule {
  sql::Op op;
  std::string_view id;
  std::string_view lock;     // PostgreSQL's name for the lock it takes on the table
  std::string_view does;     // "blocks writes to T while the index builds": T stands for the table
  std::string_view safely;   // how to do it without that
  Cost cost;
};

const Rule& rule_for(sql::Op op);
std::span<const Rule> rules();

}  // namespace schemagate::preflight
