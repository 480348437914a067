#include "migrate/alembic/upgrade.h"

#include <algorithm>
#include <optional>

#include "migrate/alembic/text.h"

namespace schemagate::migrate::alembic {
namespace {

bool has(const Graph::Nodes& nodes, Graph::Node n) {
  return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
}

// The revisions alembic_version's rows name, resolved as RevisionMap.get_revisions resolves them.
Result<Graph::Nodes> row_nodes(const Graph& g, const std::vector<std::string>& rows) {
  Graph::Nodes out;
  for (const std::string& row : rows) {
    auto n = g.find(row);
    if (!n)
      return bad_migrations("alembic_version holds " + single_quoted(row) + ", which no revision file has");
    out.push_back(*n);
  }
  return out;
}

// RevisionMap._iterate_related_revisions(check=True), as _collect_upgrade_revisions calls it on its
// targets and on the current rows: Alembic stops when one of them lies below another.
Status check_no_overlap(const Graph& g, const Graph::Nodes& nodes, const std::string& holder) {
  for (Graph::Node upper : nodes) {
    Graph::Set below = g.ancestors({upper}, true);
    for (Graph::Node lower : nodes)
      if (lower != upper && below[lower])
        return bad_migrations(
            holder + " " + single_quoted(g.id(upper)) + " and " + single_quoted(g.id(lower)) +
            ", which lies below it: Alembic refuses to upgrade from there (\"Requested revision " +
            g.id(upper) + " overlaps with other requested revisions " + g.id(lower) + "\")");
  }
  return {};
}

// RevisionMap.get_current_head(branch) refusing several heads (MultipleHeads), with the way out.
Error several_heads(const Graph& g, const Graph::Nodes& heads, std::optional<std::string_view> branch) {
  std::vector<std::string> ids = g.ids(heads);
  std::sort(ids.begin(), ids.end());
  std::string all = branch ? std::string(*branch) + "@heads" : "heads";
  std::string on = branch ? " on branch " + single_quoted(*branch) : "";
  return bad_migrations("several Alembic heads" + on + ": " + joined(ids, ", ") + "; `alembic upgrade " +
                        (branch ? std::string(*branch) + "@head" : "head") +
                        "` refuses to choose between them (upgrade them all with `alembic upgrade " + all +
                        "`, or merge them with `alembic merge heads`)");
}

// What TARGET names, as RevisionMap._resolve_revision_number and get_revisions resolve an
// absolute upgrade target (_parse_upgrade_target without a relative step).
Result<Graph::Nodes> target_nodes(const Graph& g, std::string_view target) {
  std::optional<std::string_view> label;
  std::optional<Graph::Node> branch;
  std::string_view rest = target;
  if (size_t at = target.find('@'); at != std::string_view::npos) {
    label = target.substr(0, at);
    rest = target.substr(at + 1);
    if (rest == "base") return Graph::Nodes{};  // Alembic resolves nothing for B@base, not even B
    auto b = g.find(*label);
    if (!b) return b.error();
    branch = *b;
  }
  if (rest == "heads" && !branch) return g.real_heads();
  if (rest == "heads" || rest == "head") {
    // filter_for_lineage(self.heads, branch): the heads on the branch's line.
    Graph::Nodes on;
    for (Graph::Node h : g.heads())
      if (!branch || g.shares_lineage(h, *branch)) on.push_back(h);
    if (rest == "head" && on.size() > 1) return several_heads(g, on, label);
    return on;
  }
  if (rest == "base") return Graph::Nodes{};
  auto n = g.find(rest, branch);
  if (!n) return n.error();
  if (branch && !g.shares_lineage(*n, *branch))
    return bad_migrations("Alembic revision " + single_quoted(g.id(*n)) + " is not on the line of branch " +
                          single_quoted(*label));
  return Graph::Nodes{*n};
}

// RevisionMap._topological_sort walks down from the targets, one line at a time, moving to another
// line whenever the revision it reached is needed by that line too; ScriptDirectory._upgrade_revs
// runs the result backwards, so parents come first.
Graph::Nodes upgrade_order(const Graph& g, Graph::Set todo, const Graph::Nodes& targets) {
  Graph::Nodes heads;
  for (Graph::Node t : targets)
    if (todo[t] && !has(heads, t)) heads.push_back(t);
  std::sort(heads.begin(), heads.end());  // the revision map's order: file order
  std::vector<Graph::Set> below;
  for (Graph::Node h : heads) below.push_back(g.ancestors({h}, true));
  Graph::Nodes out;
  size_t i = 0;
  while (!heads.empty()) {
    Graph::Node candidate = heads[i];
    size_t needing = 0;
    while (needing < heads.size() && (needing == i || !below[needing][candidate])) ++needing;
    if (needing < heads.size()) {
      i = needing;  // that line needs the candidate: walk it first
      continue;
    }
    if (todo[candidate]) {
      out.push_back(candidate);
      todo[candidate] = false;
    }
    Graph::Nodes next;
    for (Graph::Node d : g.normalized_down(candidate))
      if (todo[d] && !has(heads, d)) next.push_back(d);
    if (next.empty()) {
      heads.erase(heads.begin() + static_cast<std::ptrdiff_t>(i));
      below.erase(below.begin() + static_cast<std::ptrdiff_t>(i));
      i = i > 0 ? i - 1 : 0;
      continue;
    }
    heads[i] = next[0];
    below[i] = g.ancestors({next[0]}, true);
    for (size_t k = 1; k < next.size(); ++k) {
      heads.push_back(next[k]);
      below.push_back(g.ancestors({next[k]}, true));
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> heads(const Project& project) {
  std::vector<std::string> out = project.graph.ids(project.graph.heads());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> current(const Project& project, const std::vector<std::string>& rows) {
  const Graph& g = project.graph;
  auto nodes = row_nodes(g, rows);
  if (!nodes) return nodes.error();
  Graph::Set applied = g.ancestors(*nodes, true);
  // _filter_into_branch_heads: only what has nothing applied above it along down_revision.
  std::vector<std::string> out;
  for (Graph::Node n = 0; n < g.size(); ++n) {
    if (!applied[n]) continue;
    Graph::Set above = g.descendants({n}, false);
    bool covered = false;
    for (Graph::Node m = 0; m < g.size() && !covered; ++m) covered = m != n && above[m] && applied[m];
    if (!covered) out.push_back(g.id(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> pending(const Project& project, const std::vector<std::string>& rows,
                                         std::string_view target) {
  const Graph& g = project.graph;
  // _collect_upgrade_revisions(implicit_base=True): what the targets need, through down_revision
  // and depends_on, less what the rows already have below them the same way.
  auto targets = target_nodes(g, target);
  if (!targets) return targets.error();
  if (auto checked = check_no_overlap(g, *targets, "upgrade target " + single_quoted(target) + " names");
      !checked)
    return checked.error();
  auto current = row_nodes(g, rows);
  if (!current) return current.error();
  if (auto checked = check_no_overlap(g, *current, "alembic_version holds"); !checked) return checked.error();
  Graph::Set needs = g.ancestors(*targets, true);
  Graph::Set applied = g.ancestors(*current, true);
  for (Graph::Node n = 0; n < g.size(); ++n) needs[n] = needs[n] && !applied[n];
  return g.ids(upgrade_order(g, needs, *targets));
}

}  // namespace schemagate::migrate::alembic
