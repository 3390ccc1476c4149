#include "sim/tools/graph.h"

#include <map>

#include "absl/strings/str_format.h"
#include "model/kernel/pid.h"

namespace forksim {
namespace {

std::string TaskLabel(const Task* t, const std::string& name) {
  std::string numbers;
  for (size_t level = 0; level < t->thread_pid->numbers.size(); ++level) {
    if (level > 0) numbers += "/";
    absl::StrAppendFormat(&numbers, "%d",
                          t->thread_pid->numbers[level].nr.value);
  }
  std::string state = "running";
  if (t->state == TaskState::kZombie) state = "zombie";
  if (t->state == TaskState::kBlocked) state = "blocked";
  return absl::StrFormat("%s\\npid %s\\ntgid %d\\n%s",
                         name.empty() ? t->comm : name, numbers, t->tgid.value,
                         state);
}

}  // namespace

std::string MachineDot(const Machine& m,
                       const std::map<Tid, std::string>& names) {
  std::string dot =
      "digraph forksim {\n"
      "  rankdir=LR;\n"
      "  node [fontname=\"monospace\", fontsize=10];\n"
      "  edge [fontname=\"monospace\", fontsize=9];\n";
  std::map<std::string, std::string> structures;  // node id -> label
  auto structure = [&](const std::string& kind, const KObject* object,
                       const std::string& count_name) {
    const std::string id = absl::StrFormat("%s_%d", kind, object->serial);
    structures[id] = absl::StrFormat("%s#%d\\n%s %d", kind, object->serial,
                                     count_name, object->refcount);
    return id;
  };
  for (const Task* t : m.tasks) {
    if (t == m.idle) continue;
    const std::string id = absl::StrFormat("task_%d", t->pid.value);
    absl::StrAppendFormat(
        &dot, "  %s [shape=box, style=bold, label=\"%s\"];\n", id,
        TaskLabel(t, names.count(t->pid) ? names.at(t->pid) : std::string()));
    if (t->real_parent != nullptr && t->real_parent != m.idle) {
      absl::StrAppendFormat(
          &dot, "  %s -> task_%d [label=\"parent\", color=gray40];\n", id,
          t->real_parent->pid.value);
    }
    if (!IsThreadGroupLeader(*t)) {
      absl::StrAppendFormat(
          &dot, "  %s -> task_%d [label=\"thread of\", style=dashed];\n", id,
          t->group_leader->pid.value);
    }
    auto edge = [&](const std::string& target, const char* label) {
      absl::StrAppendFormat(&dot,
                            "  %s -> %s [label=\"%s\", color=steelblue];\n", id,
                            target, label);
    };
    if (t->mm) edge(structure("mm", t->mm, "users"), "mm");
    if (t->files) edge(structure("files", t->files, "count"), "files");
    if (t->fs) edge(structure("fs", t->fs, "users"), "fs");
    if (t->sighand) edge(structure("sighand", t->sighand, "count"), "sighand");
    if (t->signal) edge(structure("signal", t->signal, "sigcnt"), "signal");
    if (t->cred) edge(structure("cred", t->cred, "usage"), "cred");
    if (t->nsproxy) edge(structure("nsproxy", t->nsproxy, "count"), "nsproxy");
  }
  std::string ns_edges;
  for (const NsProxy* p : m.nsproxies) {
    const std::string from = absl::StrFormat("nsproxy_%d", p->serial);
    if (structures.count(from) == 0) continue;
    for (const Namespace* ns : {p->mnt, p->uts, p->ipc, p->cgroup, p->net}) {
      absl::StrAppendFormat(
          &ns_edges, "  %s -> %s [color=darkgreen];\n", from,
          structure(std::string(NsTypeName(ns->type)) + "_ns", ns, "count"));
    }
    absl::StrAppendFormat(&ns_edges, "  %s -> %s [color=darkgreen];\n", from,
                          structure("pid_ns", p->pid_for_children, "count"));
    // Kernels with time namespaces: the task's, and its children's when
    // they differ (after CLONE_NEWTIME with CLONE_VM, or unshare).
    if (p->time != nullptr) {
      absl::StrAppendFormat(&ns_edges, "  %s -> %s [color=darkgreen];\n", from,
                            structure("time_ns", p->time, "count"));
    }
    if (p->time_for_children != p->time) {
      absl::StrAppendFormat(
          &ns_edges,
          "  %s -> %s [color=darkgreen, style=dashed, "
          "label=\"for children\"];\n",
          from, structure("time_ns", p->time_for_children, "count"));
    }
  }
  for (const Cred* c : m.creds) {
    const std::string from = absl::StrFormat("cred_%d", c->serial);
    if (structures.count(from) == 0) continue;
    absl::StrAppendFormat(&ns_edges, "  %s -> %s [color=darkorange];\n", from,
                          structure("user_ns", c->user_ns, "count"));
  }
  for (const auto& [id, label] : structures) {
    absl::StrAppendFormat(&dot, "  %s [shape=ellipse, label=\"%s\"];\n", id,
                          label);
  }
  dot += ns_edges;
  dot += "}\n";
  return dot;
}

}  // namespace forksim
