// Issue 12, item 5: Alembic's whole graph. Generated histories (merges, depends_on by id, tuple,
// list and branch label, branch labels as upgrade targets, several intended heads) are stepped
// through real `alembic upgrade <rev>` runs (Debian's package); after each step schemagate's view
// must be Alembic's own: `status --json` gives what `alembic current` and `alembic heads` print and
// what MIGRATE_COMMAND's upgrade would run (found by running it on a copy of the database), and the
// check-only run says "database is up to date" exactly when that upgrade would run nothing.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/alembic_project.h"
#include "support/gate.h"
#include "support/log_lines.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("alembic");

using Ids = std::vector<std::string>;

struct History {
  std::string name;
  std::vector<GeneratedRevision> revisions;
  std::string target;      // MIGRATE_COMMAND is `alembic upgrade <target>`
  std::vector<Ids> walks;  // each from an empty database, one `alembic upgrade <rev>` a step
};

// The case (c depends on its sibling b, m merges them, n follows), and a diamond whose
// second merge's line depends on a revision the first merge already has.
const History kSiblingDependency = {"depends_on a sibling, then merges",
                                    {{"a000"},
                                     {"b000", "'a000'"},
                                     {"c000", "'a000'", "None", "'b000'"},
                                     {"m000", "('b000', 'c000')"},
                                     {"n000", "'m000'"},
                                     {"n1a0", "'n000'"},
                                     {"n1b0", "'n000'", "None", "('c000',)"},
                                     {"z000", "('n1a0', 'n1b0')"}},
                                    "head",
                                    {{"c000", "m000", "n1b0", "head"}, {"a000", "b000", "c000", "z000"}}};

// Two roots with labels; the log line depends on the api line by label, then by id in a list.
const History kTwoRoots = {"two roots, depends_on by branch label and by list, upgrade heads",
                           {{"api1", "None", "'api'"},
                            {"api2", "'api1'"},
                            {"api3", "'api2'"},
                            {"log1", "None", "('logs',)"},
                            {"log2", "'log1'", "None", "'api'"},
                            {"log3", "'log2'", "None", "['api2']"}},
                           "heads",
                           {{"log2", "api@head", "logs@head", "heads"}, {"logs@log2", "api1"}}};

// Expand/contract: two intended heads on one base, the contract line depending on the expand one.
const History kExpandContract = {"expand and contract heads, upgrade heads",
                                 {{"base0"},
                                  {"con1", "'base0'", "'contract'", "['exp1']"},
                                  {"con2", "'con1'"},
                                  {"exp1", "'base0'", "'expand'"},
                                  {"exp2", "'exp1'"}},
                                 "heads",
                                 {{"expand@head", "con1", "contract@head", "heads"}, {"con2"}}};

// A second root that depends on the first line's tip: `alembic heads` lists that tip ("effective
// head"), `upgrade heads` reaches it through the dependency.
const History kEffectiveHead = {"a root depending on another line's tip, upgrade heads",
                                {{"p1"}, {"p2", "'p1'"}, {"q1", "None", "None", "'p2'"}, {"q2", "'q1'"}},
                                "heads",
                                {{"p1", "q1", "heads"}}};

std::string json_ids(const Ids& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "\"" : ",\"") + id + "\"";
  return "[" + out + "]";
}

std::string comma_listed(const Ids& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// schemagate's status, check-only run and no-op message against what Alembic reports for the
// database as it stands.
void check_agrees(const AlembicProject& a, const std::string& target, const Ids& heads) {
  const std::map<std::string, std::string> command = {{"MIGRATE_COMMAND", "alembic upgrade " + target}};
  Ids current = a.alembic_ids({"current"});
  Ids would_run = a.alembic_would_run(target);
  CAPTURE(a.version());

  RunResult status = a.run({"status", "--json"}, command);
  CAPTURE(status.err);
  CHECK(status.out == "{\"alembic\":{\"current\":" + json_ids(current) + ",\"heads\":" + json_ids(heads) +
                          ",\"pending\":" + json_ids(would_run) + "},\"problem\":null}\n");
  CHECK(status.exit_code == (would_run.empty() ? 0 : 3));

  auto check_only = command;
  check_only["AUTO_MIGRATE_ON_STARTUP"] = "false";
  RunResult run = a.run({}, check_only);
  CAPTURE(run.err);
  CHECK_FALSE(contains(run.err, "running the migrate command"));
  if (would_run.empty()) {
    CHECK(run.exit_code == 0);
    CHECK(lines_with(run.err, " INFO  database is up to date alembic_head=").size() == 1);
  } else {
    CHECK(run.exit_code == 3);
    CHECK(contains(error_line(run), " ERROR " + std::to_string(would_run.size()) +
                                        " pending Alembic revision(s): " + comma_listed(would_run) +
                                        "; migrations.auto is off"));
  }
}

void check_history(const History& h) {
  CAPTURE(h.name);
  for (const Ids& walk : h.walks) {
    AlembicProject a;
    a.write_history(h.revisions);
    Ids heads = a.alembic_ids({"heads"});
    check_agrees(a, h.target, heads);
    for (const std::string& step : walk) {
      CAPTURE(step);
      a.alembic({"upgrade", step});
      check_agrees(a, h.target, heads);
    }
  }
}

TEST_CASE("status and the no-op check agree with alembic at every step: depends_on a sibling, merges") {
  check_history(kSiblingDependency);
}

TEST_CASE("status and the no-op check agree with alembic at every step: two roots, labels, upgrade heads") {
  check_history(kTwoRoots);
}

TEST_CASE("status and the no-op check agree with alembic at every step: expand and contract heads") {
  check_history(kExpandContract);
}

TEST_CASE("status and the no-op check agree with alembic at every step: an effective head") {
  check_history(kEffectiveHead);
}

TEST_CASE("the issue's case: after alembic upgrade c, status shows b and c current and only m pending") {
  AlembicProject a;
  a.write_history(
      {{"a000"}, {"b000", "'a000'"}, {"c000", "'a000'", "None", "'b000'"}, {"m000", "('b000', 'c000')"}});
  a.alembic({"upgrade", "c000"});
  CHECK(a.version() == "c000");
  RunResult status = a.run({"status"});
  CHECK(status.exit_code == 3);
  CHECK(status.out == "alembic current: b000 c000\nalembic head:    m000\npending: m000\n");

  RunResult run = a.run({});
  CAPTURE(run.err);
  CHECK(run.exit_code == 0);
  CHECK(a.upgrades() == "a000,b000,c000,m000");
  CHECK(a.run({}).exit_code == 0);
  CHECK(a.upgrades() == "a000,b000,c000,m000");
}

TEST_CASE("upgrade heads with two heads is applied, and the next start has nothing to do") {
  AlembicProject a;
  a.write_history(kExpandContract.revisions);
  const std::map<std::string, std::string> heads = {{"MIGRATE_COMMAND", "alembic upgrade heads"}};
  RunResult first = a.run({}, heads);
  CAPTURE(first.err);
  CHECK(first.exit_code == 0);
  CHECK(
      lines_with(first.err, " INFO  running the migrate command: alembic upgrade heads attempt=1/4").size() ==
      1);
  CHECK(a.upgrades() == "base0,exp1,exp2,con1,con2");
  CHECK(a.version() == "con2,exp2");
  CHECK(a.alembic_ids({"current"}) == Ids{"con2", "exp2"});

  RunResult second = a.run({}, heads);
  CAPTURE(second.err);
  CHECK(second.exit_code == 0);
  CHECK_FALSE(contains(second.err, "running the migrate command"));
  CHECK(lines_with(second.err, " INFO  database is up to date alembic_head=con2,exp2").size() == 1);
  RunResult status = a.run({"status"}, heads);
  CHECK(status.exit_code == 0);
  CHECK(status.out == "alembic current: con2 exp2\nalembic head:    con2 exp2\npending: none\n");
}

TEST_CASE("upgrade head with two intended heads is 65 naming them and the way out, as Alembic refuses") {
  AlembicProject a;
  a.write_history(kExpandContract.revisions);
  RunResult refused = a.alembic_may_fail({"upgrade", "head"});
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.err, "Multiple head revisions are present for given argument 'head'"));

  const std::string several =
      " ERROR several Alembic heads: con2, exp2; `alembic upgrade head` refuses to choose between them "
      "(upgrade "
      "them all with `alembic upgrade heads`, or merge them with `alembic merge heads`)";
  RunResult run = a.run({});
  CAPTURE(run.err);
  CHECK(run.exit_code == 65);
  CHECK(error_line(run).ends_with(several));
  CHECK_FALSE(contains(run.err, "running the migrate command"));
  CHECK(a.upgrades() == "-");
  RunResult status = a.run({"status", "--json"});
  CHECK(status.exit_code == 65);
  CHECK(contains(status.out,
                 "\"heads\":[\"con2\",\"exp2\"],\"pending\":[]},\"problem\":\"several Alembic heads"));
}

TEST_CASE("a target schemagate computes without the database: a branch's head is up to date on its own") {
  AlembicProject a;
  a.write_history(kExpandContract.revisions);
  const std::map<std::string, std::string> expand = {{"MIGRATE_COMMAND", "alembic upgrade expand@head"}};
  RunResult first = a.run({}, expand);
  CAPTURE(first.err);
  CHECK(first.exit_code == 0);
  CHECK(a.upgrades() == "base0,exp1,exp2");
  RunResult second = a.run({}, expand);
  CAPTURE(second.err);
  CHECK(second.exit_code == 0);
  CHECK(lines_with(second.err,
                   " INFO  database is up to date alembic_head=con2,exp2 alembic_target=expand@head")
            .size() == 1);
  // A relative target walks from the rows: judged against every head, it runs while any is behind.
  const std::map<std::string, std::string> relative = {{"MIGRATE_COMMAND", "alembic upgrade contract@+1"}};
  RunResult stepped = a.run({}, relative);
  CAPTURE(stepped.err);
  CHECK(stepped.exit_code == 0);
  CHECK(lines_with(stepped.err, " INFO  running the migrate command: alembic upgrade contract@+1").size() ==
        1);
  CHECK(a.upgrades() == "base0,exp1,exp2,con1");
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
