#include "sim/tools/explain.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"
#include "model/kernel/pid.h"
#include "sim/tools/json.h"
#include "sim/kernel/syscalls.h"

namespace forksim {
namespace {

std::string Hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    absl::StrAppendFormat(&out, "%s%02x", i == 0 ? "" : " ", bytes[i]);
  }
  return out;
}

std::string ResultText(int64_t result) {
  if (result == kNoReturn) return "= ? (the task is gone)";
  if (result < 0 && result >= -4095) {
    const Errno e = static_cast<Errno>(-result);
    return absl::StrFormat("= -1 %s (%s)", ErrnoName(e), ErrnoMessage(e));
  }
  return absl::StrFormat("= %d", result);
}

// How the wrapper changed a register: shown only when it did something.
std::string Conversion(const ExplainedArg& arg, const std::string& abi) {
  if (arg.truncated) return "  (upper 32 bits dropped)";
  if (abi == "ia32" && arg.reg_value != arg.value) return "  (read as signed)";
  if (abi == "ia32") return "  (zero-extended)";
  return "";
}

std::string EventLine(const Event& e, const std::string& version) {
  const std::string cite = version.empty() ? e.where : e.where + " " + version;
  switch (e.kind) {
    case Event::Kind::kCheck:
      return absl::StrFormat(
          "  check   %-44s %s: %s", cite, e.text,
          e.value == 0
              ? std::string("passes")
              : absl::StrFormat("fails, %s",
                                ErrnoName(static_cast<Errno>(e.value))));
    case Event::Kind::kStep:
      return absl::StrFormat("  step    %-44s %s", cite, e.text);
    case Event::Kind::kUnwind:
      return absl::StrFormat("  unwind  %s", cite);
    case Event::Kind::kRead:
      return absl::StrFormat("  read    %#x, %d bytes, %s: %s", e.addr, e.value,
                             e.text, Hex(e.bytes));
    case Event::Kind::kWrite:
      return absl::StrFormat("  write   %#x, %d bytes, %s: %s", e.addr, e.value,
                             e.text, Hex(e.bytes));
    case Event::Kind::kFault:
      return absl::StrFormat("  fault   %#x, %d bytes, %s (%s)", e.addr,
                             e.value, e.text, e.where);
    case Event::Kind::kSignal:
      return absl::StrFormat("  signal  %d %s (%s)", e.value, e.text, cite);
    case Event::Kind::kExit:
      return absl::StrFormat("  exit    task %d, status %#x", e.tid, e.value);
    case Event::Kind::kReap:
      return absl::StrFormat("  reap    task %d (%s)", e.value, cite);
    case Event::Kind::kNote:
      return absl::StrFormat("  note    %s: %s", cite, e.text);
    case Event::Kind::kBlocked:
      return "  blocks";
    case Event::Kind::kResumed:
      return absl::StrFormat("  resumed task %d %s", e.tid,
                             ResultText(e.value));
    case Event::Kind::kSyscall:
    case Event::Kind::kReturn:
      return "";
  }
  return "";
}

constexpr std::string_view kEventKinds[] = {
    "syscall", "return", "blocked", "resumed", "check", "step", "unwind",
    "read",    "write",  "fault",   "signal",  "exit",  "reap", "note"};

}  // namespace

std::vector<std::string> ExplainText(const RunResult& run, bool with_versions) {
  const std::string version = with_versions ? "[" + run.profile + "]" : "";
  std::vector<std::string> out;
  for (const ExplainedCall& call : run.calls) {
    out.push_back(absl::StrFormat("line %d: %s", call.line, call.source));
    if (call.entry.empty()) {
      out.push_back(
          absl::StrFormat("  entry   task %d (%s): %s = %d: no such "
                          "syscall, ENOSYS",
                          call.tid, call.abi, call.nr_reg, call.nr));
    } else {
      out.push_back(absl::StrFormat("  entry   task %d (%s) enters %s: %s = %d",
                                    call.tid, call.abi, call.entry, call.nr_reg,
                                    call.nr));
      for (const ExplainedArg& arg : call.args) {
        out.push_back(
            absl::StrFormat("          %-4s = %#-18x -> %-14s (%s) = %#x%s",
                            arg.reg, arg.reg_value, arg.param, arg.type,
                            arg.value, Conversion(arg, call.abi)));
      }
    }
    for (const Event& e : call.events) {
      std::string line = EventLine(e, version);
      if (!line.empty()) out.push_back(std::move(line));
    }
    out.push_back(call.blocked ? "  result  (blocked; finishes later)"
                               : "  result  " + ResultText(call.result));
  }
  return out;
}

std::vector<std::string> ExplainJson(const RunResult& run) {
  std::vector<std::string> out;
  for (const ExplainedCall& call : run.calls) {
    JsonWriter json;
    json.BeginObject()
        .Key("profile")
        .String(run.profile)
        .Key("abi")
        .String(call.abi)
        .Key("line")
        .Int(call.line)
        .Key("source")
        .String(call.source)
        .Key("tid")
        .Int(call.tid)
        .Key("entry")
        .String(call.entry)
        .Key("nr_reg")
        .String(call.nr_reg)
        .Key("nr")
        .Uint(call.nr)
        .Key("args")
        .BeginArray();
    for (const ExplainedArg& arg : call.args) {
      json.BeginObject()
          .Key("reg")
          .String(arg.reg)
          .Key("reg_value")
          .Uint(arg.reg_value)
          .Key("param")
          .String(arg.param)
          .Key("type")
          .String(arg.type)
          .Key("value")
          .Uint(arg.value)
          .Key("truncated")
          .Bool(arg.truncated)
          .EndObject();
    }
    json.EndArray().Key("events").BeginArray();
    for (const Event& e : call.events) {
      json.BeginObject()
          .Key("kind")
          .String(kEventKinds[static_cast<int>(e.kind)])
          .Key("tid")
          .Int(e.tid)
          .Key("where")
          .String(e.where)
          .Key("text")
          .String(e.text)
          .Key("value")
          .Int(e.value);
      if (e.addr != 0) json.Key("addr").Uint(e.addr);
      if (!e.bytes.empty()) json.Key("bytes").String(Hex(e.bytes));
      json.EndObject();
    }
    json.EndArray();
    if (call.blocked) {
      json.Key("blocked").Bool(true);
    } else {
      json.Key("result").Int(call.result);
    }
    json.EndObject();
    out.push_back(json.str());
  }
  return out;
}

std::vector<std::string> DiffLines(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<int>> lcs(a.size() + 1,
                                    std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1
                               : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<std::string> out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out.push_back("  " + a[i++]);
      ++j;
    } else if (j == b.size() ||
               (i < a.size() && lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back("- " + a[i++]);
    } else {
      out.push_back("+ " + b[j++]);
    }
  }
  return out;
}

namespace {

std::string TaskLabel(const Task* t, const std::string& name) {
  std::string numbers;
  for (size_t level = 0; level < t->thread_pid->numbers.size(); ++level) {
    if (level > 0) numbers += "/";
    absl::StrAppendFormat(&numbers, "%d", t->thread_pid->numbers[level].nr);
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
                       const std::map<int32_t, std::string>& names) {
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
        TaskLabel(t, names.count(t->pid.value) ? names.at(t->pid.value)
                                               : std::string()));
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
