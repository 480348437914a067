#pragma once
// What a migrating session runs under (SPEC §1 steps 4 and 6), in one place: issued once for the
// session (SET) or inside one transaction (SET LOCAL), so nothing depends on where it is sent.
#include <chrono>
#include <string>
#include <vector>

#include "db/connection.h"

namespace schemagate::db {

enum class Scope { session, transaction };

struct SessionSettings {
  std::chrono::milliseconds lock_timeout{};
  // PostgreSQL 14+: the server notices a vanished client within a second and ends its statement,
  // so a killed runner's migration and lock do not outlive it.
  bool check_client_connection = false;

  // For this connection's server: client_connection_check_interval only where it exists.
  static SessionSettings for_server(const Connection& conn, std::chrono::milliseconds lock_timeout);

  // "set lock_timeout = 5000;\nset standard_conforming_strings = on;\n..." (SET LOCAL for Scope::transaction).
  std::string sql(Scope scope = Scope::session) const;
  // The same, one statement each: what follows a migration's own BEGIN, where a SELECT would count
  // as its first query and a SET TRANSACTION ISOLATION LEVEL after it would fail.
  std::vector<std::string> statements(Scope scope) const;
  // The same as set_config calls for one SELECT ("pg_catalog.set_config('lock_timeout', '5000',
  // false), ..."): many settings in one statement, which the extended protocol needs.
  std::string set_config_calls(Scope scope) const;

  // One setting alone: CREATE INDEX CONCURRENTLY runs with lock_timeout 0 and gets it back after.
  static std::string lock_timeout_sql(std::chrono::milliseconds timeout, Scope scope = Scope::session);
  // `sql` (one statement PostgreSQL refuses in a transaction block: CREATE INDEX CONCURRENTLY and
  // its kind, which wait for every older transaction, a wait lock_timeout would end) with
  // lock_timeout 0 for it alone, through a pooler: a session SET sent on its own could land on
  // another server session than the statement. One pipeline segment stays on one server session
  // until its sync is answered: SET, an empty BEGIN/COMMIT that commits it (a statement of this
  // kind refuses to share the pipeline's implicit transaction), the statement, RESET.
  static Status without_lock_timeout_pooled(Connection& conn, std::string_view sql, const Interrupt& stop,
                                            Deadline deadline);
  // The session user and role back to the ones that logged in: RESET ALL leaves both as a
  // migration's SET SESSION AUTHORIZATION or SET ROLE made them.
  static std::string reset_identity_sql();
  // Before schemagate writes rows of its own after a migration ran: the identity reset, a
  // search_path of pg_catalog alone (what it writes names its tables in full) and these settings,
  // whatever the migration SET.
  std::string restore_sql(Scope scope) const;
};

}  // namespace schemagate::db
