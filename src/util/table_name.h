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

  // The names as PostgreSQL stores them: unquoted parts folded to lower case.
  std::string schema_as_stored() const;
  std::string name_as_stored() const;
};

Result<TableName> parse_table_name(std::string_view text);

// `name` as a quoted SQL identifier: "name", its double quotes doubled.
std::string quote_ident(std::string_view name);

}  // namespace schemagate
