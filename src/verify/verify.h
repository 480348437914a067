#pragma once
#include <span>

#include "db/connection.h"
#include "util/interrupt.h"
#include "util/result.h"
#include "util/table_name.h"

namespace schemagate::verify {

// SPEC §1 step 7: every critical table exists (tables, partitioned tables, views, materialized
// views, foreign tables). Unqualified names are looked up through the session's search_path.
// One round trip whatever the number of tables; names travel as parameters.
// Errors: VerifyFailed (2) naming every missing table; Unreachable if the session is lost.
Status critical_tables(db::Connection& conn, std::span<const TableName> tables, const Interrupt& stop);

}  // namespace schemagate::verify
