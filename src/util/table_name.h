#pragma once
#include <string>
#include <string_view>

#include "util/result.h"

namespace schemagate {

// A critical table as a user writes it: `users`, `audit.log_entries`, `"Order Items"`,
// `"my.schema"."t"`. Unquoted parts match the name as written or folded to lower case, the way
// PostgreSQL folds unquoted identifiers; quoted parts match exactly ("" is a literal quote).
struct TableName {
  std::string schema;  // empty: whatever the search_path finds
  std::string name;
  bool schema_quoted = false;
  bool name_quoted = false;
  std::string as_written;
};

Result<TableName> parse_table_name(std::string_view text);

}  // namespace schemagate
