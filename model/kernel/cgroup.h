// -----------------------------------------------------------------------------
// File: model/kernel/cgroup.h
// -----------------------------------------------------------------------------
//
// The cgroup v2 (default) hierarchy, as far as fork and CLONE_INTO_CGROUP
// see it: kernel/cgroup/cgroup.c [6.12]. A task is in one cgroup of it (its
// css_set's dfl_cgrp); a child starts in its parent's, or in the cgroup
// clone3's CLONE_INTO_CGROUP names by a directory fd. Controllers are names
// in subtree_control (only which are on matters here: the no-internal-
// processes rule and thread roots); nothing is charged or limited. cgroup v1
// hierarchies, the freezer, cgroup.kill, delegation (nsdelegate) and the
// controllers' own accounting are not modelled.

#ifndef FORKSIM_MODEL_KERNEL_CGROUP_H_
#define FORKSIM_MODEL_KERNEL_CGROUP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/errno.h"
#include "model/kernel/object.h"

namespace forksim {

class Machine;
struct Cred;
struct Task;

// struct cgroup. refcount holders: the tasks in it (from cgroup_post_fork()
// to the task's free), open directory files, each child (on its parent), and
// the hierarchy itself while it is online (rmdir drops that one).
struct Cgroup : KObject {
  std::string path;                          // "/", "/a", "/a/b"
  Cgroup* parent = nullptr;                  // holds a reference
  std::vector<Cgroup*> children;             // the online ones, in mkdir order
  bool online = true;                        // CSS_ONLINE: cleared by rmdir
  bool threaded = false;                     // cgroup.type is "threaded"
  std::vector<std::string> subtree_control;  // enabled controllers
  uint32_t procs_uid = 0;  // owner of cgroup.procs (mode 0644)
  // Tasks linked to it: from cgroup_post_fork() to cgroup_exit().
  int64_t nr_tasks = 0;
};

// The controllers cgroup v2 knows, and which of them are threaded
// (kernel/cgroup/*.c: .threaded = true for cpu, cpuset, perf_event, pids).
bool IsCgroupController(std::string_view name);
bool IsThreadedController(std::string_view name);

// --- host side: the hierarchy as a scenario sets it up ---

// mkdir: the parent must exist; the name must be new.
absl::StatusOr<Cgroup*> CgroupMkdir(Machine& m, std::string_view path);
// rmdir: EBUSY-like failures (populated, has children) are host errors here.
absl::Status CgroupRmdir(Machine& m, std::string_view path);
// The online cgroup at `path`, or nullptr.
Cgroup* CgroupLookup(const Machine& m, std::string_view path);
// Moves `task`'s whole thread group into `cgroup` (a write to
// cgroup.procs, without its permission checks).
void CgroupAttach(Machine& m, Task* task, Cgroup* cgroup);

void GetCgroup(Cgroup* cgroup);
void PutCgroup(Machine& m, Cgroup* cgroup);

// --- the rules cgroup_css_set_fork() applies ---

// A live (not yet exited) task in it or below.
bool CgroupIsPopulated(const Cgroup* cgroup);
// cgroup->dom_cgrp: itself, or for a threaded cgroup its thread root.
const Cgroup* CgroupDomain(const Cgroup* cgroup);
// cgroup_is_valid_domain() (kernel/cgroup/cgroup.c:421-438 [6.12]).
bool CgroupIsValidDomain(const Cgroup* cgroup);
// cgroup_can_be_thread_root() (:377-395).
bool CgroupCanBeThreadRoot(const Cgroup* cgroup);
// The nearest cgroup that is `a` or `b` or an ancestor of both.
const Cgroup* CgroupCommonAncestor(const Cgroup* a, const Cgroup* b);
// cgroup_may_write() (:5122-5136): write permission on cgroup.procs with
// `cred`: its owner, or CAP_DAC_OVERRIDE.
bool CgroupMayWrite(const Machine& m, const Cgroup* cgroup, const Cred* cred);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_CGROUP_H_
