#include "migrate/alembic/graph.h"

#include <map>
#include <set>
#include <utility>

#include "migrate/alembic/text.h"

namespace schemagate::migrate::alembic {
namespace {

std::string single_quoted(std::string_view id) { return "'" + std::string(id) + "'"; }

std::map<std::string, const Revision*> revisions_by_id(const Project& project) {
  std::map<std::string, const Revision*> by_id;
  for (const Revision& r : project.revisions) by_id.emplace(r.id, &r);
  return by_id;
}

}  // namespace

Status check_graph(const std::vector<Revision>& revisions) {
  std::map<std::string, const Revision*> by_id;
  for (const Revision& r : revisions) {
    auto [slot, inserted] = by_id.emplace(r.id, &r);
    if (!inserted)
      return bad_migrations(at_line(r.path, r.line) + ": duplicate revision id " + single_quoted(r.id) +
                            " (also " + at_line(slot->second->path, slot->second->line) + ")");
  }
  for (const Revision& r : revisions)
    for (const std::string& parent : r.parents)
      if (!by_id.count(parent))
        return bad_migrations(at_line(r.path, r.parents_line) + ": down_revision names " +
                              single_quoted(parent) + ", which no revision file has");

  // Depth-first along parents; meeting a revision still on the path is a cycle.
  enum class Mark { Unseen, OnPath, Done };
  std::map<std::string, Mark> marks;
  for (const Revision& start : revisions) {
    if (marks[start.id] != Mark::Unseen) continue;
    std::vector<std::pair<const Revision*, size_t>> path{{&start, 0}};
    marks[start.id] = Mark::OnPath;
    while (!path.empty()) {
      auto& [rev, next] = path.back();
      if (next == rev->parents.size()) {
        marks[rev->id] = Mark::Done;
        path.pop_back();
        continue;
      }
      const Revision* parent = by_id.at(rev->parents[next++]);
      Mark& mark = marks[parent->id];
      if (mark == Mark::OnPath) {
        std::vector<std::string> cycle;
        bool in_cycle = false;
        for (const auto& step : path) {
          in_cycle = in_cycle || step.first == parent;
          if (in_cycle) cycle.push_back(step.first->id);
        }
        cycle.push_back(parent->id);
        return bad_migrations(at_line(parent->path, parent->parents_line) +
                              ": revisions form a cycle: " + joined(cycle, " -> "));
      }
      if (mark == Mark::Unseen) {
        mark = Mark::OnPath;
        path.push_back({parent, 0});
      }
    }
  }
  return {};
}

std::vector<std::string> heads(const Project& project) {
  std::set<std::string> parents;
  for (const Revision& r : project.revisions) parents.insert(r.parents.begin(), r.parents.end());
  std::set<std::string> out;
  for (const Revision& r : project.revisions)
    if (!parents.count(r.id)) out.insert(r.id);
  return {out.begin(), out.end()};
}

Result<std::string> single_head(const Project& project) {
  std::vector<std::string> all = heads(project);
  if (all.empty()) return std::string();
  if (all.size() > 1)
    return bad_migrations("several Alembic heads: " + joined(all, ", ") +
                          " (merge them with `alembic merge heads`)");
  return all[0];
}

Result<std::vector<std::string>> pending(const Project& project, const std::vector<std::string>& current) {
  auto by_id = revisions_by_id(project);
  std::set<std::string> applied;
  std::vector<std::string> stack;
  for (const std::string& id : current) {
    if (!by_id.count(id))
      return bad_migrations("alembic_version holds " + single_quoted(id) + ", which no revision file has");
    stack.push_back(id);
  }
  while (!stack.empty()) {
    std::string id = std::move(stack.back());
    stack.pop_back();
    auto r = by_id.find(id);
    if (r == by_id.end() || !applied.insert(id).second) continue;
    stack.insert(stack.end(), r->second->parents.begin(), r->second->parents.end());
  }

  // Post-order from each head: a revision is listed once all its parents are.
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<std::pair<const Revision*, size_t>> path;
  auto visit = [&](const std::string& id) {
    auto r = by_id.find(id);
    if (r == by_id.end() || applied.count(id) || !seen.insert(id).second) return;
    path.push_back({r->second, 0});
  };
  for (const std::string& head : heads(project)) {
    visit(head);
    while (!path.empty()) {
      auto& [rev, next] = path.back();
      if (next < rev->parents.size()) {
        const std::string& parent = rev->parents[next++];
        visit(parent);  // may grow path: rev and next are not used after this
        continue;
      }
      out.push_back(rev->id);
      path.pop_back();
    }
  }
  return out;
}

}  // namespace schemagate::migrate::alembic
