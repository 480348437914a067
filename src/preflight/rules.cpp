#include "preflight/rules.h"

#include <array>
#include <stdexcept>

namespace schemagate::preflight {
namespace {

using sql::Op;

// Lock levels and costs as PostgreSQL 15's documentation gives them (ALTER TABLE, CREATE INDEX,
// "Explicit Locking").
constexpr std::array kRules = {
    Rule{Op::create_index, "create-index-blocks-writes", "SHARE",
         "blocks writes to T while the index builds",
         "use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction block)", Cost::on_size},
    Rule{Op::reindex, "reindex-blocks-writes", "SHARE", "blocks writes to T while its indexes rebuild",
         "use REINDEX TABLE CONCURRENTLY (it cannot run inside a transaction block)", Cost::on_size},
    Rule{Op::add_column_rewrite, "add-column-rewrites", "ACCESS EXCLUSIVE",
         "rewrites T under a lock that blocks reads and writes: the new column's value (a volatile default, a "
         "serial, identity or stored generated column) is computed for every row",
         "add the column with no default or a constant one, then fill it in batches", Cost::on_size},
    Rule{Op::alter_column_type, "alter-column-type-rewrites", "ACCESS EXCLUSIVE",
         "rewrites T and its indexes under a lock that blocks reads and writes (unless the new type is "
         "binary-compatible, as varchar(n) to a longer varchar or text)",
         "add a column of the new type, fill it in batches, and switch over", Cost::on_size},
    Rule{Op::set_not_null, "set-not-null-scans", "ACCESS EXCLUSIVE",
         "scans all of T under a lock that blocks reads and writes",
         "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it, then SET NOT NULL (PostgreSQL then "
         "skips the scan)",
         Cost::on_size},
    Rule{Op::add_foreign_key, "add-foreign-key-scans", "SHARE ROW EXCLUSIVE",
         "scans all of T under a lock that blocks writes to it and to the table it references",
         "add it NOT VALID, then VALIDATE CONSTRAINT in a later statement (that scan blocks no writes)",
         Cost::on_size},
    Rule{Op::add_check, "add-check-scans", "ACCESS EXCLUSIVE",
         "scans all of T under a lock that blocks reads and writes",
         "add it NOT VALID, then VALIDATE CONSTRAINT in a later statement (that scan blocks no writes)",
         Cost::on_size},
    Rule{Op::add_unique, "add-unique-builds-index", "ACCESS EXCLUSIVE",
         "builds an index on T under a lock that blocks reads and writes",
         "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX", Cost::on_size},
    Rule{Op::vacuum_full, "vacuum-full-rewrites", "ACCESS EXCLUSIVE",
         "rewrites T under a lock that blocks reads and writes", "use plain VACUUM, or pg_repack", Cost::on_size},
    Rule{Op::cluster, "cluster-rewrites", "ACCESS EXCLUSIVE", "rewrites T under a lock that blocks reads and writes",
         "leave CLUSTER to a maintenance window, or use pg_repack", Cost::on_size},
    Rule{Op::drop_table, "drop-table", "ACCESS EXCLUSIVE",
         "drops T and its rows; the release still running during a rolling update may use it",
         "stop using the table in one release, drop it in the next", Cost::incompatible},
    Rule{Op::drop_column, "drop-column", "ACCESS EXCLUSIVE",
         "drops a column of T; the release still running during a rolling update may use it",
         "stop using the column in one release, drop it in the next", Cost::incompatible},
    Rule{Op::rename_table, "rename-table", "ACCESS EXCLUSIVE",
         "renames T; the release still running during a rolling update uses the old name",
         "create the new table or a view under the new name, move over, drop the old in a later release",
         Cost::incompatible},
    Rule{Op::rename_column, "rename-column", "ACCESS EXCLUSIVE",
         "renames a column of T; the release still running during a rolling update uses the old name",
         "add the new column, write both, move reads over, drop the old one in a later release",
         Cost::incompatible},
    Rule{Op::truncate, "truncate", "ACCESS EXCLUSIVE", "empties T", "make sure the rows are meant to go",
         Cost::destructive},
};

}  // namespace

const Rule& rule_for(sql::Op op) {
  for (const Rule& r : kRules)
    if (r.op == op) return r;
  throw std::logic_error("preflight: no rule for an operation");
}

std::span<const Rule> rules() { return kRules; }

}  // namespace schemagate::preflight
