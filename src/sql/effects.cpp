// sql::effects_of: the parse tree of one statement read for what it does to tables (effects.h).
#include "sql/effects.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <functional>
#include <memory>

namespace schemagate::sql {
namespace {

using Node = PgQuery__Node;

std::string text_of(const char* s) { return s ? s : ""; }

Relation relation(const PgQuery__RangeVar* r) {
  if (!r) return {};
  return {text_of(r->schemaname), text_of(r->relname)};
}

// A qualified name given as a list of String nodes (DROP TABLE a.b, function and type names).
std::vector<std::string> names(Node* const* items, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i)
    if (items[i]->node_case == PG_QUERY__NODE__NODE_STRING) out.push_back(text_of(items[i]->string->sval));
  return out;
}

// Every Node reachable from `message`, through the descriptors protobuf-c generates: the tree has
// some two hundred node types, and a function call can sit anywhere in an expression.
void each_node(const ProtobufCMessage* message, const std::function<void(const Node&)>& visit) {
  if (!message) return;
  if (message->descriptor == &pg_query__node__descriptor) visit(*reinterpret_cast<const Node*>(message));
  const ProtobufCMessageDescriptor* d = message->descriptor;
  const auto* base = reinterpret_cast<const char*>(message);
  for (unsigned i = 0; i < d->n_fields; ++i) {
    const ProtobufCFieldDescriptor& f = d->fields[i];
    if (f.type != PROTOBUF_C_TYPE_MESSAGE) continue;
    // A Node is a oneof: its members share one pointer, and only the one named is set.
    if ((f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *reinterpret_cast<const uint32_t*>(base + f.quantifier_offset) != f.id)
      continue;
    if (f.label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *reinterpret_cast<const size_t*>(base + f.quantifier_offset);
      auto* items = *reinterpret_cast<ProtobufCMessage* const* const*>(base + f.offset);
      for (size_t k = 0; k < n; ++k) each_node(items[k], visit);
    } else {
      each_node(*reinterpret_cast<ProtobufCMessage* const*>(base + f.offset), visit);
    }
  }
}

bool calls_a_function(const Node* n) {
  bool found = false;
  each_node(reinterpret_cast<const ProtobufCMessage*>(n),
            [&](const Node& x) { found = found || x.node_case == PG_QUERY__NODE__NODE_FUNC_CALL; });
  return found;
}

// Functions PostgreSQL marks volatile that defaults commonly call: as a column default, each
// row needs its own value, so ADD COLUMN rewrites the table. (A default PostgreSQL can evaluate
// once, a constant or now(), is stored in the catalog instead.)
bool calls_volatile(const Node* n) {
  static constexpr std::array kVolatile = {"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
                                           "uuid_generate_v4", "clock_timestamp", "timeofday", "nextval",
                                           "txid_current", "setseed"};
  bool found = false;
  each_node(reinterpret_cast<const ProtobufCMessage*>(n), [&](const Node& x) {
    if (x.node_case != PG_QUERY__NODE__NODE_FUNC_CALL) return;
    auto name = names(x.func_call->funcname, x.func_call->n_funcname);
    if (!name.empty() &&
        std::find(kVolatile.begin(), kVolatile.end(), name.back()) != kVolatile.end())
      found = true;
  });
  return found;
}

// A type's last name (varchar, numeric, int8) and its numeric modifiers; the name is left empty
// when it cannot be compared: an array, or a modifier that is not a number.
void read_type(const PgQuery__TypeName* t, std::string& type, std::vector<long long>& modifiers) {
  if (!t || t->n_array_bounds > 0) return;
  auto parts = names(t->names, t->n_names);
  if (!parts.empty()) type = parts.back();
  for (size_t k = 0; k < t->n_typmods; ++k) {
    const Node* m = t->typmods[k];
    if (m->node_case == PG_QUERY__NODE__NODE_A_CONST && m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
      modifiers.push_back(m->a_const->ival->ival);
    else
      type.clear();
  }
}

// What the constraints written on an added column do to the rows already there: UNIQUE and
// PRIMARY KEY build an index, CHECK and REFERENCES scan; NOT NULL or PRIMARY KEY without a
// default, identity or generated value fails on a table with rows.
void column_constraints(const PgQuery__ColumnDef& c, const Relation& table, bool valued, Effects& e) {
  const std::string column = text_of(c.colname);
  bool required = c.is_not_null, has_default = c.raw_default != nullptr;
  for (size_t i = 0; i < c.n_constraints; ++i) {
    const Node* k = c.constraints[i];
    if (k->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
    switch (k->constraint->contype) {
      case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        required = true;
        [[fallthrough]];
      case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE: e.operations.push_back({Op::add_unique, table, column}); break;
      case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        if (!k->constraint->skip_validation) e.operations.push_back({Op::add_check, table, column});
        break;
      case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        if (!k->constraint->skip_validation) e.operations.push_back({Op::add_foreign_key, table, column});
        break;
      case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL: required = true; break;
      case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT: has_default = true; break;
      default: break;
    }
  }
  if (required && !has_default && !valued) e.required_columns.push_back({table, column});
}

// ADD COLUMN that must write a value into every existing row.
bool column_rewrites(const PgQuery__ColumnDef& c) {
  if (c.type_name) {
    auto type = names(c.type_name->names, c.type_name->n_names);
    static constexpr std::array kSerial = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"};
    if (!type.empty() && std::find(kSerial.begin(), kSerial.end(), type.back()) != kSerial.end()) return true;
  }
  if (c.raw_default && calls_volatile(c.raw_default)) return true;
  for (size_t i = 0; i < c.n_constraints; ++i) {
    const Node* k = c.constraints[i];
    if (k->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
    const PgQuery__Constraint& con = *k->constraint;
    if (con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED || con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)
      return true;
    if (con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT && con.raw_expr && calls_volatile(con.raw_expr))
      return true;
  }
  return false;
}

// The text between the parentheses that follow `keyword` from byte `from` of `statement` (a
// CHECK's expression), quotes and nested parentheses skipped over; empty when not found.
std::string parenthesised_after(std::string_view statement, int from, std::string_view keyword) {
  if (from < 0 || static_cast<size_t>(from) >= statement.size()) return {};
  std::string lower(statement.substr(static_cast<size_t>(from)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower.find(keyword);
  if (at == std::string::npos) return {};
  at = lower.find('(', at + keyword.size());
  if (at == std::string::npos) return {};
  int depth = 0;
  char quote = 0;
  for (size_t i = at; i < lower.size(); ++i) {
    char c = lower[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: the same
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    else if (c == '(') ++depth;
    else if (c == ')' && --depth == 0)
      return std::string(statement.substr(static_cast<size_t>(from) + at + 1, i - at - 1));
  }
  return {};
}

void alter_table(const PgQuery__AlterTableStmt& a, std::string_view statement, Effects& e) {
  if (a.objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) return;
  const Relation table = relation(a.relation);
  for (size_t i = 0; i < a.n_cmds; ++i) {
    if (a.cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) continue;
    const PgQuery__AlterTableCmd& cmd = *a.cmds[i]->alter_table_cmd;
    const std::string name = text_of(cmd.name);
    switch (cmd.subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn: {
        if (!cmd.def || cmd.def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) break;
        const PgQuery__ColumnDef& c = *cmd.def->column_def;
        Effects::AddedColumn added{{table, text_of(c.colname)}, {}, {}};
        read_type(c.type_name, added.type, added.type_modifiers);
        e.added_columns.push_back(std::move(added));
        const bool rewrites = column_rewrites(c);
        if (rewrites) e.operations.push_back({Op::add_column_rewrite, table, text_of(c.colname)});
        // A rewrite computes a value for every row (serial, identity, generated, volatile default).
        column_constraints(c, table, rewrites, e);
        break;
      }
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType: {
        Operation op{Op::alter_column_type, table, name};
        if (cmd.def && cmd.def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
          const PgQuery__ColumnDef& c = *cmd.def->column_def;
          op.using_expression = c.raw_default != nullptr;
          read_type(c.type_name, op.type, op.type_modifiers);
        }
        e.operations.push_back(std::move(op));
        break;
      }
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull: e.operations.push_back({Op::set_not_null, table, name}); break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn: e.operations.push_back({Op::drop_column, table, name}); break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse: e.validations.push_back({table, name}); break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
        if (!cmd.def || cmd.def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) break;
        const PgQuery__Constraint& c = *cmd.def->constraint;
        const std::string con = text_of(c.conname);
        if (c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
          if (!c.skip_validation) e.operations.push_back({Op::add_foreign_key, table, con});
          const std::string match = text_of(c.fk_matchtype);
          e.foreign_keys.push_back({table, con, names(c.fk_attrs, c.n_fk_attrs), relation(c.pktable),
                                    names(c.pk_attrs, c.n_pk_attrs), !c.skip_validation,
                                    match.empty() || match == "s"});
        } else if (c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK && !c.skip_validation) {
          e.operations.push_back({Op::add_check, table, con});
          if (std::string expression = parenthesised_after(statement, c.location, "check"); !expression.empty())
            e.checks.push_back({table, expression});
        } else if ((c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
                  c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) &&
                 text_of(c.indexname).empty()) {
          e.operations.push_back({Op::add_unique, table, con});
          e.unique_keys.push_back({table, names(c.keys, c.n_keys),
                                   c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY, c.where_clause != nullptr});
        }
        break;
      }
      default: break;
    }
  }
}

bool has_option(Node* const* options, size_t n, std::string_view wanted) {
  for (size_t i = 0; i < n; ++i)
    if (options[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && text_of(options[i]->def_elem->defname) == wanted)
      return true;
  return false;
}

void read_statement(const Node* n, std::string_view statement, Effects& e) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT: e.creates.push_back(relation(n->create_stmt->relation)); break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      if (n->create_table_as_stmt->into) e.creates.push_back(relation(n->create_table_as_stmt->into->rel));
      break;
    case PG_QUERY__NODE__NODE_INDEX_STMT: {
      const PgQuery__IndexStmt& ix = *n->index_stmt;
      if (!ix.concurrent) e.operations.push_back({Op::create_index, relation(ix.relation), text_of(ix.idxname)});
      if (ix.unique) {
        UniqueKey key{relation(ix.relation), {}, false, ix.where_clause != nullptr};
        for (size_t i = 0; i < ix.n_index_params; ++i) {
          const Node* p = ix.index_params[i];
          if (p->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM || text_of(p->index_elem->name).empty()) {
            key.columns.clear();  // an expression: not checked
            break;
          }
          key.columns.push_back(text_of(p->index_elem->name));
        }
        e.unique_keys.push_back(std::move(key));
      }
      break;
    }
    case PG_QUERY__NODE__NODE_REINDEX_STMT: {
      const PgQuery__ReindexStmt& r = *n->reindex_stmt;
      if (r.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE && !has_option(r.params, r.n_params, "concurrently"))
        e.operations.push_back({Op::reindex, relation(r.relation), ""});
      break;
    }
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: alter_table(*n->alter_table_stmt, statement, e); break;
    case PG_QUERY__NODE__NODE_RENAME_STMT: {
      const PgQuery__RenameStmt& r = *n->rename_stmt;
      if (r.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        e.operations.push_back({Op::rename_table, relation(r.relation), text_of(r.newname)});
      else if (r.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN && r.relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        e.operations.push_back({Op::rename_column, relation(r.relation), text_of(r.subname)});
      break;
    }
    case PG_QUERY__NODE__NODE_DROP_STMT: {
      const PgQuery__DropStmt& d = *n->drop_stmt;
      if (d.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) break;
      for (size_t i = 0; i < d.n_objects; ++i) {
        if (d.objects[i]->node_case != PG_QUERY__NODE__NODE_LIST) continue;
        auto parts = names(d.objects[i]->list->items, d.objects[i]->list->n_items);
        if (parts.empty()) continue;
        Relation r{parts.size() > 1 ? parts[parts.size() - 2] : "", parts.back()};
        e.operations.push_back({Op::drop_table, r, ""});
      }
      break;
    }
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      for (size_t i = 0; i < n->truncate_stmt->n_relations; ++i)
        if (n->truncate_stmt->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
          Relation r = relation(n->truncate_stmt->relations[i]->range_var);
          e.operations.push_back({Op::truncate, r, ""});
          e.writes.push_back(r);
        }
      break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT: {
      const PgQuery__VacuumStmt& v = *n->vacuum_stmt;
      if (!v.is_vacuumcmd || !has_option(v.options, v.n_options, "full")) break;
      for (size_t i = 0; i < v.n_rels; ++i)
        if (v.rels[i]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION && v.rels[i]->vacuum_relation->relation)
          e.operations.push_back({Op::vacuum_full, relation(v.rels[i]->vacuum_relation->relation), ""});
      break;
    }
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
      if (n->cluster_stmt->relation) e.operations.push_back({Op::cluster, relation(n->cluster_stmt->relation), ""});
      break;
    case PG_QUERY__NODE__NODE_INSERT_STMT: e.writes.push_back(relation(n->insert_stmt->relation)); break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT: e.writes.push_back(relation(n->update_stmt->relation)); break;
    case PG_QUERY__NODE__NODE_DELETE_STMT: e.writes.push_back(relation(n->delete_stmt->relation)); break;
    case PG_QUERY__NODE__NODE_MERGE_STMT: e.writes.push_back(relation(n->merge_stmt->relation)); break;
    case PG_QUERY__NODE__NODE_COPY_STMT:
      if (n->copy_stmt->is_from && n->copy_stmt->relation) e.writes.push_back(relation(n->copy_stmt->relation));
      break;
    case PG_QUERY__NODE__NODE_DO_STMT:
    case PG_QUERY__NODE__NODE_CALL_STMT: e.may_write_any = true; break;
    case PG_QUERY__NODE__NODE_SELECT_STMT: e.may_write_any = calls_a_function(n); break;
    default: break;
  }
  // A function called while inserting or updating may write elsewhere too.
  if (n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT || n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ||
      n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
    e.may_write_any = e.may_write_any || calls_a_function(n);
}

struct TreeFree {
  void operator()(PgQuery__ParseResult* t) const { pg_query__parse_result__free_unpacked(t, nullptr); }
};

}  // namespace

Effects effects_of(std::string_view statement) {
  Effects e;
  const std::string input(statement);
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(input.c_str());
  std::unique_ptr<PgQuery__ParseResult, TreeFree> tree;
  if (!result.error)
    tree.reset(pg_query__parse_result__unpack(nullptr, result.parse_tree.len,
                                              reinterpret_cast<const uint8_t*>(result.parse_tree.data)));
  pg_query_free_protobuf_parse_result(result);
  if (!tree) return e;
  e.analysed = true;
  for (size_t i = 0; i < tree->n_stmts; ++i)
    if (tree->stmts[i]->stmt) read_statement(tree->stmts[i]->stmt, input, e);
  return e;
}

}  // namespace schemagate::sql
