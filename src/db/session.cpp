#include "db/session.h"

namespace schemagate::db {
namespace {

std::string set(Scope scope) { return scope == Scope::transaction ? "set local " : "set "; }

}  // namespace

SessionSettings SessionSettings::for_server(const Connection& conn, std::chrono::milliseconds lock_timeout) {
  return SessionSettings{lock_timeout, conn.server_version_number() >= 140000};
}

std::string SessionSettings::lock_timeout_sql(std::chrono::milliseconds timeout, Scope scope) {
  return set(scope) + "lock_timeout = " + std::to_string(timeout.count());
}

Status SessionSettings::without_lock_timeout_pooled(Connection& conn, std::string_view sql, const Interrupt& stop,
                                                    Deadline deadline) {
  using Kind = Connection::Step::Kind;
  const Connection::Step steps[] = {{Kind::statement, "set lock_timeout = 0", {}, 0},
                                    {Kind::statement, "begin", {}, 1},
                                    {Kind::statement, "commit", {}, 2},
                                    {Kind::statement, sql, {}, 3},
                                    {Kind::statement, "reset lock_timeout", {}, 4},
                                    {Kind::sync, {}, {}, 5}};
  Status ran = conn.pipeline(steps, [](const auto&, const auto&) {}, stop, deadline);
  // Failed, the segment skipped its RESET: the server session keeps lock_timeout 0 unless this one
  // reaches it (the pooler hands out whichever is free).
  if (!ran && ran.error().kind != ErrorKind::Interrupted && ran.error().kind != ErrorKind::Unreachable)
    (void)conn.exec("reset lock_timeout", stop, Deadline::after(std::chrono::seconds(2)));
  return ran;
}

std::string SessionSettings::reset_identity_sql() { return "reset session authorization;\nreset role;\n"; }

std::string SessionSettings::restore_sql(Scope scope) const {
  return reset_identity_sql() + set(scope) + "search_path = pg_catalog;\n" + sql(scope);
}

std::string SessionSettings::set_config_calls(Scope scope) const {
  const std::string local = scope == Scope::transaction ? "true" : "false";
  auto call = [&](std::string_view name, std::string value) {
    return "pg_catalog.set_config('" + std::string(name) + "', '" + value + "', " + local + ")";
  };
  std::string out = call("lock_timeout", std::to_string(lock_timeout.count())) + ", " +
                    call("standard_conforming_strings", "on");
  if (check_client_connection) out += ", " + call("client_connection_check_interval", "1000");
  return out;
}

std::vector<std::string> SessionSettings::statements(Scope scope) const {
  // standard_conforming_strings: the tracking rows' literals are written for it.
  std::vector<std::string> out{lock_timeout_sql(lock_timeout, scope), set(scope) + "standard_conforming_strings = on"};
  if (check_client_connection) out.push_back(set(scope) + "client_connection_check_interval = 1000");
  return out;
}

std::string SessionSettings::sql(Scope scope) const {
  std::string out;
  for (const std::string& statement : statements(scope)) out += statement + ";\n";
  return out;
}

}  // namespace schemagate::db
