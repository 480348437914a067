#include "commands/commands.h"
#include "commands/migrations.h"
#include "log/log.h"
#include "migrate/history.h"
#include "migrate/lock.h"

namespace schemagate::commands {

// `schemagate repair`: after a human has checked the database. Stores the files' current
// checksums, clears dirty marks, and forgets applied versions whose files are gone; logs each.
Status repair(Context& ctx) {
  const Interrupt& stop = ctx.gate.interrupt();
  auto conn = connect(ctx);
  if (!conn) return conn.error();
  auto m = load_migrations(ctx.settings);
  if (!m) return m.error();
  // Without files, repair would forget every applied version: that is never what a person checked.
  if (m->files.empty())
    return bad_migrations(
                 "repair: no migration files in " + m->dir + "; refusing to forget every applied version "
                 "(run it where the migrations are, or set MIGRATIONS_DIR)");
  auto resolved = lock_migrations(ctx.settings, *conn, m->table, migration_deadline(ctx.settings), stop);
  if (!resolved) return resolved.error();
  auto history = migrate::read_history(*conn, *resolved, stop);
  if (!history) return history.error();
  if (Status ok = migrate::ensure_table(*conn, *resolved, stop); !ok) return ok.error();

  const std::string table = migrate::qualified(*resolved);
  std::string sql = "begin;\n";
  std::vector<const migrate::Migration*> restamp;
  int changes = 0;
  for (const auto& row : *history) {
    const migrate::Migration* file = nullptr;
    for (const auto& f : m->files)
      if (f.version == row.version) file = &f;
    if (!file) {
      log::warn("forgetting version " + row.version_text + (row.name.empty() ? "" : " (" + row.name + ")") +
                ": no migration file has it");
      sql += "delete from " + table + " where version = " + migrate::literal(row.version_text) + ";\n";
      ++changes;
      continue;
    }
    if (row.is_dirty) {
      log::warn("clearing the dirty mark of " + file->up.path);
      sql += "update " + table + " set dirty = false where version = " + migrate::literal(row.version_text) + ";\n";
      ++changes;
    }
    if (row.checksum != file->checksum) {
      log::warn("recording the current checksum of " + file->up.path);
      restamp.push_back(file);
      ++changes;
    }
  }
  for (const auto* f : restamp)
    sql += "update " + table + " set checksum = " + migrate::literal(f->checksum) + ", name = " +
           migrate::literal(f->name) + " where version = " + migrate::literal(f->version_text) + ";\n";
  sql += "commit;";
  auto done = conn->exec(sql, stop);
  if (!done) return done.error();
  log::info("repair done", {{"changes", std::to_string(changes)}});
  return migrate::release_lock(*conn, *resolved, stop);
}

}  // namespace schemagate::commands
