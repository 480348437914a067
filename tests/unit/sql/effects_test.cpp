// What a statement does to tables, read from PostgreSQL's parse tree (sql/effects.h): each
// operation a pre-flight rule names, and the close statement that must not count as it.
#include "sql/effects.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace schemagate::sql {
namespace {

// The operations of one statement as "op table object" strings.
std::vector<std::string> ops(std::string_view statement) {
  std::vector<std::string> out;
  Effects e = effects_of(statement);
  REQUIRE(e.analysed);
  for (const Operation& o : e.operations)
    out.push_back(std::to_string(static_cast<int>(o.op)) + " " + o.table.display() + (o.object.empty() ? "" : " " + o.object));
  return out;
}
std::string op(Op o, std::string rest) { return std::to_string(static_cast<int>(o)) + " " + rest; }

TEST_CASE("CREATE INDEX blocks writes; CONCURRENTLY does not") {
  CHECK(ops("create index i on s.t (c)") == std::vector<std::string>{op(Op::create_index, "s.t i")});
  CHECK(ops("create unique index concurrently i on t (c)").empty());
  CHECK(ops("reindex table t") == std::vector<std::string>{op(Op::reindex, "t")});
  CHECK(ops("reindex (concurrently) table t").empty());
}

TEST_CASE("ADD COLUMN rewrites with a volatile default, a serial or a generated column, not with a constant") {
  CHECK(ops("alter table t add column c int").empty());
  CHECK(ops("alter table t add column c int not null default 0").empty());
  CHECK(ops("alter table t add column c timestamptz default now()").empty());
  CHECK(ops("alter table t add column c float default random()") == std::vector<std::string>{op(Op::add_column_rewrite, "t c")});
  CHECK(ops("alter table t add column c uuid default public.gen_random_uuid()") ==
        std::vector<std::string>{op(Op::add_column_rewrite, "t c")});
  CHECK(ops("alter table t add column c bigserial") == std::vector<std::string>{op(Op::add_column_rewrite, "t c")});
  CHECK(ops("alter table t add column c int generated always as (a * 2) stored") ==
        std::vector<std::string>{op(Op::add_column_rewrite, "t c")});
  CHECK(ops("alter table t add column c int generated always as identity") ==
        std::vector<std::string>{op(Op::add_column_rewrite, "t c")});
}

TEST_CASE("ALTER TABLE's scans and rewrites, and their NOT VALID and USING INDEX forms that avoid them") {
  CHECK(ops("alter table t alter column c type bigint") == std::vector<std::string>{op(Op::alter_column_type, "t c")});
  CHECK(ops("alter table t alter column c set not null") == std::vector<std::string>{op(Op::set_not_null, "t c")});
  CHECK(ops("alter table t add constraint f foreign key (a) references u") ==
        std::vector<std::string>{op(Op::add_foreign_key, "t f")});
  CHECK(ops("alter table t add constraint f foreign key (a) references u not valid").empty());
  CHECK(ops("alter table t add constraint k check (a > 0)") == std::vector<std::string>{op(Op::add_check, "t k")});
  CHECK(ops("alter table t add constraint k check (a > 0) not valid").empty());
  CHECK(ops("alter table t validate constraint k").empty());
  CHECK(ops("alter table t add primary key (id)") == std::vector<std::string>{op(Op::add_unique, "t")});
  CHECK(ops("alter table t add constraint u unique using index t_u").empty());
  // Several commands in one statement, each its own operation.
  CHECK(ops("alter table t alter column a set not null, drop column b") ==
        std::vector<std::string>{op(Op::set_not_null, "t a"), op(Op::drop_column, "t b")});
}

TEST_CASE("drops, renames, TRUNCATE and the rewriting maintenance commands") {
  CHECK(ops("drop table a, s.b") == std::vector<std::string>{op(Op::drop_table, "a"), op(Op::drop_table, "s.b")});
  CHECK(ops("drop index i").empty());
  CHECK(ops("alter table t rename to u") == std::vector<std::string>{op(Op::rename_table, "t u")});
  CHECK(ops("alter table t rename column a to b") == std::vector<std::string>{op(Op::rename_column, "t a")});
  CHECK(ops("alter index i rename to j").empty());
  CHECK(ops("truncate a, b") == std::vector<std::string>{op(Op::truncate, "a"), op(Op::truncate, "b")});
  CHECK(ops("vacuum (full) t") == std::vector<std::string>{op(Op::vacuum_full, "t")});
  CHECK(ops("vacuum t").empty());
  CHECK(ops("cluster t using i") == std::vector<std::string>{op(Op::cluster, "t")});
}

TEST_CASE("what a statement creates and writes, and when it may write anything") {
  Effects created = effects_of("create table s.t (a int)");
  CHECK(created.creates == std::vector<Relation>{{"s", "t"}});
  CHECK(effects_of("create table u as select 1").creates == std::vector<Relation>{{"", "u"}});
  CHECK(effects_of("update t set c = 0 where c is null").writes == std::vector<Relation>{{"", "t"}});
  CHECK(effects_of("insert into t values (1)").writes == std::vector<Relation>{{"", "t"}});
  CHECK(effects_of("copy t from stdin").writes == std::vector<Relation>{{"", "t"}});
  CHECK_FALSE(effects_of("copy t to stdout").writes.size());
  CHECK(effects_of("do $$ begin perform 1; end $$").may_write_any);
  CHECK(effects_of("select backfill()").may_write_any);
  CHECK_FALSE(effects_of("select 1").may_write_any);
}

TEST_CASE("the uniqueness a statement makes PostgreSQL enforce over existing rows") {
  auto keys = [](std::string_view statement) {
    std::vector<std::string> out;
    for (const UniqueKey& k : effects_of(statement).unique_keys) {
      std::string cols;
      for (const auto& c : k.columns) cols += (cols.empty() ? "" : ",") + c;
      out.push_back(k.table.display() + "(" + cols + ")" + (k.primary ? " primary" : "") + (k.partial ? " partial" : ""));
    }
    return out;
  };
  CHECK(keys("alter table t add constraint u unique (a, b)") == std::vector<std::string>{"t(a,b)"});
  CHECK(keys("alter table s.t add primary key (id)") == std::vector<std::string>{"s.t(id) primary"});
  CHECK(keys("create unique index concurrently i on t (email)") == std::vector<std::string>{"t(email)"});
  CHECK(keys("create unique index i on t (email) where deleted_at is null") ==
        std::vector<std::string>{"t(email) partial"});
  CHECK(keys("create unique index i on t (lower(email))") == std::vector<std::string>{"t()"});
  CHECK(keys("create index i on t (email)").empty());
  CHECK(keys("alter table t add constraint u unique using index i").empty());
}

TEST_CASE("the foreign keys a statement adds, checked now or NOT VALID, and the constraints it validates") {
  auto fks = [](std::string_view statement) {
    std::vector<std::string> out;
    for (const ForeignKey& k : effects_of(statement).foreign_keys) {
      std::string cols, refs;
      for (const auto& c : k.columns) cols += (cols.empty() ? "" : ",") + c;
      for (const auto& c : k.referenced) refs += (refs.empty() ? "" : ",") + c;
      out.push_back(k.table.display() + " " + k.name + " (" + cols + ") -> " + k.references.display() + "(" + refs +
                    ")" + (k.validated ? "" : " not valid") + (k.match_simple ? "" : " full"));
    }
    return out;
  };
  CHECK(fks("alter table orders add constraint o_c foreign key (customer_id) references shop.customers (id)") ==
        std::vector<std::string>{"orders o_c (customer_id) -> shop.customers(id)"});
  CHECK(fks("alter table t add foreign key (a, b) references u") == std::vector<std::string>{"t  (a,b) -> u()"});
  CHECK(fks("alter table t add constraint f foreign key (a) references u (x) not valid") ==
        std::vector<std::string>{"t f (a) -> u(x) not valid"});
  CHECK(fks("alter table t add constraint f foreign key (a) references u (x) match full") ==
        std::vector<std::string>{"t f (a) -> u(x) full"});
  CHECK(fks("alter table t add constraint c check (a > 0)").empty());

  Effects v = effects_of("alter table s.t validate constraint f");
  REQUIRE(v.validations.size() == 1);
  CHECK(v.validations[0].table.display() == "s.t");
  CHECK(v.validations[0].constraint == "f");
  CHECK(v.operations.empty());  // SHARE UPDATE EXCLUSIVE: writes go on
}

TEST_CASE("constraints written on an added column: UNIQUE and PRIMARY KEY build an index, CHECK and REFERENCES scan") {
  CHECK(ops("alter table users add column h text unique") == std::vector<std::string>{op(Op::add_unique, "users h")});
  CHECK(ops("alter table t add column k bigint primary key") == std::vector<std::string>{op(Op::add_unique, "t k")});
  CHECK(ops("alter table t add column a int check (a > 0)") == std::vector<std::string>{op(Op::add_check, "t a")});
  CHECK(ops("alter table t add column o bigint default 1 references orgs (id)") ==
        std::vector<std::string>{op(Op::add_foreign_key, "t o")});
  CHECK(ops("alter table t add column a int not null default 0").empty());
}

TEST_CASE("ADD COLUMN NOT NULL or PRIMARY KEY with no value for the rows already there") {
  auto required = [](std::string_view statement) {
    std::vector<std::string> out;
    for (const Column& c : effects_of(statement).required_columns) out.push_back(c.table.display() + "." + c.name);
    return out;
  };
  CHECK(required("alter table subs add column product_id text not null") == std::vector<std::string>{"subs.product_id"});
  CHECK(required("alter table s.t add column k bigint primary key") == std::vector<std::string>{"s.t.k"});
  CHECK(required("alter table t add column c int not null default 0").empty());
  CHECK(required("alter table t add column c int default 0 not null").empty());
  CHECK(required("alter table t add column c bigserial not null").empty());
  CHECK(required("alter table t add column c int generated always as identity primary key").empty());
  CHECK(required("alter table t add column c int").empty());
}

TEST_CASE("ALTER COLUMN TYPE: the new type and its modifiers, and whether USING computes the values") {
  auto change = [](std::string_view statement) {
    Effects e = effects_of(statement);
    REQUIRE(e.operations.size() == 1);
    const Operation& o = e.operations[0];
    std::string out = o.type;
    for (long long m : o.type_modifiers) out += " " + std::to_string(m);
    return out + (o.using_expression ? " using" : "");
  };
  CHECK(change("alter table t alter column c type varchar(300)") == "varchar 300");
  CHECK(change("alter table t alter column c type character varying") == "varchar");
  CHECK(change("alter table t alter column c type text") == "text");
  CHECK(change("alter table t alter column c type numeric(12, 2)") == "numeric 12 2");
  CHECK(change("alter table t alter column c type bigint using c::bigint") == "int8 using");
  CHECK(change("alter table t alter column c type text[]") == "");
}

TEST_CASE("the columns a statement adds, with their types; a CHECK's expression as written") {
  Effects e = effects_of("alter table t add column a varchar(16), add column b numeric(10, 2) not null default 0");
  REQUIRE(e.added_columns.size() == 2);
  CHECK(e.added_columns[0].column.name == "a");
  CHECK(e.added_columns[0].type == "varchar");
  CHECK(e.added_columns[0].type_modifiers == std::vector<long long>{16});
  CHECK(e.added_columns[1].type_modifiers == std::vector<long long>{10, 2});

  Effects c = effects_of("ALTER TABLE b ADD CONSTRAINT b_t CHECK (t IN ('o)k', 'x') AND (n > 0))");
  REQUIRE(c.checks.size() == 1);
  CHECK(c.checks[0].table.display() == "b");
  CHECK(c.checks[0].expression == "t IN ('o)k', 'x') AND (n > 0)");
  CHECK(effects_of("alter table b add constraint b_t check (n > 0) not valid").checks.empty());
}

TEST_CASE("syntax PostgreSQL 15 does not read is not analysed") {
  Effects e = effects_of("alter table t add column c int with some future clause");
  CHECK_FALSE(e.analysed);
  CHECK(e.operations.empty());
}

}  // namespace
}  // namespace schemagate::sql
