// -----------------------------------------------------------------------------
// File: sim/scenario/scenario.h
// -----------------------------------------------------------------------------
//
// Scenario files (*.scn): the parsed form. The language is described in
// docs/scenario-language.md; this header is its abstract syntax. Parsing is
// host-side: errors are absl::Status-free lists of "file:line:col: what was
// found, what was expected" messages, all of a file's errors at once.

#ifndef FORKSIM_SIM_SCENARIO_SCENARIO_H_
#define FORKSIM_SIM_SCENARIO_SCENARIO_H_

#include <cstdint>
#include <string>
#include <vector>

namespace forksim {

// An integer expression: terms joined by '+', '-' or '|'. A term is a
// number, or a name resolved when the statement runs (a mapping, a bound
// result, a task, or a constant such as CLONE_VM, SIGCHLD, WNOHANG).
struct Expr {
  struct Term {
    char op = '+';  // how it joins the value so far: '+', '-', '|'
    bool is_number = false;
    uint64_t number = 0;
    std::string name;
    int col = 0;
  };
  std::vector<Term> terms;
  std::string text;  // as written, for messages
  int col = 0;
};

// `{name = expr, ...}`: a struct literal.
struct FieldInit {
  std::string name;
  Expr value;
  int col = 0;
};

// What a syscall should return.
struct ResultSpec {
  enum Kind { kAny, kValue, kErrno, kBlocked } kind = kAny;
  Expr value;              // kValue
  std::string errno_name;  // kErrno
  int col = 0;
};

struct Statement {
  enum class Kind {
    kScenario,         // scenario "text"
    kProfiles,         // profiles 5.2-rc1 5.2
    kAbis,             // abis x86_64 ia32 i386
    kProcess,          // process NAME
    kSysctl,           // sysctl KEY = expr
    kRlimit,           // rlimit NPROC|NOFILE expr [expr]
    kCreds,            // creds uid=N gid=N caps=none|full
    kMap,              // map NAME expr expr PERM
    kProtect,          // protect expr expr PERM
    kWrite,            // write TYPE expr = value
    kOpen,             // open "path" [cloexec] [-> NAME]
    kCgroup,           // cgroup VERB /path [arg] [-> NAME]
    kSyscall,          // name(args) [= result] [-> NAME]
    kRaw,              // raw reg=expr ... [= result] [-> NAME]
    kKernelThread,     // kernel_thread expr [= result] [-> NAME]: by kthreadd
    kFailNth,          // fail_nth expr
    kSchedule,         // schedule
    kSignal,           // signal SIG to NAME
    kSigaction,        // sigaction SIG ign|dfl|handler|nocldwait
    kExpectMemory,     // expect TYPE expr == value
    kExpectFd,         // expect fd expr closed|file "x"|pidfd(NAME) [cloexec]
    kExpectTask,       // expect task NAME key=expr ...
    kExpectShares,     // expect NAME shares|separate LIST with|from NAME
    kExpectClean,      // expect clean
    kExpectSignal,     // expect signal SIG pending|not pending for NAME
    kExpectSigaction,  // expect sigaction SIG dfl|ign|handler [noflags] for
                       // NAME
    kExpectState,      // expect blocked|running|gone NAME
    kExpectFault,      // expect fault "point": what fail_nth failed
  };
  Kind kind;
  int line = 0;
  std::string source;              // the line as written, without its comment
  std::vector<std::string> only;   // [profile or ABI filter]; empty = always
  std::string actor;               // `as NAME:`; empty = the scenario's caller
  std::string name;                // syscall name, struct or int type, key...
  std::vector<std::string> words;  // profile/ABI names, share list, flags
  std::vector<Expr> args;          // positional arguments / expressions
  std::vector<FieldInit> fields;   // named arguments, struct literal, keys
  bool struct_literal = false;     // `fields` came from `{...}`
  std::string text;                // a string operand
  ResultSpec result;
  std::string bind;  // `-> NAME`
};

struct Scenario {
  std::string path;
  std::string title;
  std::vector<std::string> profiles;  // empty = {"5.2"}
  std::vector<std::string> abis;      // empty = {"x86_64"}
  std::vector<Statement> statements;
};

// ParseScenario()
//
// Parses `source` (the text of `path`). On success `errors` is empty.
Scenario ParseScenario(const std::string& path, const std::string& source,
                       std::vector<std::string>* errors);

}  // namespace forksim

#endif  // FORKSIM_SIM_SCENARIO_SCENARIO_H_
