// SPEC §1 steps 4-6, §2 (up, down, status, new, repair, --dry-run, --await) and §3 (files and the
// tracking table), through the built binary against a real server. Every case checks the exit
// code, what was logged, and what the database holds afterwards.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "support/gate.h"
#include "support/log_lines.h"
#include "support/migrations.h"
#include "support/pg_cluster.h"
#include "support/process.h"
#include "support/text.h"

namespace schemagate::testing {
namespace {

TEST_SUITE_BEGIN("migrate");

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string utc_now_version() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &utc);
  return text;
}

const std::string kColumns = "applied_at,checksum,dirty,duration_ms,name,resume_at,version";

std::string tracking_columns(const Project& p) {
  return p.psql("select string_agg(column_name, ',' order by column_name) from information_schema.columns "
                "where table_schema = 'public' and table_name = 'schema_migrations'");
}

// ---------------------------------------------------------------------------------------------
// Applying

TEST_CASE("a first run applies every migration in order and a second run applies nothing") {
  Project p;
  p.write("1_users.sql", migration("create table users (id int primary key);", "drop table users;"));
  p.write("2_orders.sql", migration("create table orders (id int, user_id int references users);"));
  p.write("3_seed.sql", migration("insert into users values (1), (2);"));

  RunResult first = p.run({});
  CHECK(first.exit_code == 0);
  CHECK(first.out == "");
  CHECK_FALSE(contains(first.err, " ERROR "));
  CHECK(in_order(first.err, {" INFO  applied 1 users ", " INFO  applied 2 orders ", " INFO  applied 3 seed "}));
  for (const auto& line : lines_with(first.err, " INFO  applied "))
    CHECK(std::regex_search(line, std::regex(" version=\\d+ name=\\w+ duration_ms=\\d+$")));
  auto summary = lines_with(first.err, "migrations done");
  REQUIRE(summary.size() == 1);
  CHECK(contains(summary[0], " applied=3 skipped=0 total="));

  CHECK(p.versions() == "1,2,3");
  CHECK(tracking_columns(p) == kColumns);
  CHECK(p.psql("select string_agg(name, ',' order by version) from schema_migrations") == "users,orders,seed");
  CHECK(p.psql("select checksum from schema_migrations where version = '1'") ==
        sha256_of("create table users (id int primary key);\n"));
  CHECK(p.psql("select checksum from schema_migrations where version = '3'") ==
        sha256_of("insert into users values (1), (2);\n"));
  CHECK(p.psql("select bool_and(not dirty), bool_and(applied_at <= now()), bool_and(duration_ms >= 0), "
               "count(*) filter (where applied_at is null or duration_ms is null) from schema_migrations") ==
        "t|t|t|0");
  // The tracking row was written by the transaction that created the table: they commit together.
  CHECK(p.psql("select (select xmin::text from schema_migrations where version = '2') = "
               "(select xmin::text from pg_class where oid = 'orders'::regclass)") == "t");
  // Each migration is a transaction of its own (SPEC §1 step 6).
  CHECK(p.psql("select count(distinct xmin::text) from schema_migrations") == "3");
  CHECK(p.psql("select count(*) from users") == "2");

  std::string rows_before = p.psql("select * from schema_migrations order by version");
  RunResult second = p.run({});
  CHECK(second.exit_code == 0);
  CHECK(lines_with(second.err, " INFO  database is up to date applied=3").size() == 1);
  CHECK_FALSE(contains(second.err, " INFO  applied "));
  CHECK_FALSE(contains(second.err, "migrations done"));
  CHECK(p.psql("select * from schema_migrations order by version") == rows_before);
  CHECK(p.psql("select count(*) from users") == "2");

  RunResult up = p.run({"up"});
  CHECK(up.exit_code == 0);
  CHECK(contains(up.err, "database is up to date"));
}

// pg_dump's preamble and the constructs a dump holds, written as pg_dump --inserts writes them
// (minus `SELECT pg_catalog.set_config('search_path', '', false);`: see the report on the
// unqualified tracking table).
const std::string kDump = R"SQL(--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the app''s schema; not public';

CREATE TYPE app.mood AS ENUM (
    'sad',
    'ok'
);

CREATE FUNCTION app.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();  -- a comment; with a semicolon
    RETURN NEW;
END;
$$;

CREATE FUNCTION app.dollars() RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $_$SELECT 'costs $$5; or $tag$ more'::text$_$;

COMMENT ON FUNCTION app.touch() IS 'sets updated_at; /* not a comment */';

SET default_tablespace = '';
SET default_table_access_method = heap;

CREATE TABLE app.users (
    id integer NOT NULL,
    name text DEFAULT 'it''s $x$ fine; really'::text,
    mood app.mood,
    updated_at timestamp with time zone
);

CREATE SEQUENCE app.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE app.users_id_seq OWNED BY app.users.id;
ALTER TABLE ONLY app.users ALTER COLUMN id SET DEFAULT nextval('app.users_id_seq'::regclass);

INSERT INTO app.users VALUES (1, E'O\'Brien; \\ backslash', 'ok', NULL);

SELECT pg_catalog.setval('app.users_id_seq', 1, true);

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();

COMMENT ON TABLE app.users IS 'People; who use it';

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'postgres') THEN
        RAISE EXCEPTION 'no postgres role';
    END IF;
END
$do$;

/* a block comment /* nested; */ still a comment; */
CREATE TABLE public.applied_order (seq serial, version text);
INSERT INTO public.applied_order (version) VALUES ('000001')
)SQL";

TEST_CASE("both layouts, mixed version widths, a dash and a pg_dump first migration apply in numeric order") {
  Project p;
  p.write("000001_schema_dump.sql", migration(kDump, "DROP SCHEMA app CASCADE;\nDROP TABLE public.applied_order;"));
  p.write("7_seven.sql", migration("create table seven (x int);\ninsert into applied_order (version) values ('7');",
                                   "drop table seven;"));
  p.write("36004600-dash-name.up.sql",
          "create table dashed (x int);\ninsert into applied_order (version) values ('36004600');\n");
  p.write("36004600_renamed_when_reverting.down.sql", "drop table dashed;\n");
  p.write("20240101120000_late.sql",
          migration("create table late (x int);\ninsert into applied_order (version) values ('20240101120000');",
                    "drop table late;"));
  p.write("README.md", "# Migrations\n-- migrate:up\nnot sql at all\n");
  p.write("checksums.sha256", "deadbeef  1_x.sql\n");
  p.write("20240101120001_draft.sql.bak", "garbage; not a migration\n");
  p.write("notes.txt", "\xff\xfe not even UTF-8\n");

  RunResult result = p.run({"up"});
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, " ERROR "));
  CHECK(in_order(result.err, {" INFO  applied 000001 schema_dump ", " INFO  applied 7 seven ",
                              " INFO  applied 36004600 dash-name ", " INFO  applied 20240101120000 late "}));
  CHECK(lines_with(result.err, " INFO  applied ").size() == 4);
  CHECK(contains(result.err, "migrations done applied=4 skipped=0"));

  CHECK(p.versions() == "000001,7,36004600,20240101120000");
  CHECK(p.psql("select string_agg(version, ',' order by seq) from applied_order") ==
        "000001,7,36004600,20240101120000");
  CHECK(p.psql("select name from schema_migrations where version = '36004600'") == "dash-name");
  CHECK(p.psql("select checksum from schema_migrations where version = '36004600'") ==
        sha256_of("create table dashed (x int);\ninsert into applied_order (version) values ('36004600');\n"));
  CHECK(p.psql("select checksum from schema_migrations where version = '000001'") == sha256_of(kDump));

  // What the dump built, working.
  CHECK(p.psql("select name, mood from app.users") == "O'Brien; \\ backslash|ok");
  p.psql("update app.users set mood = 'sad'");
  CHECK(p.psql("select updated_at is not null from app.users") == "t");
  CHECK(p.psql("select app.dollars()") == "costs $$5; or $tag$ more");
  CHECK(p.psql("select obj_description('app.users'::regclass)") == "People; who use it");
  CHECK(p.psql("select obj_description('app.touch()'::regprocedure)") == "sets updated_at; /* not a comment */");
  CHECK(p.psql("select nextval('app.users_id_seq')") == "2");
  CHECK(p.exists("seven"));
  CHECK(p.exists("dashed"));
  CHECK(p.exists("late"));

  // The pair's down file has a name of its own and is still found.
  RunResult down = p.run({"down", "--to", "7"});
  CHECK(down.exit_code == 0);
  CHECK(in_order(down.err, {" INFO  rolled back 20240101120000 late", " INFO  rolled back 36004600 dash-name"}));
  CHECK(p.versions() == "000001,7");
  CHECK_FALSE(p.exists("late"));
  CHECK_FALSE(p.exists("dashed"));
  CHECK(p.exists("seven"));
}

TEST_CASE("a pair of files holding CREATE INDEX CONCURRENTLY runs outside a transaction, both ways") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);\ninsert into t select generate_series(1, 1000);"));
  p.write("2_t_x.up.sql", "create index concurrently t_x_idx on t (x);\n");
  p.write("2_drop_t_x.down.sql", "drop index concurrently t_x_idx;\n");
  p.write("3_after.sql", migration("create table after_index (x int);", "drop table after_index;"));

  RunResult up = p.run({"up"});
  CHECK(up.exit_code == 0);
  auto outside = lines_with(up.err, "outside a transaction");
  REQUIRE(outside.size() == 1);
  CHECK(contains(outside[0],
                 " INFO  running 2 t_x outside a transaction (create index concurrently t_x_idx on t (x))"));
  CHECK(in_order(up.err, {"applied 1 t ", "running 2 t_x", "applied 2 t_x ", "applied 3 after "}));
  CHECK(p.versions() == "1,2,3");
  CHECK(p.psql("select indisvalid, indisready from pg_index where indexrelid = 't_x_idx'::regclass") == "t|t");
  CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
  CHECK(p.psql("select checksum from schema_migrations where version = '2'") ==
        sha256_of("create index concurrently t_x_idx on t (x);\n"));

  RunResult down = p.run({"down", "--steps", "2"});
  CHECK(down.exit_code == 0);
  CHECK(lines_with(down.err, "outside a transaction").size() == 1);
  CHECK(contains(down.err, "rollback done rolled_back=2"));
  CHECK(p.versions() == "1");
  CHECK_FALSE(p.exists("t_x_idx"));
  CHECK_FALSE(p.exists("after_index"));
}

TEST_CASE("what a migration does to its session (role, session user, search_path) never stops it being recorded") {
  Project p;
  const std::string role = p.db() + "_lowpriv";  // roles are cluster-wide: one per case
  p.psql("create role " + role + " nologin; create schema elsewhere;");
  p.write("1_t.sql", migration("create table t (x int);"));
  // Outside a transaction, each statement's effect on the session stays after it.
  p.write("2_role.sql", "-- migrate:up transaction:false\nset role " + role + ";\n");
  p.write("3_user.sql", "-- migrate:up transaction:false\nset session authorization " + role + ";\n");
  p.write("4_path.sql",
          "-- migrate:up transaction:false\nset search_path = elsewhere;\nset standard_conforming_strings = off;\n");
  // Inside one, it lasts until the transaction's tracking row is written.
  p.write("5_user.sql", migration("set session authorization " + role + ";\nselect 1;"));
  p.write("6_role.sql", migration("set local role " + role + ";\nselect 2;"));
  // A file's own transaction too, its COMMIT guarded by a look at the tracking table, which the
  // role may not read.
  p.write("7_own.sql", migration("BEGIN;\nset local role " + role + ";\nselect 3;\nCOMMIT;"));
  p.write("8_t.sql", migration("insert into t values (7);"));
  RunResult result = p.run({}, {{"CRITICAL_TABLES", "t"}});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(p.psql("select string_agg(version || ':' || dirty, ',' order by version::int) from schema_migrations") ==
        "1:false,2:false,3:false,4:false,5:false,6:false,7:false,8:false");
  CHECK(p.psql("select x from t") == "7");
  CHECK(p.run({}).exit_code == 0);  // and nothing is left dirty for the next start
}

TEST_CASE("a deferred trigger fires at COMMIT under the settings the migration SET and schemagate's lock_timeout; "
          "none of them stays on the session after") {
  Project p;
  p.write("1_setup.sql",
          migration("create table log (lock_timeout text, tag text);\ncreate table t (x int);\n"
                    "create function note() returns trigger language plpgsql as $$ begin insert into public.log "
                    "values (current_setting('lock_timeout'), current_setting('app.tag', true)); return null; end $$;\n"
                    "create constraint trigger noted after insert on t deferrable initially deferred for each row "
                    "execute function note();"));
  p.write("2_insert.sql", migration("set local app.tag = 'mine';\nset app.other = 'session';\ninsert into t values (1);"));
  p.write("3_after.sql", migration("create table after_it as select current_setting('app.other', true) as other;"));
  RunResult result = p.run({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "7s"}});
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  CHECK(p.psql("select lock_timeout || '|' || tag from log") == "7s|mine");
  CHECK(p.psql("select coalesce(other, '') from after_it") == "");
}

TEST_CASE("RAISE NOTICE and WARNING from a migration reach the log, tagged with the migration that raised them") {
  Project p;
  p.write("1_seed.sql", migration("create table t (x int);\ndo $$ begin raise notice 'seeded % rows', 0; end $$;"));
  p.write("2_backfill.sql",
          migration("insert into t values (1), (2);\ndo $$ begin raise notice 'backfilled % rows', 2; "
                    "raise warning 'slow on big tables'; end $$;"));
  p.write("3_index.sql", "-- migrate:up transaction:false\ncreate index concurrently t_x on t (x);\n"
                         "do $$ begin raise notice 'index built'; end $$;\n");
  RunResult result = p.run({});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(in_order(result.err, {" INFO  notice from 1 seed: seeded 0 rows version=1 severity=NOTICE\n",
                              " INFO  applied 1 seed ",
                              " INFO  notice from 2 backfill: backfilled 2 rows version=2 severity=NOTICE\n",
                              " WARN  warning from 2 backfill: slow on big tables version=2 severity=WARNING\n",
                              " INFO  applied 2 backfill ",
                              " INFO  notice from 3 index: index built version=3 severity=NOTICE\n",
                              " INFO  applied 3 index "}));
  // schemagate's own statements' notices stay at debug level.
  CHECK_FALSE(contains(result.err, "already exists, skipping"));
}

TEST_CASE("a non-transactional migration that fails part-way stays dirty until repair") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);"));
  p.write("2_t_x.up.sql", "create index concurrently t_x_idx on t (x);\ninsert into t values ('not a number');\n");
  p.write("2_t_x.down.sql", "drop index concurrently t_x_idx;\n");

  RunResult failed = p.run({"up"});
  CHECK(failed.exit_code == 1);
  std::string error = error_line(failed);
  CHECK(contains(error, " ERROR " + p.file("2_t_x.up.sql") + ":2:23: migration 2 t_x failed part-way and is marked "
                        "dirty: 22P02: invalid input syntax for type integer: \"not a number\""));
  CHECK(contains(error, "schemagate repair"));
  CHECK(p.psql("select version, dirty from schema_migrations order by version") == "1|f\n2|t");
  CHECK(p.exists("t_x_idx"));  // its first statement ran

  RunResult blocked = p.run({"up"});
  CHECK(blocked.exit_code == 65);
  CHECK(contains(error_line(blocked), "version 2 (" + p.file("2_t_x.up.sql") + ") is marked dirty"));
  CHECK(contains(blocked.err, "schemagate repair"));

  // A person finishes the migration by hand, fixes the file, and repairs.
  p.write("2_t_x.up.sql", "create index concurrently t_x_idx on t (x);\n");
  RunResult repaired = p.run({"repair"});
  CHECK(repaired.exit_code == 0);
  CHECK(contains(repaired.err, " WARN  clearing the dirty mark of " + p.file("2_t_x.up.sql")));
  CHECK(p.psql("select dirty, checksum from schema_migrations where version = '2'") ==
        "f|" + sha256_of("create index concurrently t_x_idx on t (x);\n"));
  RunResult after = p.run({"up"});
  CHECK(after.exit_code == 0);
  CHECK(contains(after.err, "database is up to date"));
}

TEST_CASE("a file with its own BEGIN that sets its isolation level runs after another migration, with schemagate's "
          "lock_timeout") {
  // SET TRANSACTION must come before any query of the transaction: what schemagate adds after the
  // file's BEGIN are SET LOCALs, which are not queries.
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_own.sql", migration("BEGIN;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n"
                                 "create table seen as select current_setting('transaction_isolation') as isolation,"
                                 " current_setting('lock_timeout') as lock_timeout;\nCOMMIT;"));
  RunResult ok = p.run({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "7s"}});
  CHECK_MESSAGE(ok.exit_code == 0, ok.err);
  CHECK(p.versions() == "1,2");
  CHECK(p.psql("select isolation || ' ' || lock_timeout from seen") == "serializable 7s");
}

TEST_CASE("a file with its own BEGIN and COMMIT is recorded in its own transaction") {
  Project p;
  p.write("1_own.sql", migration("BEGIN;\ncreate table own_tx (x int);\ninsert into own_tx values (1);\nCOMMIT;"));
  RunResult ok = p.run({"up"});
  CHECK(ok.exit_code == 0);
  CHECK(p.versions() == "1");
  CHECK(p.psql("select count(*) from own_tx") == "1");
  CHECK(p.psql("select (select xmin::text from schema_migrations where version = '1') = "
               "(select xmin::text from pg_class where oid = 'own_tx'::regclass)") == "t");

  SUBCASE("a statement failing after BEGIN leaves neither schema nor row") {
    p.write("2_own_fail.sql",
            migration("BEGIN;\ncreate table own_fail (x int);\n"
                      "insert into own_fail values ('not a number');\nCOMMIT;"));
    RunResult failed = p.run({"up"});
    CHECK(failed.exit_code == 1);
    std::string error = error_line(failed);
    CHECK(contains(error, p.file("2_own_fail.sql") + ":4:30: migration 2 own_fail failed: 22P02: "));
    CHECK(p.versions() == "1");
    CHECK_FALSE(p.exists("own_fail"));
  }
  SUBCASE("a COMMIT that fails on a deferred constraint leaves neither schema nor row") {
    p.write("2_deferred.sql", migration(
                                  "BEGIN;\ncreate table parent (id int primary key);\n"
                                  "create table child (pid int references parent deferrable initially deferred);\n"
                                  "insert into child values (1);\nCOMMIT;"));
    RunResult failed = p.run({"up"});
    CHECK(failed.exit_code == 1);
    std::string error = error_line(failed);
    CHECK(contains(error, p.file("2_deferred.sql")));
    CHECK(contains(error, "23503"));
    CHECK(p.versions() == "1");
    CHECK_FALSE(p.exists("parent"));
    CHECK_FALSE(p.exists("child"));
  }
}

TEST_CASE("a failure in the third migration leaves the two before it applied and recorded, nothing after it") {
  for (bool single : {false, true}) {
    CAPTURE(single);
    Project p;
    p.write("1_first.sql", migration("create table m1 (x int);"));
    p.write("2_second.sql", migration("create table m2 (x int);\ninsert into m2 values (2);"));
    p.write("3_third.sql", migration("create table m3 (x int);\nselect nosuch from m3;"));
    p.write("4_fourth.sql", migration("create table m4 (x int);"));
    p.write("5_fifth.sql", migration("create table m5 (x int);"));

    RunResult failed = p.run(single ? std::initializer_list<std::string>{"--single-transaction"}
                                    : std::initializer_list<std::string>{});
    CHECK(failed.exit_code == 1);
    std::string error = error_line(failed);
    CHECK(contains(error, " ERROR " + p.file("3_third.sql") + ":3:8: migration 3 third failed" +
                              (single ? " (one transaction for the run: nothing was applied)" : "") +
                              ": 42703: column \"nosuch\" does not exist"));
    CHECK_FALSE(contains(failed.err, "migrations done"));
    if (single) {
      // MIGRATIONS_SINGLE_TRANSACTION: all or nothing.
      CHECK_FALSE(contains(failed.err, " INFO  applied "));
      CHECK(p.versions() == "");
      for (const char* table : {"m1", "m2", "m3", "m4", "m5"}) CHECK_FALSE(p.exists(table));
    } else {
      // Each migration its own transaction: the ones before the failure stay, as dbmate and
      // golang-migrate leave them.
      CHECK(in_order(failed.err, {"applied 1 first", "applied 2 second"}));
      CHECK_FALSE(contains(failed.err, "applied 3 third"));
      CHECK(p.versions() == "1,2");
      CHECK(p.psql("select count(*) from m2") == "1");
      for (const char* table : {"m3", "m4", "m5"}) CHECK_FALSE(p.exists(table));
    }

    p.write("3_third.sql", migration("create table m3 (x int);\nselect x from m3;"));
    RunResult fixed = p.run({});
    CHECK(fixed.exit_code == 0);
    CHECK(in_order(fixed.err, {"applied 3 third", "applied 4 fourth", "applied 5 fifth"}));
    CHECK(p.versions() == "1,2,3,4,5");
    CHECK(p.psql("select count(*) from m2") == "1");
    for (const char* table : {"m1", "m2", "m3", "m4", "m5"}) CHECK(p.exists(table));
  }
}

TEST_CASE("a failing migration leaves the ones before it applied and recorded, across a non-transactional one") {
  Project p;
  p.write("1_first.sql", migration("create table m1 (x int);"));
  p.write("2_second.sql", migration("create table m2 (x int);\ninsert into m2 values (2);"));
  // Runs outside a transaction, statement by statement.
  p.write("3_index.up.sql", "create index concurrently m2_x on m2 (x);\n");
  p.write("4_fourth.sql", migration("create table m4 (x int);"));
  p.write("5_fifth.sql", migration("create table m5 (x int);\ninsert into m5 values ('five');"));
  p.write("6_sixth.sql", migration("create table m6 (x int);"));

  RunResult failed = p.run({"up"});
  CHECK(failed.exit_code == 1);
  std::string error = error_line(failed);
  CHECK(contains(error, " ERROR " + p.file("5_fifth.sql") +
                            ":3:24: migration 5 fifth failed: 22P02: invalid input syntax for type integer: \"five\""));
  CHECK(in_order(failed.err, {"applied 1 first", "applied 2 second", "applied 3 index", "applied 4 fourth"}));
  CHECK(p.versions() == "1,2,3,4");
  CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
  CHECK(p.exists("m1"));
  CHECK(p.psql("select count(*) from m2") == "1");
  CHECK(p.psql("select indisvalid from pg_index where indexrelid = 'm2_x'::regclass") == "t");
  CHECK(p.exists("m4"));
  for (const char* table : {"m5", "m6"}) CHECK_FALSE(p.exists(table));

  p.write("5_fifth.sql", migration("create table m5 (x int);\ninsert into m5 values (5);"));
  RunResult fixed = p.run({"up"});
  CHECK(fixed.exit_code == 0);
  CHECK(contains(fixed.err, "migrations done applied=2 skipped=4"));
  CHECK_FALSE(contains(fixed.err, "applied 1 first"));
  CHECK(p.versions() == "1,2,3,4,5,6");
  CHECK(p.psql("select count(*) from m2") == "1");
  CHECK(p.psql("select x from m5") == "5");
}

TEST_CASE("an error's column counts characters, not bytes, after multibyte text") {
  Project p;
  // Multibyte text in an earlier migration of the same run must not shift the position either.
  p.write("1_multibyte.sql",
          migration("create table \"café\" (x int);\ncomment on table \"café\" is 'ü€😀; -- not a comment';"));
  p.write("2_b.sql", migration("create table t2 (x int);\nselect 'ééé', nosuch_col from t2;"));
  RunResult first = p.run({"up"});
  CHECK(first.exit_code == 1);
  std::string first_error = error_line(first);
  CHECK(contains(first_error, p.file("2_b.sql") + ":3:15: migration 2 b failed"));
  CHECK(contains(first_error, ": 42703: column \"nosuch_col\" does not exist"));
  CHECK(p.versions() == "1");

  p.write("2_b.sql",
          migration("create table t2 (x int);\nselect 'ééé', x from t2;\nselect '😀😀', missing from t2;"));
  RunResult second = p.run({"up"});
  CHECK(second.exit_code == 1);
  std::string second_error = error_line(second);
  CHECK(contains(second_error, p.file("2_b.sql") + ":4:14: migration 2 b failed"));
  CHECK(contains(second_error, ": 42703: column \"missing\" does not exist"));
  CHECK(p.versions() == "1");
  CHECK_FALSE(p.exists("t2"));
}

// ---------------------------------------------------------------------------------------------
// History checks (SPEC §1 step 5) and repair

TEST_CASE("an applied file that changed, a missing file and a dirty row stop the run with 65 until repair") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_b.sql", migration("create table b (x int);"));
  REQUIRE(p.run({"up"}).exit_code == 0);
  p.write("3_c.sql", migration("create table c (x int);"));  // pending throughout

  SUBCASE("drift") {
    p.write("1_a.sql", migration("create table a (x int, y int);"));
    RunResult drift = p.run({"up"});
    CHECK(drift.exit_code == 65);
    std::string error = error_line(drift);
    CHECK(contains(error, p.file("1_a.sql") + ": checksum differs from the applied version"));
    CHECK(contains(error, "Nothing was applied"));
    CHECK(contains(error, "`schemagate repair`"));
    CHECK(p.run({}).exit_code == 65);
    CHECK(p.versions() == "1,2");
    CHECK_FALSE(p.exists("c"));

    RunResult repair = p.run({"repair"});
    CHECK(repair.exit_code == 0);
    CHECK(contains(repair.err, " WARN  recording the current checksum of " + p.file("1_a.sql")));
    CHECK(contains(repair.err, "repair done changes=1"));
    CHECK(p.psql("select checksum from schema_migrations where version = '1'") ==
          sha256_of("create table a (x int, y int);\n"));
  }
  SUBCASE("a file deleted after it was applied") {
    p.dir().remove("2_b.sql");
    RunResult missing = p.run({"up"});
    CHECK(missing.exit_code == 65);
    CHECK(contains(error_line(missing), "version 2 (b) is applied but no migration file has it"));
    CHECK(contains(missing.err, "schemagate repair"));
    CHECK(p.versions() == "1,2");
    CHECK_FALSE(p.exists("c"));

    RunResult repair = p.run({"repair"});
    CHECK(repair.exit_code == 0);
    CHECK(contains(repair.err, " WARN  forgetting version 2 (b): no migration file has it"));
    CHECK(p.versions() == "1");
  }
  SUBCASE("a dirty row") {
    p.psql("update schema_migrations set dirty = true where version = '2'");
    RunResult dirty = p.run({});
    CHECK(dirty.exit_code == 65);
    CHECK(contains(error_line(dirty), "version 2 (" + p.file("2_b.sql") + ") is marked dirty"));
    CHECK(contains(dirty.err, "schemagate repair"));
    RunResult status = p.run({"status"});
    CHECK(status.exit_code == 65);
    CHECK(contains(status.out, "DIRTY"));
    CHECK_FALSE(p.exists("c"));

    RunResult repair = p.run({"repair"});
    CHECK(repair.exit_code == 0);
    CHECK(contains(repair.err, " WARN  clearing the dirty mark of " + p.file("2_b.sql")));
    CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");
  }

  RunResult after = p.run({"up"});
  CHECK(after.exit_code == 0);
  CHECK(contains(after.err, "applied 3 c"));
  CHECK(p.exists("c"));
  CHECK(p.psql("select count(*) from schema_migrations where version = '3' and not dirty") == "1");
}

TEST_CASE("a schema-qualified tracking table, version 0 and an empty up section") {
  Project p;
  p.psql("create schema ops;");
  p.write("0_zero.sql", migration("create table zero (x int);", "drop table zero;"));
  p.write("1_empty.sql", "-- migrate:up\n-- migrate:down\n");
  RunResult result = p.run({"up"}, {{"MIGRATIONS_TABLE", "ops.schema_migrations"}});
  CHECK(result.exit_code == 0);
  CHECK(in_order(result.err, {" INFO  applied 0 zero ", " INFO  applied 1 empty "}));
  CHECK_FALSE(p.exists("public.schema_migrations"));
  CHECK(p.versions("ops.schema_migrations") == "0,1");
  CHECK(p.psql("select checksum from ops.schema_migrations where version = '1'") == sha256_of(""));
  CHECK(p.exists("zero"));

  RunResult again = p.run({}, {{"MIGRATIONS_TABLE", "ops.schema_migrations"}});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "database is up to date applied=2"));
  // Another table name is another history: everything is pending there.
  CHECK(p.run({"status"}).exit_code == 3);
}

TEST_CASE("a schema_migrations table left by dbmate is adopted in place") {
  Project p;
  p.psql("create table schema_migrations (version character varying(128) not null primary key);\n"
         "insert into schema_migrations values ('20240101000001'), ('20240101000002');\n"
         "create table a (x int);\n"
         "create table b (x int);");
  p.write("20240101000001_a.sql", migration("create table a (x int);", "drop table a;"));
  p.write("20240101000002_b.sql", migration("create table b (x int);", "drop table b;"));
  p.write("20240101000003_c.sql", migration("create table c (x int);", "drop table c;"));

  RunResult result = p.run({"up"});
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, " ERROR "));
  CHECK(contains(result.err, "recorded checksums of migrations applied before schemagate count=2"));
  CHECK(lines_with(result.err, " INFO  applied ").size() == 1);
  CHECK(contains(result.err, " INFO  applied 20240101000003 c "));
  CHECK(p.exists("c"));
  CHECK(tracking_columns(p) == kColumns);
  CHECK(p.versions() == "20240101000001,20240101000002,20240101000003");
  CHECK(p.psql("select string_agg(name || '=' || checksum, ',' order by version) from schema_migrations") ==
        "a=" + sha256_of("create table a (x int);\n") + ",b=" + sha256_of("create table b (x int);\n") +
            ",c=" + sha256_of("create table c (x int);\n"));
  CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");

  RunResult again = p.run({"up"});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "database is up to date applied=3"));

  // An adopted row's recorded checksum now guards the file like any other.
  p.write("20240101000001_a.sql", migration("create table a (x int, y int);", "drop table a;"));
  CHECK(p.run({"up"}).exit_code == 65);
}

TEST_CASE("a dbmate table with everything applied only gains columns and checksums") {
  Project p;
  p.psql("create table schema_migrations (version character varying(128) not null primary key);\n"
         "insert into schema_migrations values ('1');\ncreate table a (x int);");
  p.write("1_a.sql", migration("create table a (x int);"));
  RunResult result = p.run({});
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "recorded checksums of migrations applied before schemagate count=1"));
  CHECK_FALSE(contains(result.err, " INFO  applied "));
  CHECK(p.psql("select name, checksum from schema_migrations") == "a|" + sha256_of("create table a (x int);\n"));
}

TEST_CASE("a migrations directory that cannot be parsed stops with 65 before anything runs") {
  struct Case {
    std::string file;
    std::string text;
    std::string message;  // after the directory and a slash
  };
  const std::vector<Case> cases = {
      {"2_no_marker.sql", "create table x (y int);\n", "2_no_marker.sql:1: no -- migrate:up marker"},
      {"2_twice.sql", "-- migrate:up\ncreate table x (y int);\n-- migrate:up\nselect 1;\n",
       "2_twice.sql:3: second -- migrate:up marker (the first is on line 1)"},
      {"02_again.sql", migration("create table x (y int);"), "duplicate version 2"},
      {"v2_bad.sql", migration("create table x (y int);"), "v2_bad.sql: the name must start with a version number"},
      {"2_latin1.sql", "-- migrate:up\ncreate table x (y int);\ncomment on table x is 'caf\xe9';\n",
       "2_latin1.sql:3: not valid UTF-8"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    Project p;
    p.write("1_ok.sql", migration("create table ok_t (x int);"));
    if (c.file == "02_again.sql") p.write("2_first.sql", migration("create table first_t (x int);"));
    p.write(c.file, c.text);
    RunResult result = p.run({});
    CHECK(result.exit_code == 65);
    std::string error = error_line(result);
    CHECK(contains(error, p.dir().path() + "/"));
    CHECK(contains(error, c.message));
    CHECK_FALSE(p.exists("schema_migrations"));
    CHECK_FALSE(p.exists("ok_t"));
    CHECK(p.run({"up"}).exit_code == 65);
    CHECK(p.run({"status"}).exit_code == 65);
    CHECK_FALSE(p.exists("ok_t"));
  }
}

// ---------------------------------------------------------------------------------------------
// Time: lock_timeout, the migration timeout, signals

// Table t, migration 1 adding column y to it, and migration 2 creating after_t.
void write_alter_t(const Project& p) {
  p.psql("create table t (x int);");
  p.write("1_alter_t.sql", migration("alter table t add column y int;"));
  p.write("2_after.sql", migration("create table after_t (x int);"));
}

TEST_CASE("a lock held by another session fails the migration with 55P03 once retries run out") {
  Project p;
  write_alter_t(p);
  Holder holder(p, kLockTableT);
  REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));

  RunResult result = p.run({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "200ms"},
                                    {"MIGRATION_RETRY_ATTEMPTS", "1"},
                                    {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
  CHECK(result.exit_code == 1);
  auto retries = lines_with(result.err, " WARN  ");
  REQUIRE(retries.size() == 1);
  CHECK(contains(retries[0], "55P03"));
  CHECK(contains(retries[0], "(1/1)"));
  std::string error = error_line(result);
  CHECK(contains(error, p.file("1_alter_t.sql")));
  CHECK(contains(error, "55P03: canceling statement due to lock timeout"));
  CHECK(result.seconds < 10);
  CHECK(p.versions() == "");
  CHECK(p.psql("select count(*) from information_schema.columns where table_name = 't' and column_name = 'y'") ==
        "0");
  CHECK_FALSE(p.exists("after_t"));
}

TEST_CASE("a lock released after the first retry lets the migration through") {
  Project p;
  write_alter_t(p);
  Holder holder(p, kLockTableT);
  REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));

  Child child = p.spawn({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "200ms"},
                                 {"MIGRATION_RETRY_ATTEMPTS", "10"},
                                 {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"}});
  REQUIRE(child.wait_for_stderr("retrying in", 20s));
  holder.release();
  RunResult result = child.finish();
  CHECK(result.exit_code == 0);
  CHECK(contains(result.err, "55P03"));
  CHECK_FALSE(contains(result.err, " ERROR "));
  CHECK(contains(result.err, "migrations done applied=2"));
  CHECK(p.versions() == "1,2");
  CHECK(p.psql("select count(*) from information_schema.columns where table_name = 't' and column_name = 'y'") ==
        "1");
  CHECK(p.exists("after_t"));
}

TEST_CASE("a migration that outlives MIGRATION_TIMEOUT_SECONDS is cancelled on the server: exit 75") {
  Project p;
  p.write("1_quick.sql", migration("create table quick (x int);"));
  p.write("2_sleepy.sql", migration("create table sleepy (x int);\nselect pg_sleep(30);"));

  RunResult result = p.run({"up"}, {{"MIGRATION_TIMEOUT_SECONDS", "1"}});
  // Straight away: no statement of ours may still be running on the server.
  int still_running = p.backends("wait_event = 'PgSleep' and state = 'active'");
  CHECK(result.exit_code == 75);
  CHECK(result.seconds < 5);
  CHECK(contains(error_line(result), "out of time (migrations.timeout)"));
  CHECK(still_running == 0);
  CHECK(wait_until([&] { return p.backends("application_name = 'schemagate'") == 0; }, 5s));
  CHECK(p.advisory_locks() == 0);
  // The one before it committed; the cancelled one left nothing.
  CHECK(p.versions() == "1");
  CHECK(p.exists("quick"));
  CHECK_FALSE(p.exists("sleepy"));
}

// ---------------------------------------------------------------------------------------------
// Check-only, --await

TEST_CASE("check-only mode lists pending migrations and exits 3 without starting the app") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_b.sql", migration("create table b (x int);"));
  const std::initializer_list<std::string> app = {"--", "/bin/sh", "-c", "echo \"app ran: $SCHEMAGATE_STATUS\""};

  RunResult strict = p.run(app, {{"AUTO_MIGRATE_ON_STARTUP", "false"}});
  CHECK(strict.exit_code == 3);
  CHECK(strict.out == "");
  CHECK(contains(error_line(strict), "2 pending migration(s): 1, 2; migrations.auto is off"));
  CHECK_FALSE(contains(strict.err, "starting app"));
  CHECK_FALSE(p.exists("schema_migrations"));
  CHECK_FALSE(p.exists("a"));

  RunResult permissive = p.run(app, {{"AUTO_MIGRATE_ON_STARTUP", "false"}, {"FAIL_ON_MIGRATION_ERROR", "false"}});
  CHECK(permissive.exit_code == 0);
  CHECK(permissive.out == "app ran: degraded\n");
  CHECK(contains(error_line(permissive), "2 pending migration(s): 1, 2"));
  CHECK(contains(permissive.err, "starting degraded"));
  CHECK_FALSE(p.exists("schema_migrations"));
  CHECK_FALSE(p.exists("a"));

  REQUIRE(p.run({"up"}).exit_code == 0);
  RunResult current = p.run(app, {{"AUTO_MIGRATE_ON_STARTUP", "false"}});
  CHECK(current.exit_code == 0);
  CHECK(current.out == "app ran: ok\n");
}

TEST_CASE("--await waits read-only until another runner has applied the pending migrations") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_b.sql", migration("create table b (x int);"));

  Child awaiting = p.spawn({}, {{"MIGRATIONS_AWAIT", "true"}, {"MIGRATION_TIMEOUT_SECONDS", "30"}});
  REQUIRE(awaiting.wait_for_stderr("waiting for another runner", 10s));
  // Waiting takes neither the lock nor the liberty of creating the tracking table.
  CHECK(p.advisory_locks() == 0);
  CHECK_FALSE(p.exists("schema_migrations"));

  RunResult runner = p.run({"up"});
  CHECK(runner.exit_code == 0);
  CHECK(contains(runner.err, "migrations done applied=2"));

  RunResult waited = awaiting.finish();
  CHECK(waited.exit_code == 0);
  CHECK(contains(waited.err, "migrations applied by another runner"));
  CHECK_FALSE(contains(waited.err, " INFO  applied "));
  CHECK_FALSE(contains(waited.err, "migrations done"));
  CHECK(p.versions() == "1,2");
}

TEST_CASE("--await gives up with 75 when nobody applies the migrations in time") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  RunResult result = p.run({"--await"}, {{"MIGRATION_TIMEOUT_SECONDS", "1"}});
  CHECK(result.exit_code == 75);
  CHECK(contains(error_line(result), "timed out waiting for another runner; still pending: 1"));
  CHECK(result.seconds < 10);
  CHECK_FALSE(p.exists("schema_migrations"));
  CHECK_FALSE(p.exists("a"));
}

// 1_a.sql applied, 2_b.sql pending.
void apply_first_of_two(const Project& p) {
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_b.sql", migration("create table b (x int);"));
  REQUIRE(p.run({"up", "--to", "1"}).exit_code == 0);
}

// Exit 1 says a migration failed; here none ran. The role is refused what every command needs,
// as a refused login is (69), and permissive mode may start the app, as when the database is away.
TEST_CASE("a role that may not read the tracking table: status, check-only and --await exit 69 naming it") {
  Project p;
  apply_first_of_two(p);
  const std::string role = "reader_" + p.db();
  p.psql("create role " + role + " login password 'reader-pw'");
  const std::string as_reader = p.cluster().url(p.db(), role, "reader-pw");
  const std::string refused =
      "reading \"schema_migrations\": 42501: permission denied for table schema_migrations; the role "
      "schemagate connects as needs the SELECT privilege on \"schema_migrations\": GRANT SELECT ON "
      "\"schema_migrations\" TO <role>";
  struct Case {
    std::initializer_list<std::string> args;
    std::map<std::string, std::string> env;
  };
  for (const Case& c : {Case{{"status"}, {}}, Case{{"status", "--json"}, {}},
                        Case{{}, {{"AUTO_MIGRATE_ON_STARTUP", "false"}}},
                        Case{{}, {{"MIGRATIONS_AWAIT", "true"}, {"MIGRATION_TIMEOUT_SECONDS", "30"}}}}) {
    std::map<std::string, std::string> env = c.env;
    env["DATABASE_URL"] = as_reader;
    CAPTURE(std::vector<std::string>(c.args));
    CAPTURE(env);
    RunResult result = p.run(c.args, env);
    CHECK(result.exit_code == 69);
    CHECK(result.out == "");
    CHECK(contains(error_line(result), " ERROR " + refused));
    CHECK(result.seconds < 10);  // not retried
  }

  RunResult permissive = p.run({"--", "/bin/sh", "-c", "echo \"app ran: $SCHEMAGATE_STATUS\""},
                               {{"DATABASE_URL", as_reader},
                                {"AUTO_MIGRATE_ON_STARTUP", "false"},
                                {"FAIL_ON_MIGRATION_ERROR", "false"}});
  CHECK(permissive.exit_code == 0);
  CHECK(permissive.out == "app ran: degraded\n");

  p.psql("grant select on schema_migrations to " + role);
  RunResult granted = p.run({"status"}, {{"DATABASE_URL", as_reader}});
  CHECK(granted.exit_code == 3);
  CHECK(contains(granted.out, "1 applied, 1 pending\n"));
}

// ---------------------------------------------------------------------------------------------
// status, up --dry-run, up --to, down, new

TEST_CASE("status lists applied and pending migrations, as text and JSON, and exits 3 while any is pending") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_b.sql", migration("create table b (x int);"));

  RunResult fresh = p.run({"status"});
  CHECK(fresh.exit_code == 3);
  // Pending is what status reports, not an error of it.
  CHECK(contains(fresh.err, " INFO  2 pending migration(s)"));
  CHECK_FALSE(contains(fresh.err, " ERROR "));
  CHECK(contains(fresh.out, "pending  1  a  " + p.file("1_a.sql") + "\n"));
  CHECK(contains(fresh.out, "0 applied, 2 pending\n"));
  CHECK_FALSE(p.exists("schema_migrations"));  // read-only

  REQUIRE(p.run({"up", "--to", "1"}).exit_code == 0);
  RunResult text = p.run({"status"});
  CHECK(text.exit_code == 3);
  auto lines = lines_of(text.out);
  REQUIRE(lines.size() == 3);
  CHECK(std::regex_match(lines[0], std::regex("applied  1  a  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d.*  \\d+ ms")));
  CHECK(lines[1] == "pending  2  b  " + p.file("2_b.sql"));
  CHECK(lines[2] == "1 applied, 1 pending");

  RunResult json = p.run({"status", "--json"});
  CHECK(json.exit_code == 3);
  CHECK(std::regex_match(
      json.out, std::regex("\\{\"applied\":\\[\\{\"version\":\"1\",\"name\":\"a\",\"applied_at\":\"[^\"]+\","
                           "\"duration_ms\":\\d+,\"dirty\":false,\"future\":false\\}\\],"
                           "\"pending\":\\[\\{\"version\":\"2\",\"name\":\"b\",\"path\":\"" +
                           p.file("2_b.sql") + "\"\\}\\],\"preflight\":\\[\\],\"problem\":null\\}\n")));

  REQUIRE(p.run({"up"}).exit_code == 0);
  RunResult current = p.run({"status"});
  CHECK(current.exit_code == 0);
  CHECK(contains(current.out, "2 applied, 0 pending\n"));
  RunResult current_json = p.run({"status", "--json"});
  CHECK(current_json.exit_code == 0);
  CHECK(contains(current_json.out, "\"pending\":[],\"preflight\":[],\"problem\":null}"));
}

TEST_CASE("status --json prints its document with the problem when the files cannot be read as migrations") {
  struct Case {
    std::string file, text;
    std::string problem;  // after the directory and a slash
  };
  const std::vector<Case> cases = {
      {"3_no_marker.sql", "create table x (y int);\n", "3_no_marker.sql:1: no -- migrate:up marker"},
      {"02_again.sql", migration("create table x (y int);"), "2_b.sql: duplicate version 2 (also "},
      {"3_orphan.down.sql", "drop table x;\n",
       "3_orphan.down.sql: a .down.sql without its .up.sql (version 3)"},
      {"3_caf\xE9.sql", migration("create table x (y int);"),
       "3_caf\\\\xE9.sql: the file name is not valid UTF-8; rename the file"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    Project p;
    apply_first_of_two(p);
    p.write(c.file, c.text);

    RunResult json = p.run({"status", "--json"});
    CHECK(json.exit_code == 65);
    CHECK(json.out.starts_with("{\"applied\":[{\"version\":\"1\",\"name\":\"a\",\"applied_at\":\""));
    CHECK(contains(json.out, ",\"dirty\":false,\"future\":false}],\"pending\":[],\"preflight\":[],\"problem\":\"" +
                                 p.dir().path() + "/" + c.problem));
    CHECK(json.out.ends_with("\"}\n"));
    CHECK(lines_of(json.out).size() == 1);
    CHECK(contains(error_line(json), p.dir().path() + "/"));
    // Text output says it in the error line alone, as before.
    RunResult text = p.run({"status"});
    CHECK(text.exit_code == 65);
    CHECK(text.out == "");
  }
}

TEST_CASE("up --dry-run prints the plan and the SQL and changes nothing") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);", "drop table a;"));
  p.write("2_idx.up.sql", "create index concurrently a_x on a (x);\n");
  p.write("2_idx.down.sql", "drop index a_x;\n");

  RunResult dry = p.run({"up", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.starts_with("-- 2 pending migration(s); nothing is applied (--dry-run)\n"));
  CHECK(in_order(dry.out, {"-- " + p.file("1_a.sql") + " (version 1, in a transaction)\n", "create table a (x int);\n",
                           "-- " + p.file("2_idx.up.sql") +
                               " (version 2, outside a transaction: create index concurrently a_x on a (x))\n",
                           "create index concurrently a_x on a (x);\n"}));
  CHECK_FALSE(p.exists("schema_migrations"));
  CHECK_FALSE(p.exists("a"));

  REQUIRE(p.run({"up"}).exit_code == 0);
  RunResult down_dry = p.run({"down", "--dry-run", "--steps", "2"});
  CHECK(down_dry.exit_code == 0);
  CHECK(down_dry.out.starts_with("-- 2 migration(s) to roll back; nothing changes (--dry-run)\n"));
  CHECK(in_order(down_dry.out, {"drop index a_x;", "drop table a;"}));
  CHECK(p.versions() == "1,2");
  CHECK(p.exists("a_x"));
}

TEST_CASE("up --to stops after the given version") {
  Project p;
  for (int i = 1; i <= 4; ++i)
    p.write("00" + std::to_string(i) + "_m.sql", migration("create table m" + std::to_string(i) + " (x int);"));
  RunResult partial = p.run({"up", "--to", "2"});
  CHECK(partial.exit_code == 0);
  CHECK(p.versions() == "001,002");
  CHECK_FALSE(p.exists("m3"));
  CHECK(p.run({"status"}).exit_code == 3);

  RunResult rest = p.run({"up"});
  CHECK(rest.exit_code == 0);
  CHECK(contains(rest.err, "migrations done applied=2 skipped=2"));
  CHECK(p.versions() == "001,002,003,004");
}

TEST_CASE("down rolls back one, --steps N, or --to V, newest first, schema and rows together") {
  Project p;
  for (int i = 1; i <= 4; ++i) {
    std::string n = std::to_string(i);
    p.write(n + "_m" + n + ".sql", migration("create table m" + n + " (x int);", "drop table m" + n + ";"));
  }
  REQUIRE(p.run({"up"}).exit_code == 0);

  RunResult one = p.run({"down"});
  CHECK(one.exit_code == 0);
  CHECK(lines_with(one.err, " INFO  rolled back ").size() == 1);
  CHECK(contains(one.err, " INFO  rolled back 4 m4 "));
  CHECK(contains(one.err, "rollback done rolled_back=1"));
  CHECK(p.versions() == "1,2,3");
  CHECK_FALSE(p.exists("m4"));
  CHECK(p.exists("m3"));

  RunResult steps = p.run({"down", "--steps", "2"});
  CHECK(steps.exit_code == 0);
  CHECK(in_order(steps.err, {"rolled back 3 m3", "rolled back 2 m2"}));
  CHECK(p.versions() == "1");
  CHECK_FALSE(p.exists("m3"));
  CHECK_FALSE(p.exists("m2"));
  CHECK(p.exists("m1"));

  REQUIRE(p.run({"up"}).exit_code == 0);
  CHECK(p.versions() == "1,2,3,4");
  RunResult to = p.run({"down", "--to", "1"});
  CHECK(to.exit_code == 0);
  CHECK(in_order(to.err, {"rolled back 4 m4", "rolled back 3 m3", "rolled back 2 m2"}));
  CHECK(p.versions() == "1");
  CHECK(p.exists("m1"));

  RunResult all = p.run({"down", "--to", "0"});
  CHECK(all.exit_code == 0);
  CHECK(p.versions() == "");
  CHECK_FALSE(p.exists("m1"));

  RunResult nothing = p.run({"down"});
  CHECK(nothing.exit_code == 0);
  CHECK(contains(nothing.err, "nothing to roll back"));
}

TEST_CASE("down over a migration without a down section exits 65 and rolls nothing back") {
  Project p;
  p.write("1_a.sql", migration("create table a (x int);"));
  p.write("2_b.sql", migration("create table b (x int);", "drop table b;"));
  REQUIRE(p.run({"up"}).exit_code == 0);

  RunResult both = p.run({"down", "--steps", "2"});
  CHECK(both.exit_code == 65);
  CHECK(contains(error_line(both), p.file("1_a.sql") + ": version 1 has no down section to roll back with"));
  CHECK(p.versions() == "1,2");
  CHECK(p.exists("b"));

  REQUIRE(p.run({"down"}).exit_code == 0);
  CHECK(p.versions() == "1");
  RunResult last = p.run({"down"});
  CHECK(last.exit_code == 65);
  CHECK(p.versions() == "1");
  CHECK(p.exists("a"));
}

TEST_CASE("new writes a timestamped file with both sections that then applies and rolls back") {
  Project p;
  std::string before = utc_now_version();
  RunResult created = p.run({"new", "add_users"});
  std::string after = utc_now_version();
  CHECK(created.exit_code == 0);
  std::smatch match;
  REQUIRE(std::regex_match(created.out, match, std::regex(p.dir().path() + "/(\\d{14})_add_users\\.sql\n")));
  std::string version = match[1];
  CHECK(version >= before);
  CHECK(version <= after);
  std::string name = version + "_add_users.sql";
  REQUIRE(p.dir().names() == std::vector<std::string>{name});
  std::string text = p.dir().read(name);
  size_t up = text.find("-- migrate:up\n");
  size_t down = text.find("-- migrate:down\n");
  REQUIRE(up == 0);
  REQUIRE(down != std::string::npos);

  text.insert(down + std::string("-- migrate:down\n").size(), "drop table users;\n");
  text.insert(std::string("-- migrate:up\n").size(), "create table users (id int);\n");
  p.write(name, text);
  RunResult applied = p.run({"up"});
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.err, " INFO  applied " + version + " add_users "));
  CHECK(p.versions() == version);
  CHECK(p.exists("users"));
  CHECK(p.run({"down"}).exit_code == 0);
  CHECK_FALSE(p.exists("users"));
  CHECK(p.versions() == "");
}

// The version `schemagate new NAME` reported on stdout.
std::string new_version(const Project& p, const std::string& name) {
  RunResult created = p.run({"new", name});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::smatch match;
  REQUIRE(std::regex_match(created.out, match, std::regex(p.dir().path() + "/(\\d+)_" + name + "\\.sql\n")));
  return match[1];
}

TEST_CASE("new never makes a version at or below one already there") {
  // `schemagate new a && schemagate new b`, most likely within one second.
  Project p;
  std::string a = new_version(p, "a");
  std::string b = new_version(p, "b");
  CHECK(a.size() == 14);
  CHECK(b.size() == 14);
  CHECK(b > a);
  RunResult up = p.run({"up"});
  CHECK_MESSAGE(up.exit_code == 0, up.err);
  CHECK(p.versions() == a + "," + b);

  struct Case {
    std::string existing;  // the newest version already there
    std::string next;
  };
  for (const Case& c : {
           // A colleague's clock ran ahead: one second later, still a timestamp.
           Case{"29991231235959", "30000101000000"},
           // Not a timestamp (month 99): one more, at its width.
           Case{"99999999999999", "100000000000000"},
           Case{"000099999999999999", "000100000000000000"},
       }) {
    CAPTURE(c.existing);
    Project q;
    q.write("0042_old.sql", migration("select 1;"));
    q.write(c.existing + "_newest.up.sql", "select 1;\n");
    CHECK(new_version(q, "next") == c.next);
  }
  // Versions older than now leave the timestamp as it is.
  Project old;
  old.write("0042_old.sql", migration("select 1;"));
  std::string before = utc_now_version();
  CHECK(new_version(old, "next") >= before);
}

TEST_CASE("SIGTERM mid-statement cancels it, rolls back, releases the lock and exits 143 promptly") {
  Project p;
  p.write("1_quick.sql", migration("create table quick (x int);"));
  p.write("2_sleepy.sql", migration("create table sleepy (x int);\nselect pg_sleep(30);"));

  Child child = p.spawn({"up"});
  REQUIRE(wait_until([&] {
    return p.backends("application_name = 'schemagate' and state = 'active' and wait_event = 'PgSleep'") == 1;
  }, 20s));
  CHECK(p.advisory_locks() == 1);
  auto signalled = Clock::now();
  child.signal(SIGTERM);
  RunResult result = child.finish();
  double after_signal = std::chrono::duration<double>(Clock::now() - signalled).count();
  int still_running = p.backends("wait_event = 'PgSleep' and state = 'active'");
  CHECK(result.exit_code == 128 + SIGTERM);
  CHECK(after_signal < 2.0);
  CHECK(contains(error_line(result), "stopped by signal 15"));
  CHECK(still_running == 0);
  CHECK(wait_until([&] { return p.advisory_locks() == 0; }, 5s));
  CHECK(wait_until([&] { return p.backends("application_name = 'schemagate'") == 0; }, 5s));
  CHECK(p.versions() == "1");  // committed before the signal
  CHECK(p.exists("quick"));
  CHECK_FALSE(p.exists("sleepy"));
  CHECK(p.psql("select count(*) from schema_migrations where dirty") == "0");

  p.write("2_sleepy.sql", migration("create table sleepy (x int);\nselect pg_sleep(0);"));
  RunResult next = p.run({"up"});
  CHECK(next.exit_code == 0);
  CHECK(contains(next.err, "applied 2 sleepy"));
  CHECK(p.versions() == "1,2");
  CHECK(p.exists("sleepy"));
}

TEST_CASE("a pg_dump that empties search_path is still recorded") {
  Project p;
  p.write("1_dump.sql", migration("SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.x (id int);"));
  p.write("2_after.sql", migration("CREATE TABLE public.y (id int);"));
  RunResult result = p.run({"up"});
  CHECK(result.exit_code == 0);
  CHECK_FALSE(contains(result.err, " ERROR "));
  CHECK(p.versions() == "1,2");
  CHECK(p.exists("public.x"));
  CHECK(p.exists("public.y"));
}

TEST_CASE("a migration's SET lock_timeout = 0 does not switch the lock timeout off for the ones after it") {
  Project p;
  p.psql("create table t (x int);");
  p.write("1_dump.sql", migration("SET lock_timeout = 0;\ncreate table d (x int);"));
  p.write("2_alter_t.sql", migration("alter table t add column y int;"));
  Holder holder(p, kLockTableT);
  REQUIRE(wait_until([&] { return t_is_locked(p); }, 10s));
  RunResult result = p.run({"up"}, {{"MIGRATION_LOCK_TIMEOUT", "200ms"},
                                    {"MIGRATION_RETRY_ATTEMPTS", "1"},
                                    {"MIGRATION_RETRY_DELAY_SECONDS", "0.1"},
                                    {"MIGRATION_TIMEOUT_SECONDS", "10"}});
  CHECK(result.exit_code == 1);
  CHECK(contains(error_line(result), "55P03"));
  CHECK(result.seconds < 5);
  CHECK(p.versions() == "1");
}

TEST_CASE("an error without a server position in a non-transactional migration points at its statement") {
  Project p;
  p.write("1_t.sql", migration("create table t (x int);"));
  p.write("2_t_x.up.sql", "create index concurrently t_x on t (x);\ncreate index concurrently t_y on t (nosuch);\n");
  RunResult result = p.run({"up"});
  CHECK(result.exit_code == 1);
  CHECK(contains(error_line(result), p.file("2_t_x.up.sql") + ":2:1: migration 2 t_x failed part-way"));
}

TEST_CASE("running out of time names the migration whose statement was cancelled") {
  Project p;
  p.write("1_quick.sql", migration("create table quick (x int);"));
  p.write("2_sleepy.sql", migration("select pg_sleep(30);"));
  RunResult result = p.run({"up"}, {{"MIGRATION_TIMEOUT_SECONDS", "1"}});
  CHECK(result.exit_code == 75);
  CHECK(contains(error_line(result), "while applying 2 sleepy: the statement was cancelled"));
  CHECK(p.versions() == "1");
}

TEST_CASE("a SIGKILLed runner's statement and lock end with it, and the next run applies cleanly") {
  Project p;
  p.write("1_sleepy.sql", migration("create table sleepy (x int);\nselect pg_sleep(30);"));
  Child child = p.spawn({"up"});
  REQUIRE(wait_until([&] {
    return p.backends("application_name = 'schemagate' and state = 'active' and wait_event = 'PgSleep'") == 1;
  }, 20s));
  CHECK(p.advisory_locks() == 1);
  child.signal(SIGKILL);
  RunResult killed = child.finish();
  CHECK(killed.exit_code == 128 + SIGKILL);
  // client_connection_check_interval: the server notices the vanished client within about a
  // second, ends the statement and the session, and with it the advisory lock.
  CHECK(wait_until([&] { return p.backends("application_name = 'schemagate'") == 0; }, 10s));
  CHECK(p.advisory_locks() == 0);
  CHECK(p.versions() == "");
  CHECK_FALSE(p.exists("sleepy"));

  p.write("1_sleepy.sql", migration("create table sleepy (x int);"));
  RunResult next = p.run({"up"});
  CHECK(next.exit_code == 0);
  CHECK(p.versions() == "1");
  CHECK(p.exists("sleepy"));
}

TEST_SUITE_END();

}  // namespace
}  // namespace schemagate::testing
