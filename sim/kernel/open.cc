#include "sim/kernel/open.h"

#include <string>

#include "model/kernel/cgroup.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/pid.h"
#include "sim/kernel/core.h"
#include "sim/kernel/syscalls.h"

namespace forksim {

SysResult<File*> AllocEmptyFile(Machine& m, const Task* current) {
  if (m.files.size() >= m.sysctls.file_max &&
      !Capable(m, current->cred, kCapSysAdmin)) {
    return Errno::kENFILE;
  }
  FORKSIM_TRY(
      m.faults.Check("fs/file_table.c:alloc_empty_file()", Errno::kENOMEM));
  return m.files.Create();
}

SysResult<File*> AnonInodeGetfile(Machine& m, const Task* current,
                                  std::string_view name, Pid* pid) {
  FORKSIM_ASSIGN_OR_RETURN(File * file, AllocEmptyFile(m, current));
  file->kind = FileKind::kPidfd;
  file->name = std::string(name);
  file->f_flags = kORdwr;
  file->pid = pid;
  GetPid(pid);  // the file's reference, dropped by pidfd_release()
  return file;
}

SysResult<int> OpenFile(Machine& m, Task* task, std::string_view path,
                        bool cloexec) {
  if (task->files == nullptr) return Errno::kEMFILE;
  FORKSIM_ASSIGN_OR_RETURN(
      const int fd, GetUnusedFdFlags(m.fd_env(), *task->files,
                                     task->signal->rlim[kRlimitNofile].cur,
                                     kORdwr | (cloexec ? kOCloexec : 0)));
  SysResult<File*> file = AllocEmptyFile(m, task);
  if (!file.ok()) {
    PutUnusedFd(*task->files, fd);
    return file.error();
  }
  file.value()->name = std::string(path);
  file.value()->f_flags = kORdwr;
  FdInstall(*task->files, fd, file.value());
  return fd;
}

SysResult<int> OpenCgroupDir(Machine& m, Task* task, Cgroup* cgroup,
                             bool o_path) {
  if (task->files == nullptr) return Errno::kEMFILE;
  FORKSIM_ASSIGN_OR_RETURN(
      const int fd, GetUnusedFdFlags(m.fd_env(), *task->files,
                                     task->signal->rlim[kRlimitNofile].cur, 0));
  SysResult<File*> file = AllocEmptyFile(m, task);
  if (!file.ok()) {
    PutUnusedFd(*task->files, fd);
    return file.error();
  }
  File* f = file.value();
  f->kind = FileKind::kCgroupDir;
  f->name = "/sys/fs/cgroup" + (cgroup->path == "/" ? "" : cgroup->path);
  f->f_flags = o_path ? kOPath : (kORdonly | kODirectory);
  f->cgroup = cgroup;
  GetCgroup(cgroup);
  FdInstall(*task->files, fd, f);
  return fd;
}

SysResult<int> KsysDup(Machine& m, Task* task, int fd) {
  if (task->files == nullptr) return Errno::kEBADF;
  File* file = FdLookup(*task->files, fd);
  if (file == nullptr) return Errno::kEBADF;
  FORKSIM_ASSIGN_OR_RETURN(
      const int newfd,
      GetUnusedFdFlags(m.fd_env(), *task->files,
                       task->signal->rlim[kRlimitNofile].cur, 0));
  GetFile(file);
  FdInstall(*task->files, newfd, file);
  return newfd;
}

// fs/open.c:SYSCALL_DEFINE1(close) [5.2].
SyscallOutcome SysClose(KernelCore& k, Task* current, const DecodedSyscall& d) {
  if (current->files == nullptr) return Errno::kEBADF;
  const int fd = static_cast<int>(static_cast<uint32_t>(d.arg(0)));
  return CloseFd(k.machine().fd_env(), *current->files, fd);
}

}  // namespace forksim
