#pragma once
// What one statement does to the tables it names, read from PostgreSQL 15's parse tree: the
// operations whose lock, rewrite or scan can hurt a live database (SPEC §1 step 5b), the tables it
// creates and the tables whose rows it changes. Facts only; what to make of them is preflight/'s.
#include <string>
#include <string_view>
#include <vector>

namespace schemagate::sql {

struct Relation {
  std::string schema;  // empty: found through the search_path
  std::string name;
  std::string display() const { return schema.empty() ? name : schema + "." + name; }
  bool operator==(const Relation&) const = default;
};

enum class Op {
  create_index,         // CREATE INDEX without CONCURRENTLY
  reindex,              // REINDEX without CONCURRENTLY
  add_column_rewrite,   // ADD COLUMN with a volatile default, a serial type or a stored generated column
  alter_column_type,    // ALTER COLUMN ... TYPE
  set_not_null,         // ALTER COLUMN ... SET NOT NULL
  add_foreign_key,      // ADD FOREIGN KEY without NOT VALID
  add_check,            // ADD CHECK without NOT VALID
  add_unique,           // ADD PRIMARY KEY / UNIQUE without USING INDEX
  vacuum_full,          // VACUUM FULL
  cluster,              // CLUSTER
  drop_table,           // DROP TABLE
  drop_column,          // ALTER TABLE ... DROP COLUMN
  rename_table,         // ALTER TABLE ... RENAME TO
  rename_column,        // ALTER TABLE ... RENAME COLUMN
  truncate,             // TRUNCATE
};

struct Operation {
  Op op;
  Relation table;
  std::string object;  // the index, column or constraint it names, when it names one
  // ALTER COLUMN ... TYPE: the new type's name as the parser gives it (varchar, text, numeric)
  // and its modifiers (a length, a precision and scale), and whether USING computes the values.
  // With the column's type now, they tell whether PostgreSQL must rewrite the table.
  std::string type{};
  std::vector<long long> type_modifiers{};
  bool using_expression = false;
};

// A column a statement adds, named by its table.
struct Column {
  Relation table;
  std::string name;
};

// A uniqueness the statement makes PostgreSQL enforce over rows already there (ADD PRIMARY KEY,
// ADD UNIQUE, CREATE UNIQUE INDEX, concurrently or not): duplicates make it fail.
struct UniqueKey {
  Relation table;
  std::vector<std::string> columns;  // plain columns only; empty when a key is an expression
  bool primary = false;              // NULLs fail it too
  bool partial = false;              // a WHERE clause: only some rows count (not checked)
};

// A foreign key the statement adds with ADD CONSTRAINT: without NOT VALID PostgreSQL checks every
// row against the referenced table at once; with it, a later VALIDATE CONSTRAINT does.
struct ForeignKey {
  Relation table;
  std::string name;  // empty when the statement names none
  std::vector<std::string> columns;
  Relation references;
  std::vector<std::string> referenced;  // empty: the referenced table's primary key
  bool validated = true;                // false: NOT VALID
  bool match_simple = true;             // MATCH SIMPLE (the default): a row with a NULL key passes
};

// ADD CONSTRAINT ... CHECK without NOT VALID: every row already there must pass `expression`,
// as written between CHECK's parentheses.
struct Check {
  Relation table;
  std::string expression;
};

// ALTER TABLE ... VALIDATE CONSTRAINT: the rows already there are checked against it.
struct Validation {
  Relation table;
  std::string constraint;
};

struct Effects {
  // PostgreSQL 15's grammar read the statement. When not (newer syntax, a mistake), nothing below
  // is known: the statement is "not analysed", never a finding.
  bool analysed = false;
  std::vector<Operation> operations;
  std::vector<Relation> creates;  // tables it creates (empty when created)
  std::vector<Relation> writes;   // tables whose rows it changes (INSERT, UPDATE, DELETE, MERGE, COPY)
  std::vector<UniqueKey> unique_keys;
  std::vector<ForeignKey> foreign_keys;
  std::vector<Validation> validations;
  std::vector<Check> checks;
  // ADD COLUMN: the column, its type's name and modifiers as for ALTER COLUMN ... TYPE (empty when
  // unknown). A later statement of the run that renames or drops it, or changes its type, acts on
  // a column the running release never used, of the type given here.
  struct AddedColumn {
    Column column;
    std::string type;
    std::vector<long long> type_modifiers;
  };
  std::vector<AddedColumn> added_columns;
  // ADD COLUMN ... NOT NULL (or PRIMARY KEY) with no default: every row already there would hold
  // a NULL, so it fails on a table with rows.
  std::vector<Column> required_columns;
  // DO, CALL, or a function called by a query: it may change the rows of any table.
  bool may_write_any = false;
};

Effects effects_of(std::string_view statement);

}  // namespace schemagate::sql
