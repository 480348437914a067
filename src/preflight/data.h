#pragma once
// Will a pending statement fail on the rows already there (SPEC §1 step 5b)? Each answer is a
// read-only count under a statement timeout; one that would take too long, or cannot run, is
// skipped and the log says so. A failure found is a blocking finding at the statement's place.
#include <optional>
#include <string>

#include "db/connection.h"
#include "preflight/lint.h"
#include "sql/effects.h"

namespace schemagate::preflight::data {

// What each check is given: where the statement is (a finding with only its place filled in) and
// its first line, as messages quote it.
struct At {
  Finding place;
  std::string statement;
};
using Answer = Result<std::optional<Finding>>;  // an error only when interrupted

// The table's name as SQL: each part quoted.
std::string qualified(const sql::Relation& r);

// SET NOT NULL over a column that holds NULLs (set-not-null-fails).
Answer nulls(db::Connection& conn, const At& at, const sql::Relation& table, const std::string& column,
             const Interrupt& stop);
// A uniqueness over duplicate values, or a primary key over NULLs (unique-fails).
Answer duplicates(db::Connection& conn, const At& at, const sql::UniqueKey& key, const Interrupt& stop);
// A foreign key over rows that reference nothing (foreign-key-fails).
Answer orphans(db::Connection& conn, const At& at, const sql::ForeignKey& key, const Interrupt& stop);
// ADD COLUMN ... NOT NULL with no default on a table with rows (add-column-not-null-fails).
Answer rows_without_value(db::Connection& conn, const At& at, const sql::Column& column, const Interrupt& stop);
// ADD CHECK without NOT VALID over rows that break it (check-fails).
Answer breaking(db::Connection& conn, const At& at, const sql::Check& check, const Interrupt& stop);
// VALIDATE CONSTRAINT of a foreign key or CHECK already in the catalog, over rows that break it
// (foreign-key-fails, check-fails). A constraint the catalog does not hold is not checked.
Answer violations(db::Connection& conn, const At& at, const sql::Validation& validation, const Interrupt& stop);

}  // namespace schemagate::preflight::data
