// Issue 5, taking over from other tools and serving degraded: a database managed until now by
// golang-migrate or dbmate is adopted without re-running anything, `schemagate stamp VERSION`
// baselines a database whose schema already exists, and `--status-file` leaves a JSON document
// for an app's /health endpoint. Every case runs the built binary against a real server and
// checks the exit code, the log, the tracking table and the schema afterwards.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/canary.h"
#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("adopt");

using namespace std::chrono_literals;

// The tracking table's rows as version|name|checksum|dirty, in version order. Works on a table
// whose version column golang-migrate made bigint.
std::string tracking_rows(const Project& p) {
  return p.psql(
      "select coalesce(string_agg(version::text || '|' || name || '|' || coalesce(checksum, '-') || '|' || "
      "dirty::text, E'\\n' order by version::text::numeric), '') from schema_migrations");
}

std::string columns_of(const Project& p, const std::string& table) {
  return p.psql(
      "select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) "
      "from information_schema.columns where table_schema = 'public' and table_name = '" +
      table + "'");
}

// golang-migrate's layout: NNNNNN_name.up.sql / .down.sql pairs. Each "up" creates a table
// without IF NOT EXISTS, so running one again fails; the third carries its own BEGIN/COMMIT as
// golang-migrate files often do.
const std::string kUsers = "create table users (id bigint primary key, email text not null);\n";
const std::string kOrders =
    "create table orders (id bigint primary key, user_id bigint not null references users);\n";
const std::string kAudit = "BEGIN;\ncreate table audit (at timestamptz not null, what text);\nCOMMIT;\n";
const std::string kInvoices =
    "create table invoices (id bigint primary key, order_id bigint references orders);\n";

void write_golang_project(const Project& p) {
  p.write("000001_create_users.up.sql", kUsers);
  p.write("000001_create_users.down.sql", "drop table users;\n");
  p.write("000002_create_orders.up.sql", kOrders);
  p.write("000002_create_orders.down.sql", "drop table orders;\n");
  p.write("000003_create_audit.up.sql", kAudit);
  p.write("000003_create_audit.down.sql", "drop table audit;\n");
  p.write("000004_create_invoices.up.sql", kInvoices);
  p.write("000004_create_invoices.down.sql", "drop table invoices;\n");
}

// What golang-migrate leaves after `migrate up 2`: its one-row table and the schema of 1 and 2.
void golang_migrated_to_2(const Project& p, bool dirty) {
  p.psql(
      "create table schema_migrations (version bigint not null primary key, dirty boolean not null);\n"
      "insert into schema_migrations values (2, " +
      std::string(dirty ? "true" : "false") + ");\n" + kUsers + kOrders);
}

// ---------------------------------------------------------------------------------------------
// golang-migrate and dbmate

TEST_CASE("a golang-migrate database is adopted: only later migrations run, every checksum is recorded") {
  Project p;
  write_golang_project(p);
  golang_migrated_to_2(p, false);
  p.psql("insert into users values (1, 'kept@example.com')");

  RunResult result = p.run({"--", "sh", "-c", "echo app started"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started\n");
  CHECK_FALSE(contains(result.err, " ERROR "));
  CHECK(lines_with(result.err, " INFO  recorded checksums of migrations applied before schemagate count=2")
            .size() == 1);
  auto applied = lines_with(result.err, " INFO  applied ");
  REQUIRE(applied.size() == 2);
  CHECK(contains(applied[0], " INFO  applied 000003 create_audit "));
  CHECK(contains(applied[1], " INFO  applied 000004 create_invoices "));
  CHECK(contains(result.err, " INFO  migrations done applied=2 "));

  CHECK(tracking_rows(p) == "1|create_users|" + sha256_of(kUsers) + "|false\n" + "2|create_orders|" +
                                sha256_of(kOrders) + "|false\n" + "3|create_audit|" + sha256_of(kAudit) +
                                "|false\n" + "4|create_invoices|" + sha256_of(kInvoices) + "|false");
  CHECK(p.exists("audit"));
  CHECK(p.exists("invoices"));
  CHECK(p.psql("select email from users") == "kept@example.com");

  // Adopted for good: the next start and `status` find nothing to do.
  RunResult again = p.run({});
  CAPTURE(again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, " INFO  database is up to date applied=4"));
  CHECK_FALSE(contains(again.err, " INFO  applied "));
  CHECK(p.run({"status"}).exit_code == 0);
}

TEST_CASE("a golang-migrate dirty flag is reported as dirty: exit 65, nothing touched") {
  Project p;
  write_golang_project(p);
  golang_migrated_to_2(p, true);
  const std::string columns = columns_of(p, "schema_migrations");

  RunResult result = p.run({"--", "sh", "-c", "echo app started"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 65);
  CHECK(result.out == "");
  CHECK(contains(error_line(result), " ERROR version 2 (" + p.file("000002_create_orders.up.sql") +
                                         ") is marked dirty: a run stopped "
                                         "part-way through it"));
  CHECK(contains(error_line(result), "schemagate repair"));
  CHECK_FALSE(contains(result.err, " INFO  applied "));
  CHECK(columns_of(p, "schema_migrations") == columns);
  CHECK(columns == "version bigint, dirty boolean");
  CHECK(p.psql("select version, dirty from schema_migrations") == "2|t");
  CHECK_FALSE(p.exists("audit"));

  RunResult status = p.run({"status"});
  CHECK(status.exit_code == 65);
  CHECK(contains(status.out, "DIRTY"));
}

TEST_CASE("a dbmate database is adopted: the applied versions get checksums, only the new one runs") {
  Project p;
  const std::string users = "create table users (id int primary key);\n";
  const std::string posts = "create table posts (id int primary key, user_id int references users);\n";
  const std::string tags = "create table tags (name text primary key);\n";
  p.write("20240101000001_create_users.sql", migration(users, "drop table users;"));
  p.write("20240101000002_create_posts.sql", migration(posts, "drop table posts;"));
  p.write("20240101000003_create_tags.sql", migration(tags, "drop table tags;"));
  p.psql(
      "create table schema_migrations (version varchar(128) primary key);\n"
      "insert into schema_migrations values ('20240101000001'), ('20240101000002');\n" +
      users + posts);

  RunResult result = p.run({});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(lines_with(result.err, " INFO  recorded checksums of migrations applied before schemagate count=2")
            .size() == 1);
  auto applied = lines_with(result.err, " INFO  applied ");
  REQUIRE(applied.size() == 1);
  CHECK(contains(applied[0], " INFO  applied 20240101000003 create_tags "));
  CHECK(tracking_rows(p) == "20240101000001|create_users|" + sha256_of(users) + "|false\n" +
                                "20240101000002|create_posts|" + sha256_of(posts) + "|false\n" +
                                "20240101000003|create_tags|" + sha256_of(tags) + "|false");
  CHECK(p.exists("tags"));
}

// ---------------------------------------------------------------------------------------------
// stamp

TEST_CASE("stamp VERSION records every migration up to VERSION as applied without running it") {
  Project p;
  const std::string users = "create table users (id int primary key);\ninsert into users values (1);\n";
  const std::string orders = "create table orders (id int primary key);\n";
  const std::string audit = "create table audit (what text);\n";
  const std::string invoices = "create table invoices (id int primary key);\n";
  p.write("0001_users.sql", migration(users, "drop table users;"));
  p.write("0002_orders.sql", migration(orders, "drop table orders;"));
  p.write("0003_audit.sql", migration(audit, "drop table audit;"));
  p.write("0004_invoices.sql", migration(invoices, "drop table invoices;"));
  // Made by hand (or restored from a dump) before schemagate: the schema of 0001 and 0002, with
  // no seed row and no tracking table.
  p.psql("create table users (id int primary key);\ncreate table orders (id int primary key);");
  const std::string orders_oid = p.psql("select 'orders'::regclass::oid");

  RunResult stamp = p.run({"stamp", "0002"});
  CAPTURE(stamp.err);
  CHECK(stamp.exit_code == 0);
  CHECK(stamp.out == "");
  auto stamped = lines_with(stamp.err, " INFO  stamped ");
  REQUIRE(stamped.size() == 2);
  CHECK(stamped[0].ends_with(" INFO  stamped 0001 users as applied (not run)"));
  CHECK(stamped[1].ends_with(" INFO  stamped 0002 orders as applied (not run)"));
  CHECK(lines_with(stamp.err, " INFO  stamp done stamped=2 up_to=2").size() == 1);
  CHECK(tracking_rows(p) ==
        "0001|users|" + sha256_of(users) + "|false\n0002|orders|" + sha256_of(orders) + "|false");
  // Not run: no seed row, the same table, nothing of 0003.
  CHECK(p.psql("select count(*) from users") == "0");
  CHECK(p.psql("select 'orders'::regclass::oid") == orders_oid);
  CHECK_FALSE(p.exists("audit"));
  CHECK(p.advisory_locks() == 0);

  RunResult up = p.run({"up"});
  CAPTURE(up.err);
  CHECK(up.exit_code == 0);
  auto applied = lines_with(up.err, " INFO  applied ");
  REQUIRE(applied.size() == 2);
  CHECK(contains(applied[0], " INFO  applied 0003 audit "));
  CHECK(contains(applied[1], " INFO  applied 0004 invoices "));
  CHECK(p.versions() == "0001,0002,0003,0004");
  CHECK(p.psql("select count(*) from users") == "0");

  // Stamping what is already recorded changes nothing.
  std::string rows = tracking_rows(p);
  RunResult again = p.run({"stamp", "2"});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, " INFO  stamp done stamped=0 up_to=2"));
  CHECK(tracking_rows(p) == rows);
}

TEST_CASE("stamp with a version no file has is exit 65 and records nothing") {
  Project p;
  p.write("0001_users.sql", migration("create table users (id int);"));
  p.write("0002_orders.sql", migration("create table orders (id int);"));
  RunResult result = p.run({"stamp", "3"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 65);
  CHECK(error_line(result).ends_with(" ERROR stamp: no migration file has version 3 in " + p.dir().path()));
  CHECK_FALSE(p.exists("schema_migrations"));
  CHECK_FALSE(p.exists("users"));

  RunResult missing = p.run({"stamp"});
  CHECK(missing.exit_code == 64);
  CHECK(contains(missing.err, "stamp needs a VERSION"));
  CHECK_FALSE(p.exists("schema_migrations"));
}

// ---------------------------------------------------------------------------------------------
// --status-file

// The status file as Python's json module reads it (so it must parse), keys sorted, with the
// time, each timing and the error replaced by "<utc>", "<ms>" and "<error>" when they have the
// promised form. The error itself: status_error().
std::string status_document(const std::string& path) {
  static const std::string kNormalise = R"PY(
import json, re, sys
d = json.load(open(sys.argv[1]))
t = d.get("time")
if isinstance(t, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t):
    d["time"] = "<utc>"
if isinstance(d.get("timings_ms"), dict):
    d["timings_ms"] = {k: "<ms>" if type(v) is int and v >= 0 else v for k, v in d["timings_ms"].items()}
if isinstance(d.get("error"), str) and d["error"]:
    d["error"] = "<error>"
print(json.dumps(d, sort_keys=True))
)PY";
  RunResult result = run({"/usr/bin/python3", "-c", kNormalise, path});
  INFO(read_text_file(path));
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return result.out.substr(0, result.out.size() - 1);
}

// The status file's error, decoded from JSON.
std::string status_error(const std::string& path) {
  RunResult result = run({"/usr/bin/python3", "-c",
                          "import json, sys; sys.stdout.write(json.load(open(sys.argv[1]))['error'])", path});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return result.out;
}

// Expected status_document() text; `error` is "null" or "<error>"; `preflight` the findings' JSON.
std::string document(const std::string& status, const std::string& current, const std::string& pending,
                     const std::string& error, const std::vector<std::string>& timings,
                     const std::string& preflight = "[]") {
  std::string t;
  for (const auto& name : timings) t += (t.empty() ? "" : ", ") + ("\"" + name + "\": \"<ms>\"");
  return "{\"current_version\": " + current +
         ", \"error\": " + (error == "null" ? error : "\"" + error + "\"") + ", \"pending\": " + pending +
         ", \"preflight\": " + preflight + ", \"status\": \"" + status + "\", \"time\": \"<utc>\", \"timings_ms\": {" + t + "}}";
}

// Names in `dir` that are leftovers of a write (path.tmp-PID).
std::vector<std::string> temporaries(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& name : dir.names())
    if (contains(name, ".tmp")) out.push_back(name);
  return out;
}

const std::vector<std::string> kAllTimings = {"migrate", "total", "verify", "wait"};
const std::vector<std::string> kApp = {"--", "sh", "-c", "echo \"app started $SCHEMAGATE_STATUS\""};

// Project::run with argv built at run time.
RunResult run_with(const Project& p, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& extra = {}) {
  return run(schemagate(args), p.options(extra));
}

std::vector<std::string> with_app(std::vector<std::string> args) {
  args.insert(args.end(), kApp.begin(), kApp.end());
  return args;
}

TEST_CASE("an ok run writes status ok, the current version, nothing pending, no error and its timings") {
  Project p;
  TempDir out("status");
  p.write("1_users.sql", migration("create table users (id int);"));
  p.write("2_orders.sql", migration("create table orders (id int);"));
  RunResult result =
      testing::run(schemagate(with_app({"--status-file", out.file("status.json")})), p.options());
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started ok\n");
  CHECK(status_document(out.file("status.json")) == document("ok", "\"2\"", "[]", "null", kAllTimings));
  CHECK(out.names() == std::vector<std::string>{"status.json"});

  // The same through SCHEMAGATE_STATUS_FILE, on the restart path.
  RunResult again = run_with(p, kApp, {{"SCHEMAGATE_STATUS_FILE", out.file("status.json")}});
  CHECK(again.exit_code == 0);
  CHECK(status_document(out.file("status.json")) == document("ok", "\"2\"", "[]", "null", kAllTimings));
  CHECK(out.names() == std::vector<std::string>{"status.json"});
}

TEST_CASE(
    "a permissive start with a problem writes status degraded with the error, and the app starts degraded") {
  Project p;
  TempDir out("status");
  std::map<std::string, std::string> env{{"FAIL_ON_MIGRATION_ERROR", "false"},
                                         {"SCHEMAGATE_STATUS_FILE", out.file("status.json")}};
  p.write("1_users.sql", migration("create table users (id int);"));

  SUBCASE("a missing critical table") {
    env["CRITICAL_TABLES"] = "users,billing";
    RunResult result = run_with(p, kApp, env);
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "app started degraded\n");
    std::string error = error_line(result);
    std::string message = error.substr(error.find(" ERROR ") + 7);
    CHECK(contains(message, "billing"));
    CHECK(status_document(out.file("status.json")) ==
          document("degraded", "\"1\"", "[]", "<error>", kAllTimings));
    CHECK(status_error(out.file("status.json")) == message);
  }
  SUBCASE("a failing migration") {
    REQUIRE(p.run({}).exit_code == 0);  // 1 applied by an earlier start, so that 2 fails alone
    p.write("2_broken.sql", migration("create table broken (id int);\nselect 1 / 0;"));
    RunResult result = run_with(p, kApp, env);
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "app started degraded\n");
    std::string error = error_line(result);
    CHECK(contains(error, "22012"));
    std::string message = error.substr(error.find(" ERROR ") + 7);
    // No verify step after a failed migration.
    CHECK(status_document(out.file("status.json")) ==
          document("degraded", "\"1\"", "[\"2\"]", "<error>", {"migrate", "total", "wait"}));
    CHECK(status_error(out.file("status.json")) == message);
    CHECK_FALSE(p.exists("broken"));
  }
  CHECK(temporaries(out).empty());
}

TEST_CASE("an unreachable database writes status failed with the error and no password") {
  Project p;
  TempDir out("status");
  ClosedPort nowhere;
  const std::string url = nowhere.url("app", "postgres:" + percent_encode(kCanaryPassword));
  RunResult result = run_with(
      p, kApp,
      {{"DATABASE_URL", url}, {"DB_MAX_RETRIES", "2"}, {"SCHEMAGATE_STATUS_FILE", out.file("status.json")}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 69);
  CHECK(result.out == "");
  std::string text = read_text_file(out.file("status.json"));
  CHECK(canary_leaks(text).empty());
  CHECK(canary_leaks(result.err).empty());
  std::string error = error_line(result);
  std::string message = error.substr(error.find(" ERROR ") + 7);
  CHECK(contains(message, "127.0.0.1:" + std::to_string(nowhere.port())));
  CHECK(status_document(out.file("status.json")) ==
        document("failed", "null", "null", "<error>", {"total", "wait"}));
  CHECK(status_error(out.file("status.json")) == message);
  CHECK(temporaries(out).empty());
}

TEST_CASE("--skip writes status skipped without contacting the database") {
  TempDir out("status");
  Listener database;
  RunOptions options = gate_options();
  options.env = {{"DATABASE_URL", database.url()}, {"SCHEMAGATE_STATUS_FILE", out.file("status.json")}};
  RunResult result = run(schemagate(with_app({"--skip"})), options);
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started skipped\n");
  CHECK_FALSE(database.was_contacted());
  CHECK(status_document(out.file("status.json")) == document("skipped", "null", "null", "null", {"total"}));
}

TEST_CASE("the status file is replaced whole, by rename: readers see the old document or the new one") {
  Project p;
  TempDir out("status");
  const std::string path = out.file("status.json");
  p.write("1_users.sql", migration("create table users (id int);"));
  out.write("status.json", "{\"status\":\"an older run\"}\n");
  // A second name for the old file: a writer that truncated and rewrote it in place would change
  // what this name shows; a rename leaves the old file as it was.
  REQUIRE(::link(path.c_str(), out.file("old.json").c_str()) == 0);

  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> torn{0};
  std::string torn_text;
  std::thread reader([&] {
    while (!done) {
      std::string text = read_text_file(path);
      ++reads;
      bool whole =
          text.starts_with("{\"status\":") && text.ends_with("}\n") && text.find('\n') == text.size() - 1;
      if (!whole && torn++ == 0) torn_text = text;
    }
  });
  std::vector<int> codes;
  for (int i = 0; i < 5; ++i) codes.push_back(p.run({}, {{"SCHEMAGATE_STATUS_FILE", path}}).exit_code);
  done = true;
  reader.join();

  CHECK(codes == std::vector<int>{0, 0, 0, 0, 0});
  CHECK(reads > 0);
  CHECK_MESSAGE(torn == 0, torn_text);
  CHECK(out.read("old.json") == "{\"status\":\"an older run\"}\n");
  CHECK(status_document(path) == document("ok", "\"1\"", "[]", "null", kAllTimings));
  CHECK(out.names() == std::vector<std::string>{"old.json", "status.json"});
}

TEST_CASE("a status file that cannot be written is a warning, never the reason a start fails") {
  Project p;
  TempDir out("status");
  const std::string path = out.file("no-such-dir/status.json");
  RunResult result = run_with(p, kApp, {{"SCHEMAGATE_STATUS_FILE", path}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "app started ok\n");
  auto warnings = lines_with(result.err, " WARN  cannot write the status file " + path + ": ");
  CHECK(warnings.size() == 1);
  CHECK(out.names().empty());
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
