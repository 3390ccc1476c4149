#include "sim/tools/explain.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/abi/abi.h"
#include "model/abi/registers.h"
#include "model/kernel/names.h"
#include "sim/kernel/profile.h"

namespace forksim {
namespace {

// The result as explain prints it.
std::string ResultLine(const SyscallOutcome& outcome) {
  if (outcome.exited()) return "= ? (the task is gone)";
  return "= " + ResultText(outcome);
}

// How the wrapper changed a register: shown only when it did something.
std::string Conversion(const DecodedArg& arg, Abi abi) {
  if (arg.truncated) return "  (upper 32 bits dropped)";
  if (abi == Abi::kIa32 && arg.reg != arg.value) return "  (read as signed)";
  if (abi == Abi::kIa32) return "  (zero-extended)";
  return "";
}

// "kernel/fork.c:copy_process() S2 signal_pending": where a step is, in the
// kernel and in docs/copy-process.md.
std::string StepCitation(const Event& e) {
  std::string cite(e.function);
  if (!e.step.empty()) absl::StrAppendFormat(&cite, " %s", e.step);
  if (!e.label.empty()) absl::StrAppendFormat(&cite, " %s", e.label);
  return cite;
}

// What a share-or-copy step did.
std::string ObjectText(const ObjectChange& c) {
  switch (c.how) {
    case ObjectChange::How::kNone:
      return "none";
    case ObjectChange::How::kCopied:
      return absl::StrFormat("copied into a new %s#%d", c.type, c.serial);
    case ObjectChange::How::kShared:
      break;
  }
  if (!c.taken_at.empty()) {
    return absl::StrFormat("shared %s#%d (taken at %s)", c.type, c.serial,
                           c.taken_at);
  }
  return absl::StrFormat("shared %s#%d (refcount %d -> %d)", c.type, c.serial,
                         c.refcount_before, c.refcount_after);
}

// The outcome column of a kStep line.
std::string StepText(const Event& e) {
  if (e.error != Errno{}) return std::string(ErrnoName(e.error));
  if (e.object) return ObjectText(*e.object);
  if (!e.pid_numbers.empty()) {
    return absl::StrFormat("pid %s (one number per namespace level)",
                           absl::StrJoin(e.pid_numbers, "/"));
  }
  if (e.linked) {
    const LinkFacts& l = *e.linked;
    return absl::StrFormat(
        "task %d linked: child of %d%s; nr_threads %d, total_forks %d",
        l.task.value, l.parent.value,
        l.leader == l.task ? ""
                           : absl::StrFormat(", thread of %d", l.leader.value),
        l.nr_threads, l.total_forks);
  }
  if (e.subject.value != 0) {
    return absl::StrFormat("task %d %s", e.subject.value, e.outcome);
  }
  if (!e.outcome.empty()) return std::string(e.outcome);
  return "ok";
}

std::string SignalLine(const Event& e, const std::string& cite) {
  const std::string name = SignalName(static_cast<int>(e.value));
  switch (e.how) {
    case SignalHow::kDelivered:
      return absl::StrFormat("  signal  %d delivered (%s)", e.value, cite);
    case SignalHow::kQueuedShared:
      return absl::StrFormat("  signal  %d %s to %d (shared_pending) (%s)",
                             e.value, name, e.target.value, cite);
    case SignalHow::kKillsGroup:
      return absl::StrFormat("  signal  %d %s to the group of %d (%s)", e.value,
                             name, e.target.value, cite);
    case SignalHow::kIgnored:
      return absl::StrFormat("  note    %s: %s to %d: ignored, not queued",
                             cite, name, e.target.value);
    case SignalHow::kAlreadyQueued:
      return absl::StrFormat("  note    %s: %s to %d: already pending", cite,
                             name, e.target.value);
  }
  return "";
}

std::string EventLine(const Event& e, const std::string& version) {
  auto cite = [&](std::string text) {
    return version.empty() ? text : text + " " + version;
  };
  switch (e.kind) {
    case EventKind::kCheck:
      return absl::StrFormat(
          "  check   %-44s %s: %s", cite(StepCitation(e)), e.reason,
          e.error == Errno{}
              ? std::string("passes")
              : absl::StrFormat("fails, %s", ErrnoName(e.error)));
    case EventKind::kStep:
      return absl::StrFormat("  step    %-44s %s", cite(StepCitation(e)),
                             StepText(e));
    case EventKind::kUnwind:
      // The label names it; the U number is in the JSON.
      return absl::StrFormat(
          "  unwind  %s", cite(absl::StrFormat("%s %s", e.function, e.label)));
    case EventKind::kRead:
      return absl::StrFormat("  read    %#x, %d bytes, %s: %s", e.addr, e.value,
                             e.field, HexBytes(e.bytes));
    case EventKind::kWrite:
      return absl::StrFormat("  write   %#x, %d bytes, %s: %s", e.addr, e.value,
                             e.field, HexBytes(e.bytes));
    case EventKind::kFault:
      return absl::StrFormat("  fault   %#x, %d bytes, %s (%s)", e.addr,
                             e.value, e.field, e.access);
    case EventKind::kSignal:
      return SignalLine(e, cite(std::string(e.function)));
    case EventKind::kExit:
      return absl::StrFormat("  exit    task %d, status %#x", e.tid.value,
                             e.value);
    case EventKind::kReap:
      return absl::StrFormat("  reap    task %d (%s)", e.target.value,
                             cite(std::string(e.function)));
    case EventKind::kNote:
      return absl::StrFormat("  note    %s: %s", cite(std::string(e.function)),
                             e.text);
    case EventKind::kBlocked:
      return absl::StrFormat("  blocks  %s: %s", cite(std::string(e.function)),
                             e.text);
    case EventKind::kResumed:
      return absl::StrFormat("  resumed task %d %s", e.tid.value,
                             ResultLine(*e.result));
    case EventKind::kSyscall:
    case EventKind::kReturn:
      return "";
  }
  return "";
}

void WriteOutcomeJson(JsonWriter& json, const SyscallOutcome& o) {
  if (o.blocked()) {
    json.Key("blocked").Bool(true);
  } else if (o.exited()) {
    json.Key("exited").Bool(true);
  } else if (!o.ok()) {
    json.Key("errno").String(ErrnoName(o.error()));
  }
  if (o.returned()) json.Key("result").Int(o.ReturnValue());
}

// The entry point as the run's kernel names it.
std::string_view EntryName(const RunResult& run, const DecodedSyscall& d) {
  const std::optional<const KernelProfile*> profile =
      ProfileFromName(run.profile);
  return profile ? SyscallEntryName(**profile, *d.signature)
                 : d.signature->entry;
}

}  // namespace

std::vector<std::string> ExplainText(const RunResult& run, bool with_versions) {
  const std::string version = with_versions ? "[" + run.profile + "]" : "";
  std::vector<std::string> out;
  for (const ExplainedCall& call : run.calls) {
    const AbiInfo& info = AbiInfoFor(call.abi);
    const std::string_view nr_reg = RegName(call.abi, info.nr_reg);
    out.push_back(absl::StrFormat("line %d: %s", call.line, call.source));
    if (!call.decoded) {
      out.push_back(absl::StrFormat(
          "  entry   task %d (%s): %s = %d: no such syscall, ENOSYS",
          call.tid.value, info.name, nr_reg, call.nr));
    } else {
      const DecodedSyscall& d = *call.decoded;
      out.push_back(absl::StrFormat("  entry   task %d (%s) enters %s: %s = %d",
                                    call.tid.value, info.name,
                                    EntryName(run, d), nr_reg, call.nr));
      for (size_t i = 0; i < d.signature->params.size(); ++i) {
        const SyscallParam& param = d.signature->params[i];
        out.push_back(
            absl::StrFormat("          %-4s = %#-18x -> %-14s (%s) = %#x%s",
                            RegName(call.abi, info.arg_regs[i]), d.args[i].reg,
                            param.name, ArgTypeName(param.type),
                            d.args[i].value, Conversion(d.args[i], call.abi)));
      }
    }
    for (const Event& e : call.events) {
      std::string line = EventLine(e, version);
      if (!line.empty()) out.push_back(std::move(line));
    }
    out.push_back(call.outcome.blocked()
                      ? "  result  (blocked; finishes later)"
                      : "  result  " + ResultLine(call.outcome));
  }
  return out;
}

void WriteEventJson(JsonWriter& json, const Event& e) {
  json.BeginObject()
      .Key("kind")
      .String(EventKindName(e.kind))
      .Key("tid")
      .Int(e.tid.value);
  auto text = [&json](std::string_view key, std::string_view value) {
    if (!value.empty()) json.Key(key).String(value);
  };
  text("function", e.function);
  text("step", e.step);
  text("label", e.label);
  text("reason", e.reason);
  if (e.kind == EventKind::kCheck || e.kind == EventKind::kStep) {
    json.Key("ok").Bool(e.error == Errno{});
    text("errno", e.error == Errno{} ? "" : ErrnoName(e.error));
  }
  if (e.object) {
    json.Key("object").BeginObject();
    switch (e.object->how) {
      case ObjectChange::How::kNone:
        json.Key("how").String("none");
        break;
      case ObjectChange::How::kShared:
        json.Key("how").String("shared");
        break;
      case ObjectChange::How::kCopied:
        json.Key("how").String("copied");
        break;
    }
    json.Key("type").String(e.object->type);
    if (e.object->how != ObjectChange::How::kNone) {
      json.Key("serial").Uint(e.object->serial);
      json.Key("refcount_before").Int(e.object->refcount_before);
      json.Key("refcount_after").Int(e.object->refcount_after);
    }
    text("taken_at", e.object->taken_at);
    json.EndObject();
  }
  if (!e.pid_numbers.empty()) {
    json.Key("pid_numbers").BeginArray();
    for (int32_t nr : e.pid_numbers) json.Int(nr);
    json.EndArray();
  }
  if (e.linked) {
    json.Key("linked")
        .BeginObject()
        .Key("task")
        .Int(e.linked->task.value)
        .Key("parent")
        .Int(e.linked->parent.value)
        .Key("leader")
        .Int(e.linked->leader.value)
        .Key("nr_threads")
        .Int(e.linked->nr_threads)
        .Key("total_forks")
        .Uint(e.linked->total_forks)
        .EndObject();
  }
  text("outcome", e.outcome);
  if (e.subject.value != 0) json.Key("subject").Int(e.subject.value);
  switch (e.kind) {
    case EventKind::kSyscall:
      json.Key("nr").Uint(e.nr);
      if (e.decoded) json.Key("syscall").String(e.decoded->signature->name);
      break;
    case EventKind::kReturn:
    case EventKind::kResumed:
      if (e.result) WriteOutcomeJson(json, *e.result);
      break;
    case EventKind::kRead:
    case EventKind::kWrite:
    case EventKind::kFault:
      json.Key("access").String(e.access);
      json.Key("field").String(e.field);
      json.Key("addr").Uint(e.addr);
      json.Key("size").Int(e.value);
      if (!e.bytes.empty()) json.Key("bytes").String(HexBytes(e.bytes));
      break;
    case EventKind::kSignal:
      json.Key("signal").Int(e.value);
      json.Key("target").Int(e.target.value);
      break;
    case EventKind::kExit:
      json.Key("code").Int(e.value);
      break;
    case EventKind::kReap:
      json.Key("target").Int(e.target.value);
      break;
    default:
      break;
  }
  text("text", e.text);
  json.EndObject();
}

std::vector<std::string> ExplainJson(const RunResult& run) {
  std::vector<std::string> out;
  for (const ExplainedCall& call : run.calls) {
    const AbiInfo& info = AbiInfoFor(call.abi);
    JsonWriter json;
    json.BeginObject()
        .Key("profile")
        .String(run.profile)
        .Key("abi")
        .String(info.name)
        .Key("line")
        .Int(call.line)
        .Key("source")
        .String(call.source)
        .Key("tid")
        .Int(call.tid.value)
        .Key("entry")
        .String(call.decoded ? EntryName(run, *call.decoded) : "")
        .Key("nr_reg")
        .String(RegName(call.abi, info.nr_reg))
        .Key("nr")
        .Uint(call.nr)
        .Key("args")
        .BeginArray();
    if (call.decoded) {
      const DecodedSyscall& d = *call.decoded;
      for (size_t i = 0; i < d.signature->params.size(); ++i) {
        const SyscallParam& param = d.signature->params[i];
        json.BeginObject()
            .Key("reg")
            .String(RegName(call.abi, info.arg_regs[i]))
            .Key("reg_value")
            .Uint(d.args[i].reg)
            .Key("param")
            .String(param.name)
            .Key("type")
            .String(ArgTypeName(param.type))
            .Key("value")
            .Uint(d.args[i].value)
            .Key("truncated")
            .Bool(d.args[i].truncated)
            .EndObject();
      }
    }
    json.EndArray().Key("events").BeginArray();
    for (const Event& e : call.events) WriteEventJson(json, e);
    json.EndArray();
    WriteOutcomeJson(json, call.outcome);
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

std::vector<std::string> KeepDiffContext(const std::vector<std::string>& diff,
                                         size_t context) {
  // A line is kept when a changed line is within `context` lines of it.
  std::vector<bool> keep(diff.size(), false);
  for (size_t i = 0; i < diff.size(); ++i) {
    if (diff[i].starts_with("  ")) continue;
    const size_t from = i >= context ? i - context : 0;
    const size_t to = std::min(diff.size(), i + context + 1);
    for (size_t k = from; k < to; ++k) keep[k] = true;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < diff.size();) {
    if (keep[i]) {
      out.push_back(diff[i++]);
      continue;
    }
    size_t run = 0;
    while (i < diff.size() && !keep[i]) ++run, ++i;
    out.push_back(absl::StrFormat("  ... (%d unchanged line%s)", run,
                                  run == 1 ? "" : "s"));
  }
  return out;
}

}  // namespace forksim
