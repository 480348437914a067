#include "migrate/bookkeeping.h"

#include "db/transaction.h"
#include "log/log.h"
#include "migrate/history.h"
#include "migrate/lock.h"
#include "migrate/plan.h"

namespace schemagate::migrate {
namespace {

Deadline deadline_of(const UpOptions& options) {
  return options.timeout.count() ? Deadline::after(options.timeout) : Deadline::never();
}

}  // namespace

Status stamp(db::Connection& conn, const Inputs& inputs, const std::string& version, const UpOptions& options,
             const Interrupt& stop) {
  bool known = false;
  for (const auto& f : inputs.files) known = known || f.version == version;
  if (!known) return bad_migrations("stamp: no migration file has version " + version + " in " + inputs.dir);

  auto locked = lock_and_read_history(conn, inputs.table, options.lock_timeout, options.lock, deadline_of(options), stop);
  if (!locked) return locked.error();
  const TableName& table = locked->table;
  auto plan = plan_up(inputs.files, locked->applied, version);
  if (!plan) return plan.error();
  if (Status ok = ensure_table(conn, table, stop); !ok) return ok.error();
  std::vector<const Migration*> record = plan->pending;
  record.insert(record.end(), plan->unrecorded.begin(), plan->unrecorded.end());
  if (Status ok = record_checksums(conn, table, record, locked->lock->fence_sql(), stop); !ok) return ok.error();
  for (const auto* p : plan->pending) log::info("stamped " + p->version_text + " " + p->name + " as applied (not run)");
  log::info("stamp done", {{"stamped", std::to_string(plan->pending.size())}, {"up_to", version}});
  return locked->lock->release(stop);
}

Status repair(db::Connection& conn, const Inputs& inputs, const UpOptions& options, const Interrupt& stop) {
  if (inputs.files.empty())
    return bad_migrations("repair: no migration files in " + inputs.dir +
                          "; refusing to forget every applied version "
                          "(run it where the migrations are, or set MIGRATIONS_DIR)");
  auto locked = lock_and_read_history(conn, inputs.table, options.lock_timeout, options.lock, deadline_of(options), stop);
  if (!locked) return locked.error();
  const TableName& table = locked->table;
  if (Status ok = ensure_table(conn, table, stop); !ok) return ok.error();

  const std::string fence = locked->lock->fence_sql();
  std::string sql = "begin;\n" + (fence.empty() ? "" : fence + ";\n");
  std::vector<const Migration*> restamp;
  int changes = 0;
  for (const auto& row : locked->applied) {
    const Migration* file = nullptr;
    for (const auto& f : inputs.files)
      if (f.version == row.version) file = &f;
    // A future migration is no problem to mend (SPEC §1 step 5): forgetting it would make the
    // newer release, rolled forward again, run it a second time. One left dirty never finished,
    // so it is forgotten as before and runs again.
    if (!file && !row.is_dirty && is_future(inputs.files, row)) {
      log::info("keeping future version " + row.version_text +
                (row.name.empty() ? "" : " (" + row.name + ")") +
                ": newer than every migration file, as after rolling back to an older release");
      continue;
    }
    if (!file) {
      log::warn("forgetting version " + row.version_text + (row.name.empty() ? "" : " (" + row.name + ")") +
                ": no migration file has it");
      sql += delete_sql(table, row.version_text) + ";\n";
      ++changes;
      continue;
    }
    if (row.is_dirty) {
      log::warn("clearing the dirty mark of " + file->up.path);
      sql += clear_dirty_sql(table, row.version_text) + ";\n";
      ++changes;
    }
    if (row.checksum != file->checksum) {
      log::warn("recording the current checksum of " + file->up.path);
      restamp.push_back(file);
      ++changes;
    }
  }
  for (const auto* f : restamp) sql += store_checksum_sql(table, *f) + ";\n";
  sql += "commit;";
  auto tx = db::Transaction::of(conn);
  auto done = conn.exec(sql, stop);
  if (!done) return done.error();
  log::info("repair done", {{"changes", std::to_string(changes)}});
  return locked->lock->release(stop);
}

}  // namespace schemagate::migrate
