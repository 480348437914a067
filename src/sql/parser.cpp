#include "sql/parser.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <cctype>
#include <memory>
#include <string>

#include "sql/lexer.h"

namespace schemagate::sql::parser {
namespace {

// libpg_query takes C strings.
std::string terminated(std::string_view text) { return std::string(text); }

std::string lower(const char* text) {
  std::string out = text ? text : "";
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `create_slot = false`, `refresh = off`, `concurrently false`: an option turned off. An option
// given without a value is on.
bool is_off(const PgQuery__Node* arg) {
  if (!arg) return false;
  switch (arg->node_case) {
    case PG_QUERY__NODE__NODE_BOOLEAN: return !arg->boolean->boolval;
    case PG_QUERY__NODE__NODE_INTEGER: return arg->integer->ival == 0;
    case PG_QUERY__NODE__NODE_STRING: {
      std::string v = lower(arg->string->sval);
      return v == "false" || v == "off" || v == "no" || v == "0";
    }
    default: return false;
  }
}

// The option `name` in a DefElem list: absent, on or off.
enum class Option { absent, on, off };
Option option(PgQuery__Node* const* options, size_t n, std::string_view name) {
  for (size_t i = 0; i < n; ++i) {
    const PgQuery__Node* o = options[i];
    if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM || lower(o->def_elem->defname) != name) continue;
    return is_off(o->def_elem->arg) ? Option::off : Option::on;
  }
  return Option::absent;
}

Kind transaction_kind(const PgQuery__TransactionStmt& t) {
  switch (t.kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: return Kind::begin;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT: return Kind::commit;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE: return Kind::prepare;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK: return Kind::rollback;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO: return Kind::savepoint;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED: return Kind::no_transaction;
    default: return Kind::plain;
  }
}

bool detaches_concurrently(const PgQuery__AlterTableStmt& a) {
  for (size_t i = 0; i < a.n_cmds; ++i) {
    const PgQuery__Node* c = a.cmds[i];
    if (c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) continue;
    const PgQuery__AlterTableCmd& cmd = *c->alter_table_cmd;
    if (cmd.subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd.def &&
        cmd.def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd.def->partition_cmd->concurrent)
      return true;
  }
  return false;
}

// The statements PostgreSQL 15 refuses in a transaction block are those whose code calls
// PreventInTransactionBlock; each case below names one (tests/integration/sql_test.cpp asks a
// real server about every one).
Kind kind_of_node(const PgQuery__Node* n) {
  if (!n) return Kind::plain;
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT: return transaction_kind(*n->transaction_stmt);
    case PG_QUERY__NODE__NODE_DO_STMT:
    case PG_QUERY__NODE__NODE_CALL_STMT: return Kind::routine;
    case PG_QUERY__NODE__NODE_COPY_STMT: {
      const PgQuery__CopyStmt& c = *n->copy_stmt;
      if (c.is_program || (c.filename && *c.filename)) return Kind::plain;  // a file the server reads or writes
      return c.is_from ? Kind::copy_in : Kind::copy_out;
    }
    case PG_QUERY__NODE__NODE_VACUUM_STMT:  // ANALYZE alone runs anywhere
      return n->vacuum_stmt->is_vacuumcmd ? Kind::no_transaction : Kind::plain;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
      return n->index_stmt->concurrent ? Kind::no_transaction : Kind::plain;
    case PG_QUERY__NODE__NODE_DROP_STMT:
      return n->drop_stmt->concurrent ? Kind::no_transaction : Kind::plain;
    case PG_QUERY__NODE__NODE_REINDEX_STMT: {
      const PgQuery__ReindexStmt& r = *n->reindex_stmt;
      bool many = r.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ||
                  r.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
                  r.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE;
      bool concurrently = option(r.params, r.n_params, "concurrently") == Option::on;
      return many || concurrently ? Kind::no_transaction : Kind::plain;
    }
    case PG_QUERY__NODE__NODE_CREATEDB_STMT:
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
    case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
    case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
    case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT: return Kind::no_transaction;
    case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT: {  // SET TABLESPACE moves the database
      const PgQuery__AlterDatabaseStmt& a = *n->alter_database_stmt;
      return option(a.options, a.n_options, "tablespace") != Option::absent ? Kind::no_transaction : Kind::plain;
    }
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:  // CLUSTER alone reclusters every table
      return n->cluster_stmt->relation ? Kind::plain : Kind::no_transaction;
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      return detaches_concurrently(*n->alter_table_stmt) ? Kind::no_transaction : Kind::plain;
    case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT: {  // it creates a slot unless told not to
      const PgQuery__CreateSubscriptionStmt& c = *n->create_subscription_stmt;
      bool no_slot = option(c.options, c.n_options, "create_slot") == Option::off ||
                     option(c.options, c.n_options, "connect") == Option::off;
      return no_slot ? Kind::plain : Kind::no_transaction;
    }
    case PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT: {
      const PgQuery__AlterSubscriptionStmt& a = *n->alter_subscription_stmt;
      bool publication = a.kind == PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_SET_PUBLICATION ||
                         a.kind == PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_ADD_PUBLICATION ||
                         a.kind == PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_DROP_PUBLICATION;
      bool refreshes = a.kind == PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_REFRESH ||
                       (publication && option(a.options, a.n_options, "refresh") != Option::off);
      return refreshes ? Kind::no_transaction : Kind::plain;
    }
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: return Kind::setting;
    case PG_QUERY__NODE__NODE_DISCARD_STMT:
      return n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL ? Kind::no_transaction : Kind::plain;
    default: return Kind::plain;
  }
}

struct TreeFree {
  void operator()(PgQuery__ParseResult* t) const { pg_query__parse_result__free_unpacked(t, nullptr); }
};

}  // namespace

std::optional<std::vector<Parsed>> parse(std::string_view text) {
  const std::string input = terminated(text);
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(input.c_str());
  std::optional<std::vector<Parsed>> out;
  if (!result.error) {
    std::unique_ptr<PgQuery__ParseResult, TreeFree> tree(pg_query__parse_result__unpack(
        nullptr, result.parse_tree.len, reinterpret_cast<const uint8_t*>(result.parse_tree.data)));
    if (tree) {
      out.emplace();
      for (size_t i = 0; i < tree->n_stmts; ++i) {
        const PgQuery__RawStmt& raw = *tree->stmts[i];
        Parsed p;
        p.begin = i == 0 ? 0 : static_cast<size_t>(raw.stmt_location);
        p.end = raw.stmt_len ? static_cast<size_t>(raw.stmt_location + raw.stmt_len) : text.size();
        p.kind = kind_of_node(raw.stmt);
        out->push_back(p);
      }
    }
  }
  pg_query_free_protobuf_parse_result(result);
  return out;
}

std::optional<std::vector<std::pair<size_t, size_t>>> scan(std::string_view text) {
  const std::string input = terminated(text);
  PgQuerySplitResult result = pg_query_split_with_scanner(input.c_str());
  std::optional<std::vector<std::pair<size_t, size_t>>> out;
  if (!result.error) {
    out.emplace();
    for (int i = 0; i < result.n_stmts; ++i) {
      const PgQuerySplitStmt& s = *result.stmts[i];
      size_t begin = i == 0 ? 0 : static_cast<size_t>(s.stmt_location);
      size_t end = s.stmt_len ? static_cast<size_t>(s.stmt_location + s.stmt_len) : text.size();
      out->emplace_back(begin, end);
    }
  }
  pg_query_free_split_result(result);
  return out;
}

}  // namespace schemagate::sql::parser

namespace schemagate::sql {

std::optional<IndexBuild> index_build(std::string_view statement) {
  const std::string input(statement);
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(input.c_str());
  std::optional<IndexBuild> out;
  if (!result.error) {
    std::unique_ptr<PgQuery__ParseResult, parser::TreeFree> tree(pg_query__parse_result__unpack(
        nullptr, result.parse_tree.len, reinterpret_cast<const uint8_t*>(result.parse_tree.data)));
    const PgQuery__Node* n = tree && tree->n_stmts == 1 ? tree->stmts[0]->stmt : nullptr;
    if (n && n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
      const PgQuery__IndexStmt& i = *n->index_stmt;
      if (i.concurrent && i.idxname && *i.idxname && i.relation)
        out = IndexBuild{i.relation->schemaname ? i.relation->schemaname : "", i.relation->relname, i.idxname};
    }
  }
  pg_query_free_protobuf_parse_result(result);
  return out;
}

}  // namespace schemagate::sql

namespace schemagate::sql::parser {

std::optional<Kind> kind_of(std::string_view statement) {
  auto parsed = parse(statement);
  if (!parsed || parsed->size() != 1) return std::nullopt;
  return parsed->front().kind;
}

}  // namespace schemagate::sql::parser
