#include "model/kernel/dump.h"

#include <cstdint>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace forksim {
namespace {

uint64_t SerialOf(const KObject* object) {
  return object != nullptr ? object->serial : 0;
}

// FNV-1a over bytes: a page's digest.
uint64_t Digest(std::span<const uint8_t> bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    hash ^= b;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void DumpTask(const Task& t, std::string& out) {
  absl::StrAppendFormat(
      &out,
      "task#%d pid=%d tgid=%d state=%d flags=%#x exit_signal=%d "
      "exit_code=%#x ptrace=%#x started=%d parent=%d real_parent=%d "
      "leader=%d children=[%s] threads=[%s] set_child_tid=%#x "
      "clear_child_tid=%#x vfork=%d exec_ids=%d/%d thread_pid=%d",
      t.serial, t.pid.value, t.tgid.value, static_cast<int>(t.state), t.flags,
      t.exit_signal, t.exit_code, t.ptrace, t.started ? 1 : 0,
      SerialOf(t.parent), SerialOf(t.real_parent), SerialOf(t.group_leader),
      absl::StrJoin(
          t.children, ",",
          [](std::string* s, const Task* c) { absl::StrAppend(s, c->serial); }),
      absl::StrJoin(
          t.threads, ",",
          [](std::string* s, const Task* c) { absl::StrAppend(s, c->serial); }),
      t.set_child_tid, t.clear_child_tid, t.vfork_pending ? 1 : 0,
      t.self_exec_id, t.parent_exec_id, SerialOf(t.thread_pid));
  absl::StrAppendFormat(
      &out,
      " cred=%d/%d files=%d fs=%d sighand=%d signal=%d mm=%d nsproxy=%d "
      "sysvsem=%d io=%d cgroup=%d pending=[%s] regs=",
      SerialOf(t.real_cred), SerialOf(t.cred), SerialOf(t.files),
      SerialOf(t.fs), SerialOf(t.sighand), SerialOf(t.signal), SerialOf(t.mm),
      SerialOf(t.nsproxy), SerialOf(t.sysvsem), SerialOf(t.io_context),
      SerialOf(t.cgroup), absl::StrJoin(t.pending, ","));
  for (int r = 0; r < static_cast<int>(Reg::kCount); ++r) {
    absl::StrAppendFormat(&out, "%s%x", r == 0 ? "" : ",",
                          t.regs.Get(static_cast<Reg>(r)));
  }
  absl::StrAppendFormat(&out, " tls=%x/%x/%x/%x/%x,%x,%x\n", t.tls.fsbase,
                        t.tls.fsindex, t.tls.gsbase, t.tls.gsindex,
                        t.tls.gdt[0], t.tls.gdt[1], t.tls.gdt[2]);
}

void DumpFiles(const FilesStruct& files, std::string& out) {
  absl::StrAppendFormat(
      &out, "files#%d refs=%d max_fds=%d next_fd=%d fds=", files.serial,
      files.refcount, files.max_fds, files.next_fd);
  for (size_t fd = 0; fd < files.fd.size(); ++fd) {
    const bool open = files.open_fds.Test(static_cast<uint32_t>(fd));
    if (files.fd[fd] == nullptr && !open) continue;
    absl::StrAppendFormat(
        &out, "[%d:%d%s%s]", fd, SerialOf(files.fd[fd]), open ? "" : " closed",
        files.close_on_exec.Test(static_cast<uint32_t>(fd)) ? " cloexec" : "");
  }
  out += "\n";
}

}  // namespace

std::string DumpMachine(const Machine& m) {
  std::string out;
  absl::StrAppendFormat(
      &out,
      "sysctls pid_max=%d threads_max=%d nr_open=%d file_max=%d "
      "nr_threads=%d total_forks=%d\n",
      m.sysctls.pid_max, m.sysctls.max_threads, m.sysctls.nr_open,
      m.sysctls.file_max, m.nr_threads, m.total_forks);
  for (const Task* t : m.tasks) DumpTask(*t, out);
  for (const Pid* pid : m.pids) {
    absl::StrAppendFormat(&out, "pid#%d refs=%d numbers=", pid->serial,
                          pid->refcount);
    for (const Upid& upid : pid->numbers) {
      absl::StrAppendFormat(&out, "%d@%d,", upid.nr.value, SerialOf(upid.ns));
    }
    out += "\n";
  }
  for (const PidNamespace* ns : m.pid_namespaces) {
    absl::StrAppendFormat(&out,
                          "pid_ns#%d refs=%d level=%d allocated=%#x "
                          "reaper=%d next=%d\n",
                          ns->serial, ns->refcount, ns->level,
                          ns->pid_allocated, SerialOf(ns->child_reaper),
                          ns->idr.next());
  }
  for (const UserNamespace* ns : m.user_namespaces) {
    absl::StrAppendFormat(&out, "user_ns#%d refs=%d level=%d owner=%d\n",
                          ns->serial, ns->refcount, ns->level, ns->owner);
  }
  for (const UserStruct* u : m.users) {
    absl::StrAppendFormat(&out, "user#%d refs=%d uid=%d processes=%d\n",
                          u->serial, u->refcount, u->uid, u->processes);
  }
  for (const Cred* c : m.creds) {
    absl::StrAppendFormat(&out,
                          "cred#%d refs=%d uid=%d gid=%d euid=%d caps=%#x "
                          "user=%d user_ns=%d\n",
                          c->serial, c->refcount, c->uid, c->gid, c->euid,
                          c->caps.effective, SerialOf(c->user),
                          SerialOf(c->user_ns));
  }
  for (const Namespace* ns : m.namespaces) {
    absl::StrAppendFormat(&out, "%s_ns#%d refs=%d\n", NsTypeName(ns->type),
                          ns->serial, ns->refcount);
  }
  for (const Cgroup* c : m.cgroups) {
    absl::StrAppendFormat(
        &out,
        "cgroup#%d refs=%d %s online=%d threaded=%d tasks=%d owner=%d "
        "subtree_control=[%s]\n",
        c->serial, c->refcount, c->path, c->online ? 1 : 0, c->threaded ? 1 : 0,
        c->nr_tasks, c->procs_uid, absl::StrJoin(c->subtree_control, ","));
  }
  for (const NsProxy* p : m.nsproxies) {
    absl::StrAppendFormat(
        &out, "nsproxy#%d refs=%d %d,%d,%d,%d,%d,%d", p->serial, p->refcount,
        SerialOf(p->mnt), SerialOf(p->uts), SerialOf(p->ipc),
        SerialOf(p->pid_for_children), SerialOf(p->cgroup), SerialOf(p->net));
    if (p->time != nullptr) {  // a kernel with time namespaces
      absl::StrAppendFormat(&out, ",%d,%d", SerialOf(p->time),
                            SerialOf(p->time_for_children));
    }
    out += "\n";
  }
  for (const SignalStruct* s : m.signals) {
    absl::StrAppendFormat(
        &out,
        "signal#%d refs=%d nr_threads=%d live=%d flags=%#x group_exit=%d/%d "
        "shared_pending=[%s] nproc=%d nofile=%d\n",
        s->serial, s->refcount, s->nr_threads, s->live, s->flags,
        s->group_exit ? 1 : 0, s->group_exit_code,
        absl::StrJoin(s->shared_pending, ","), s->rlim[kRlimitNproc].cur,
        s->rlim[kRlimitNofile].cur);
  }
  for (const Sighand* s : m.sighands) {
    absl::StrAppendFormat(&out, "sighand#%d refs=%d", s->serial, s->refcount);
    for (size_t sig = 0; sig < s->action.size(); ++sig) {
      const SigAction& a = s->action[sig];
      if (a.handler == kSigDfl && a.flags == 0) continue;
      absl::StrAppendFormat(&out, " %d:%x/%x", sig + 1, a.handler, a.flags);
    }
    out += "\n";
  }
  for (const FilesStruct* f : m.files_structs) DumpFiles(*f, out);
  for (const File* f : m.files) {
    absl::StrAppendFormat(&out, "file#%d refs=%d kind=%d name=%s pid=%d\n",
                          f->serial, f->refcount, static_cast<int>(f->kind),
                          f->name, SerialOf(f->pid));
  }
  for (const FsStruct* fs : m.fs_structs) {
    absl::StrAppendFormat(&out, "fs#%d refs=%d\n", fs->serial, fs->refcount);
  }
  for (const SemUndoList* s : m.sem_undo_lists) {
    absl::StrAppendFormat(&out, "sem_undo#%d refs=%d\n", s->serial,
                          s->refcount);
  }
  for (const IoContext* io : m.io_contexts) {
    absl::StrAppendFormat(&out, "io#%d refs=%d\n", io->serial, io->refcount);
  }
  for (const Mm* mm : m.mms) {
    absl::StrAppendFormat(&out, "mm#%d refs=%d maps=", mm->serial,
                          mm->refcount);
    for (const Mapping& map : mm->memory->Mappings()) {
      absl::StrAppendFormat(&out, "[%x-%x %d]", map.start, map.end,
                            static_cast<int>(map.prot));
    }
    mm->memory->ForEachWrittenPage(
        [&out](uint64_t addr, std::span<const uint8_t> bytes) {
          absl::StrAppendFormat(&out, " %x:%016x", addr, Digest(bytes));
        });
    out += "\n";
  }
  return out;
}

}  // namespace forksim
