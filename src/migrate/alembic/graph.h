#pragma once
// Alembic's revision map (alembic/script/revision.py, RevisionMap) built from the revision files:
// each revision points at its parents (down_revision) and at what it depends on (depends_on), and
// branch labels name revisions. Pure: no files, no connection. What Alembic's commands compute
// from it (current, heads, what an upgrade runs) is in upgrade.h.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/alembic/python.h"
#include "util/result.h"

namespace schemagate::migrate::alembic {

class Graph {
 public:
  using Node = size_t;  // a revision's index, in the order the files were read
  using Nodes = std::vector<Node>;
  using Set = std::vector<bool>;  // indexed by Node

  // An empty project: no revisions, no heads.
  Graph() = default;

  // The map as RevisionMap._revision_map builds it, refusing what Alembic refuses. Errors:
  // ErrorKind::BadMigrations naming file:line for a duplicate revision id, an id holding '@', '-'
  // or '+' (Revision.verify_rev_id), a down_revision naming an unknown revision, a branch label
  // given twice or equal to a revision id (_map_branch_labels), a depends_on naming neither a
  // revision nor a branch label (_add_depends_on), or a cycle through down_revision or depends_on
  // (_detect_cycles; its revisions listed).
  static Result<Graph> build(const std::vector<Revision>& revisions);

  size_t size() const { return nodes_.size(); }
  const std::string& id(Node n) const { return nodes_[n].id; }
  std::vector<std::string> ids(const Nodes& nodes) const;

  // The revision an identifier names, as RevisionMap._revision_for_ident finds it: a revision id
  // or a branch label (which names the revision that declares it), else the one key of the two
  // kinds longer than three characters that starts with it, counting only keys on the line of
  // `branch` when one is given (`branch@partial`). Errors: ErrorKind::BadMigrations when nothing
  // matches or several keys do.
  Result<Node> find(std::string_view identifier, std::optional<Node> branch = std::nullopt) const;

  // Revisions no other names as down_revision (RevisionMap.heads, what `alembic heads` prints),
  // in file order. One that another revision depends on is still one ("effective head").
  Nodes heads() const;
  // Heads nothing depends on either (RevisionMap._real_heads): what `upgrade heads` aims at.
  Nodes real_heads() const;

  // The targets and everything below them (RevisionMap._get_ancestor_nodes): through
  // down_revision, and with_dependencies also through depends_on (_normalized_down_revisions).
  Set ancestors(const Nodes& targets, bool with_dependencies) const;
  // The targets and everything above them (_get_descendant_nodes), the same two ways.
  Set descendants(const Nodes& targets, bool with_dependencies) const;
  // Whether a lies below or above b along down_revision, or is b (RevisionMap._shares_lineage).
  bool shares_lineage(Node a, Node b) const;
  // down_revision, then the dependencies no ancestor already depends on
  // (Revision._normalized_down_revisions): the edges an upgrade walks.
  const Nodes& normalized_down(Node n) const { return nodes_[n].normalized_down; }

 private:
  struct Entry {
    std::string id;
    Nodes parents;          // down_revision
    Nodes dependencies;     // depends_on, resolved (_resolved_dependencies)
    Nodes normalized_down;  // see normalized_down()
    Nodes children;         // revisions naming this one as down_revision (nextrev)
    Nodes all_children;     // ... or depending on it (_all_nextrev)
  };
  // from and every node reached from it along `edges` (RevisionMap._iterate_related_revisions).
  Set walk(const Nodes& from, Nodes Entry::*edges) const;
  // The nodes with no edge of that kind, in file order.
  Nodes without(Nodes Entry::*edges) const;

  std::vector<Entry> nodes_;
  std::map<std::string, Node, std::less<>> keys_;  // revision ids and branch labels
};

}  // namespace schemagate::migrate::alembic
