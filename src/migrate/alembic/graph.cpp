#include "migrate/alembic/graph.h"

#include <algorithm>
#include <utility>

#include "migrate/alembic/text.h"

namespace schemagate::migrate::alembic {
namespace {

using Node = Graph::Node;
using Nodes = Graph::Nodes;

void add_unique(Nodes& nodes, Node n) {
  if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
}

// Depth-first along down_revision and depends_on (Alembic's _detect_cycles looks along both);
// meeting a revision still on the path is a cycle, reported where the cycle's first edge is written.
Status check_cycles(const std::vector<Revision>& revisions, const std::vector<Nodes>& down) {
  enum class Mark { Unseen, OnPath, Done };
  std::vector<Mark> marks(revisions.size(), Mark::Unseen);
  for (Node start = 0; start < revisions.size(); ++start) {
    if (marks[start] != Mark::Unseen) continue;
    std::vector<std::pair<Node, size_t>> path{{start, 0}};
    marks[start] = Mark::OnPath;
    while (!path.empty()) {
      auto& [n, next] = path.back();
      if (next == down[n].size()) {
        marks[n] = Mark::Done;
        path.pop_back();
        continue;
      }
      Node below = down[n][next++];
      if (marks[below] == Mark::OnPath) {
        std::vector<std::string> cycle;
        bool in_cycle = false;
        for (const auto& step : path) {
          in_cycle = in_cycle || step.first == below;
          if (in_cycle) cycle.push_back(revisions[step.first].id);
        }
        cycle.push_back(revisions[below].id);
        const Revision& first = revisions[below];
        const std::string& second = cycle.size() > 2 ? cycle[1] : first.id;
        bool is_parent = std::find(first.parents.begin(), first.parents.end(), second) != first.parents.end();
        return bad_migrations(at_line(first.path, is_parent ? first.parents_line : first.dependencies_line) +
                              ": revisions form a cycle: " + joined(cycle, " -> "));
      }
      if (marks[below] == Mark::Unseen) {
        marks[below] = Mark::OnPath;
        path.push_back({below, 0});
      }
    }
  }
  return {};
}

}  // namespace

Result<Graph> Graph::build(const std::vector<Revision>& revisions) {
  Graph g;
  for (const Revision& r : revisions) {
    // Revision.verify_rev_id: these characters spell `branch@rev` and relative steps.
    if (size_t bad = r.id.find_first_of("@-+"); bad != std::string::npos)
      return bad_migrations(at_line(r.path, r.line) + ": revision id " + single_quoted(r.id) + " holds '" +
                            r.id[bad] + "', which Alembic does not allow in a revision id");
    auto [slot, inserted] = g.keys_.emplace(r.id, g.nodes_.size());
    if (!inserted) {
      const Revision& other = revisions[slot->second];
      return bad_migrations(at_line(r.path, r.line) + ": duplicate revision id " + single_quoted(r.id) +
                            " (also " + at_line(other.path, other.line) + ")");
    }
    g.nodes_.emplace_back();
    g.nodes_.back().id = r.id;
  }
  // _map_branch_labels: a label is one more key naming the revision that declares it.
  for (Node n = 0; n < revisions.size(); ++n)
    for (const std::string& label : revisions[n].branch_labels)
      if (auto [slot, inserted] = g.keys_.emplace(label, n); !inserted) {
        const Revision& owner = revisions[slot->second];
        return bad_migrations(at_line(revisions[n].path, revisions[n].labels_line) + ": branch label " +
                              single_quoted(label) + " is already used by revision " +
                              single_quoted(owner.id) + " (" + at_line(owner.path, owner.line) + ")");
      }
  std::vector<Nodes> all_down(revisions.size());
  for (Node n = 0; n < revisions.size(); ++n) {
    const Revision& r = revisions[n];
    for (const std::string& parent : r.parents) {
      auto found = g.keys_.find(parent);
      if (found == g.keys_.end() || g.nodes_[found->second].id != parent)
        return bad_migrations(at_line(r.path, r.parents_line) + ": down_revision names " +
                              single_quoted(parent) + ", which no revision file has");
      g.nodes_[n].parents.push_back(found->second);
    }
    // _add_depends_on: an id, or a branch label standing for the revision that declares it.
    for (const std::string& dependency : r.dependencies) {
      auto found = g.keys_.find(dependency);
      if (found == g.keys_.end())
        return bad_migrations(at_line(r.path, r.dependencies_line) + ": depends_on names " +
                              single_quoted(dependency) + ", which is neither a revision nor a branch label");
      add_unique(g.nodes_[n].dependencies, found->second);
    }
    all_down[n] = g.nodes_[n].parents;
    for (Node d : g.nodes_[n].dependencies) add_unique(all_down[n], d);
  }
  if (auto checked = check_cycles(revisions, all_down); !checked) return checked.error();

  for (Node n = 0; n < g.size(); ++n) {
    for (Node p : g.nodes_[n].parents) g.nodes_[p].children.push_back(n);
    for (Node d : all_down[n]) g.nodes_[d].all_children.push_back(n);
  }
  // _normalize_depends_on: a dependency one of the revision's ancestors already has is dropped
  // from the revision's own down edges; it is still reached through that ancestor.
  for (Node n = 0; n < g.size(); ++n) {
    Entry& e = g.nodes_[n];
    e.normalized_down = e.parents;
    if (e.dependencies.empty()) continue;
    Set below = g.ancestors({n}, false);
    for (Node d : e.dependencies) {
      bool inherited = false;
      for (Node a = 0; a < g.size() && !inherited; ++a) {
        const Nodes& theirs = g.nodes_[a].dependencies;
        inherited = a != n && below[a] && std::find(theirs.begin(), theirs.end(), d) != theirs.end();
      }
      if (!inherited) add_unique(e.normalized_down, d);
    }
  }
  return g;
}

std::vector<std::string> Graph::ids(const Nodes& nodes) const {
  std::vector<std::string> out;
  for (Node n : nodes) out.push_back(nodes_[n].id);
  return out;
}

Result<Graph::Node> Graph::find(std::string_view identifier, std::optional<Node> branch) const {
  if (auto exact = keys_.find(identifier); exact != keys_.end()) return exact->second;
  // A partial identifier: any key over three characters long that starts with it, counted by key,
  // so a revision matched by its id and by its label is two matches, as in Alembic.
  std::vector<std::string> matches;
  for (const auto& [key, node] : keys_)
    if (key.size() > 3 && key.starts_with(identifier) && (!branch || shares_lineage(node, *branch)))
      matches.push_back(key);
  if (matches.empty())
    return bad_migrations(
        "no Alembic revision or branch label " + single_quoted(identifier) +
        (identifier.size() < 4 ? " (a partial revision id needs at least four characters)" : ""));
  if (matches.size() > 1) {
    for (std::string& m : matches) m = single_quoted(m);
    return bad_migrations("several Alembic revisions start with " + single_quoted(identifier) + ": " +
                          joined(matches, ", "));
  }
  return keys_.at(matches.front());
}

Graph::Nodes Graph::without(Nodes Entry::*edges) const {
  Nodes out;
  for (Node n = 0; n < size(); ++n)
    if ((nodes_[n].*edges).empty()) out.push_back(n);
  return out;
}

Graph::Nodes Graph::heads() const { return without(&Entry::children); }

Graph::Nodes Graph::real_heads() const { return without(&Entry::all_children); }

Graph::Set Graph::walk(const Nodes& from, Nodes Entry::*edges) const {
  Set seen(size(), false);
  Nodes todo = from;
  while (!todo.empty()) {
    Node n = todo.back();
    todo.pop_back();
    if (seen[n]) continue;
    seen[n] = true;
    todo.insert(todo.end(), (nodes_[n].*edges).begin(), (nodes_[n].*edges).end());
  }
  return seen;
}

Graph::Set Graph::ancestors(const Nodes& targets, bool with_dependencies) const {
  return walk(targets, with_dependencies ? &Entry::normalized_down : &Entry::parents);
}

Graph::Set Graph::descendants(const Nodes& targets, bool with_dependencies) const {
  return walk(targets, with_dependencies ? &Entry::all_children : &Entry::children);
}

bool Graph::shares_lineage(Node a, Node b) const {
  return ancestors({a}, false)[b] || descendants({a}, false)[b];
}

}  // namespace schemagate::migrate::alembic
