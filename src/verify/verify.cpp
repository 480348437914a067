#include "verify/verify.h"

#include <cctype>
#include <string>
#include <vector>

#include "log/log.h"

namespace schemagate::verify {
namespace {

// A text[] literal: every element double-quoted, so commas, braces and spaces need no thought.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

constexpr const char* kMissingTables = R"(
select w.i
from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as w(s, s_alt, t, t_alt, i)
where not exists (
  select 1
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where c.relname in (w.t, w.t_alt)
    and c.relkind in ('r', 'p', 'v', 'm', 'f')
    and case when w.s = '' then pg_catalog.pg_table_is_visible(c.oid)
             else n.nspname in (w.s, w.s_alt) end)
order by w.i)";

}  // namespace

Status critical_tables(db::Connection& conn, std::span<const TableName> tables, const Interrupt& stop) {
  if (tables.empty()) {
    log::debug("no critical tables to verify");
    return {};
  }
  std::vector<std::string> schemas, schema_alts, names, name_alts;
  for (const TableName& t : tables) {
    schemas.push_back(t.schema);
    schema_alts.push_back(t.schema_as_stored());
    names.push_back(t.name);
    name_alts.push_back(t.name_as_stored());
  }
  const std::string params[] = {text_array(schemas), text_array(schema_alts), text_array(names),
                                text_array(name_alts)};
  auto rows = conn.query(kMissingTables, params, stop);
  if (!rows) {
    Error e = rows.error();
    if (e.kind == ErrorKind::MigrationFailed) {
      e.kind = ErrorKind::VerifyFailed;
      e.message = "could not check the critical tables: " + e.message;
    }
    return e;
  }
  if (rows->size() == 0) {
    log::info("critical tables present", {{"tables", std::to_string(tables.size())}});
    return {};
  }
  std::string missing;
  for (int r = 0; r < rows->size(); ++r) {
    size_t index = std::stoul(std::string(rows->at(r, 0))) - 1;
    missing += (missing.empty() ? "" : ", ") + tables[index].as_written;
  }
  return verify_failed(
               "critical table" + std::string(rows->size() > 1 ? "s" : "") + " missing: " + missing);
}

}  // namespace schemagate::verify
