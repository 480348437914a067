#include "migrate/alembic/current.h"

#include "db/sqlstate.h"
#include "migrate/history.h"

namespace schemagate::migrate::alembic {

Result<std::vector<std::string>> read_current(db::Connection& conn, const Interrupt& stop) {
  auto rows = conn.exec("select version_num from alembic_version order by 1", stop);
  std::vector<std::string> current;
  if (rows) {
    for (int r = 0; r < rows->size(); ++r) current.emplace_back(rows->at(r, 0));
  } else if (rows.error().sqlstate != db::sqlstate::kUndefinedTable) {
    return reading_failed("alembic_version", rows.error());
  }
  return current;
}

}  // namespace schemagate::migrate::alembic
