#pragma once
// What the migration commands share: the files and the tracking table the settings point at.
#include <string>
#include <vector>

#include "config/settings.h"
#include "db/connection.h"
#include <optional>

#include "migrate/alembic/project.h"
#include "migrate/apply.h"
#include "migrate/files.h"
#include "util/table_name.h"

namespace schemagate::commands {

struct Migrations {
  std::string dir;
  TableName table;
  std::vector<migrate::Migration> files;
  // The directory was left at its default and does not exist: this project keeps no migrations
  // here, so there is nothing to check them against.
  bool none_configured = false;
};

// migrations.dir (falling back to db/migrations/ when migrations/ is absent and the setting was
// left at its default), parsed; a missing default directory means no migrations.
Result<Migrations> load_migrations(const config::Settings& settings);
// The Alembic project MIGRATE_COMMAND works on (alembic.ini, or the file its -c names), if any.
Result<std::optional<migrate::alembic::Project>> find_alembic_project(const config::Settings& settings);
// Where the database stands: the newest applied version (or Alembic revision) and what is still
// pending. Empty for a migrate command that is not Alembic, which cannot say.
struct Progress {
  std::string current;
  std::vector<std::string> pending;
};
// Before the migration lock is taken: lock_timeout and, on PostgreSQL 14+,
// client_connection_check_interval for the whole migrating session.
Status limit_session(const config::Settings& settings, db::Connection& conn, const Interrupt& stop);
// limit_session, then the tracking table's schema resolved and the migration lock taken (SPEC §1
// step 4); returns the table as resolved.
Result<TableName> lock_migrations(const config::Settings& settings, db::Connection& conn, const TableName& table,
                                  Deadline deadline, const Interrupt& stop);
Result<Progress> read_progress(const config::Settings& settings, db::Connection& conn, const Interrupt& stop);

migrate::ApplyOptions apply_options(const config::Settings& settings, Deadline deadline);
Deadline migration_deadline(const config::Settings& settings);
// Stores the files' checksums (and names) on rows that have none or, in repair, a stale one.
Status record_checksums(db::Connection& conn, const TableName& table,
                        const std::vector<const migrate::Migration*>& list, const Interrupt& stop);

}  // namespace schemagate::commands
