#pragma once
// A statement's kind guessed from its first words, for what PostgreSQL 15's parser cannot read
// (syntax from a newer server): the statement is still sent as written, and this guess only says
// whether it must run outside a transaction block or controls one.
#include <string_view>

#include "sql/statements.h"

namespace schemagate::sql {

Kind guess_kind(std::string_view statement);

}  // namespace schemagate::sql
