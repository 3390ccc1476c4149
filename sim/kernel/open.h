// -----------------------------------------------------------------------------
// File: sim/kernel/open.h
// -----------------------------------------------------------------------------
//
// Private to sim/kernel: other packages use sim/kernel/kernel.h.
//
// Files: fs/file_table.c:alloc_empty_file(), fs/anon_inodes.c and the open
// and close of fs/open.c [5.2], as far as the model has files (no paths are
// resolved: a regular file is a name).

#ifndef FORKSIM_SIM_KERNEL_OPEN_H_
#define FORKSIM_SIM_KERNEL_OPEN_H_

#include <string_view>

#include "model/errno.h"
#include "model/kernel/machine.h"
#include "model/kernel/task.h"

namespace forksim {

// AllocEmptyFile()
//
// fs/file_table.c:alloc_empty_file() [5.2] (lines 134-164): ENFILE when
// fs.file-max files exist and the caller lacks CAP_SYS_ADMIN; ENOMEM if the
// allocation fails (a fault point).
SysResult<File*> AllocEmptyFile(Machine& m, const Task* current);

// AnonInodeGetfile()
//
// fs/anon_inodes.c:anon_inode_getfile() [5.2] (lines 71-103) for a pidfd:
// a file named `name` holding a reference on `pid`, with f_flags O_RDWR (it
// keeps only O_ACCMODE and O_NONBLOCK of O_RDWR|O_CLOEXEC).
SysResult<File*> AnonInodeGetfile(Machine& m, const Task* current,
                                  std::string_view name, Pid* pid);

// OpenFile()
//
// The model's do_sys_open() (fs/open.c [5.2]): a regular file called `path`,
// O_RDWR, in the lowest free fd of `task`'s table.
SysResult<int> OpenFile(Machine& m, Task* task, std::string_view path,
                        bool cloexec);

// OpenCgroupDir()
//
// A cgroup v2 directory opened by `task` (O_RDONLY|O_DIRECTORY, or O_PATH),
// in the lowest free fd: the file holds a reference on the cgroup.
SysResult<int> OpenCgroupDir(Machine& m, Task* task, Cgroup* cgroup,
                             bool o_path);

// KsysDup()
//
// fs/file.c:ksys_dup() [5.2]: EBADF if `fd` is not open, else the lowest
// free fd below RLIMIT_NOFILE (EMFILE) gets another reference to its file.
SysResult<int> KsysDup(Machine& m, Task* task, int fd);

}  // namespace forksim

#endif  // FORKSIM_SIM_KERNEL_OPEN_H_
