#include "migrate/plan.h"

#include <algorithm>
#include <map>

namespace schemagate::migrate {
namespace {

// "0043 (add_orders)", or the version alone for a row without a name (a table adopted from dbmate).
std::string named(const AppliedRow& row) {
  return row.version_text + (row.name.empty() ? "" : " (" + row.name + ")");
}

}  // namespace

bool is_future(const std::vector<Migration>& files, const AppliedRow& row) {
  return !files.empty() && version_less(files.back().version, row.version);
}

Result<Plan> plan_up(const std::vector<Migration>& files, const std::vector<AppliedRow>& applied,
                     const std::string& to) {
  std::map<std::string, const Migration*> by_version;
  for (const Migration& m : files) by_version[m.version] = &m;

  // golang-migrate's single row stands for every version up to it: those count as applied, with
  // checksums to record.
  std::vector<AppliedRow> rows = applied;
  for (const AppliedRow& row : applied) {
    if (!row.covers_older) continue;
    for (const Migration& m : files) {
      bool listed = std::any_of(applied.begin(), applied.end(), [&](const AppliedRow& r) { return r.version == m.version; });
      if (!listed && version_less(m.version, row.version)) {
        AppliedRow older;
        older.version = m.version;
        older.version_text = m.version_text;
        rows.push_back(std::move(older));
      }
    }
  }

  Plan plan;
  std::vector<std::string> problems;
  std::map<std::string, bool> done;
  std::string newest;
  for (const AppliedRow& row : rows) {
    done[row.version] = true;
    if (newest.empty() || version_less(newest, row.version)) newest = row.version;
    auto it = by_version.find(row.version);
    if (row.is_dirty) {
      problems.push_back("version " + row.version_text + (it != by_version.end() ? " (" + it->second->up.path + ")" : "") +
                         " is marked dirty: a run stopped part-way through it");
      continue;
    }
    if (it == by_version.end()) {
      if (is_future(files, row))
        plan.future.push_back(row);
      else
        problems.push_back("version " + named(row) + " is applied but no migration file has it");
      continue;
    }
    if (row.checksum.empty()) {
      plan.unrecorded.push_back(it->second);
    } else if (row.checksum != it->second->checksum) {
      problems.push_back(it->second->up.path + ": checksum differs from the applied version");
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
    return bad_migrations(
                 message + ". Nothing was applied. Once a person has checked the database and the files, "
                           "`schemagate repair` records the files as they are now");
  }
  std::sort(plan.future.begin(), plan.future.end(),
            [](const AppliedRow& a, const AppliedRow& b) { return version_less(a.version, b.version); });
  for (const Migration& m : files) {
    if (!to.empty() && version_less(to, m.version)) break;
    if (done.count(m.version)) continue;
    plan.pending.push_back(&m);
    if (!newest.empty() && version_less(m.version, newest)) plan.out_of_order.push_back(&m);
  }
  return plan;
}

std::string future_warning(const Plan& plan, const std::vector<Migration>& files) {
  if (plan.future.empty() || files.empty()) return "";
  std::string versions;
  for (const AppliedRow& row : plan.future) versions += (versions.empty() ? "" : ", ") + named(row);
  bool one = plan.future.size() == 1;
  return (one ? "version " : "versions ") + versions + (one ? " is" : " are") +
         " applied but newer than every migration file (the newest is " + files.back().version_text +
         "): " + (one ? "a future migration" : "future migrations") +
         ", as after rolling back to an older release; " + (one ? "it is" : "they are") +
         " left applied and the run goes on";
}

Result<std::vector<const Migration*>> plan_down(const std::vector<Migration>& files,
                                                const std::vector<AppliedRow>& applied, int steps,
                                                const std::string& to) {
  std::vector<const Migration*> chosen;
  if (steps == 0) steps = 1;
  for (auto row = applied.rbegin(); row != applied.rend(); ++row) {
    if (to.empty() ? static_cast<int>(chosen.size()) == steps : !version_less(to, row->version)) break;
    auto file = std::find_if(files.begin(), files.end(),
                             [&](const Migration& m) { return m.version == row->version; });
    // plan_up accepted the history, so a row without a file is a future one: its down SQL is in
    // the newer release's image, not here, and skipping it would roll back an older version instead.
    if (file == files.end())
      return bad_migrations(
          "version " + named(*row) +
          " has no migration file here: a future migration, applied by a newer release; roll it "
          "back with that release's files. Nothing was rolled back");
    if (!file->down.present)
      return bad_migrations(
          file->up.path + ": version " + file->version_text + " has no down section to roll back with (" +
          (file->up.path.ends_with(".up.sql") ? "no .down.sql file" : "no -- migrate:down marker") +
          "); nothing was rolled back");
    chosen.push_back(&*file);
  }
  return chosen;
}

}  // namespace schemagate::migrate
