/* The reference schemagate's start-up is measured against: the least a program can do to learn
 * that a database is up. Connect with DATABASE_URL, run one query, exit. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  PGconn *conn = PQconnectdb(getenv("DATABASE_URL"));
  if (PQstatus(conn) != CONNECTION_OK) {
    fputs(PQerrorMessage(conn), stderr);
    return 1;
  }
  PGresult *res = PQexec(conn, "select pg_catalog.pg_is_in_recovery()");
  int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  PQclear(res);
  PQfinish(conn);
  return ok ? 0 : 1;
}
