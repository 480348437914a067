#pragma once
// SPEC §1 step 5: files against history, before anything runs. Pure: no connection.
#include <string>
#include <vector>

#include "migrate/files.h"
#include "migrate/history.h"
#include "util/result.h"

namespace schemagate::migrate {

struct Plan {
  std::vector<const Migration*> pending;      // in version order
  std::vector<const Migration*> unrecorded;   // applied, but the table has no checksum yet (adopted)
  std::vector<const Migration*> out_of_order; // pending, yet older than the newest applied version
  std::vector<AppliedRow> future;             // applied, newer than every file: left as they are
};

// SPEC §1 step 5: a *future* migration (Flyway's word) is an applied version newer than every
// file, as after the image was rolled back to an older release. Never one when there are no files:
// an empty directory is likelier a wrong MIGRATIONS_DIR than a release from before the first one.
// REQUIRES: files in version order, as read_dir gives them.
bool is_future(const std::vector<Migration>& files, const AppliedRow& row);

// Errors (ErrorKind::BadMigrations, every problem named, the way out given): a dirty row (future
// ones included), an applied version whose file is gone while a newer file exists, an applied
// migration whose up-SQL changed since. Future migrations are no error: they are in `future`.
// `to`, when set, stops the plan after that version.
Result<Plan> plan_up(const std::vector<Migration>& files, const std::vector<AppliedRow>& applied,
                     const std::string& to = "");

// The one warning a run logs about plan.future, naming each; empty when there is none.
std::string future_warning(const Plan& plan, const std::vector<Migration>& files);

// SPEC §2 `down`: the applied migrations to roll back, newest first: the newest `steps` (one when
// zero), or, with `to`, every one newer than it. Empty when nothing is applied. A down section
// that is present but empty is chosen like any other (the caller removes its row alone). Refuses
// (BadMigrations) when one of them has no down section, or no file at all (a future migration).
// REQUIRES: plan_up accepted the history.
Result<std::vector<const Migration*>> plan_down(const std::vector<Migration>& files,
                                                const std::vector<AppliedRow>& applied, int steps,
                                                const std::string& to);

}  // namespace schemagate::migrate
