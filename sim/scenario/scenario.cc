#include "sim/scenario/scenario.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/abi/abi.h"
#include "model/abi/layout.h"
#include "model/errno.h"
#include "sim/kernel/profile.h"

namespace forksim {
namespace {

// "5.2-rc1, 5.2-rc1+clone6, 5.2, 5.3 or 6.12", from the profile table.
std::string ProfileNames(std::string_view last_separator) {
  std::string out;
  const std::span<const KernelProfile> all = AllProfiles();
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) out += i + 1 == all.size() ? last_separator : ", ";
    out += all[i].name;
  }
  return out;
}

constexpr std::string_view kMemoryTypes[] = {"u8", "u16", "u32", "u64", "s32"};
constexpr std::string_view kShareable[] = {
    "mm",      "files",   "fs",    "sighand", "signal", "cred",
    "nsproxy", "sysvsem", "io",    "mnt",     "uts",    "ipc",
    "net",     "cgroup",  "pidns", "userns",  "time",   "time_for_children"};
constexpr std::string_view kSysctls[] = {
    "kernel.pid_max",
    "kernel.threads-max",
    "kernel.ns_last_pid",
    "fs.nr_open",
    "fs.file-max",
    "user.max_user_namespaces",
    "user.max_pid_namespaces",
    "user.max_uts_namespaces",
    "user.max_ipc_namespaces",
    "user.max_net_namespaces",
    "user.max_mnt_namespaces",
    "user.max_cgroup_namespaces",
    "user.max_time_namespaces",
};
constexpr std::string_view kTaskKeys[] = {"parent", "tgid",      "exit_signal",
                                          "state",  "exit_code", "leader",
                                          "pid",    "cgroup"};
// `cgroup VERB /path ...`: the hierarchy's set-up (docs/scenario-language.md).
constexpr std::string_view kCgroupVerbs[] = {
    "create", "remove", "enable", "threaded", "owner", "move", "open"};

template <size_t N>
bool OneOf(std::string_view word, const std::string_view (&set)[N]) {
  for (std::string_view s : set) {
    if (s == word) return true;
  }
  return false;
}

template <size_t N>
std::string List(const std::string_view (&set)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += set[i];
  }
  return out;
}

bool IsMemoryType(std::string_view word) {
  return OneOf(word, kMemoryTypes) || StructFromName(word).has_value();
}

bool IsKnownSyscall(std::string_view name) {
  for (Abi abi : kAllAbis) {
    for (const SyscallSignature& sig : AbiInfoFor(abi).syscalls) {
      if (sig.name == name) return true;
    }
  }
  return false;
}

// "close, getpid, clone, ...": every name of the tables, each once.
std::string KnownSyscallNames() {
  std::vector<std::string> names;
  for (Abi abi : kAllAbis) {
    for (const SyscallSignature& sig : AbiInfoFor(abi).syscalls) {
      if (std::find(names.begin(), names.end(), sig.name) == names.end()) {
        names.push_back(std::string(sig.name));
      }
    }
  }
  return absl::StrJoin(names, ", ");
}

// A parse failure; the message is already recorded.
struct ParseError {};

// Reads one line, left to right, with columns for messages.
class Cursor {
 public:
  Cursor(std::string_view line, int lineno, const std::string& path,
         std::vector<std::string>* errors)
      : line_(line), lineno_(lineno), path_(&path), errors_(errors) {}

  // The column of the next token (1-based).
  int col() {
    SkipSpace();
    return static_cast<int>(pos_) + 1;
  }

  void SkipSpace() {
    while (pos_ < line_.size() &&
           std::isspace(static_cast<unsigned char>(line_[pos_]))) {
      ++pos_;
    }
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= line_.size();
  }
  char Peek() {
    SkipSpace();
    return pos_ < line_.size() ? line_[pos_] : '\0';
  }
  bool PeekIs(std::string_view s) {
    SkipSpace();
    return line_.substr(pos_, s.size()) == s;
  }
  bool Accept(std::string_view s) {
    if (!PeekIs(s)) return false;
    pos_ += s.size();
    return true;
  }
  // An identifier: [A-Za-z_][A-Za-z0-9_]*.
  bool PeekIdent() {
    const char c = Peek();
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
  }
  std::string Ident(std::string_view what) {
    if (!PeekIdent()) Fail(absl::StrFormat("expected %s", what));
    const size_t start = pos_;
    while (pos_ < line_.size() &&
           (std::isalnum(static_cast<unsigned char>(line_[pos_])) ||
            line_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(line_.substr(start, pos_ - start));
  }
  // A run of non-space characters other than the given stops.
  std::string Word(std::string_view what, std::string_view stops = "") {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < line_.size() &&
           !std::isspace(static_cast<unsigned char>(line_[pos_])) &&
           stops.find(line_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) Fail(absl::StrFormat("expected %s", what));
    return std::string(line_.substr(start, pos_ - start));
  }
  std::string String(std::string_view what) {
    if (Peek() != '"')
      Fail(absl::StrFormat("expected %s in double quotes", what));
    const size_t start = ++pos_;
    while (pos_ < line_.size() && line_[pos_] != '"') ++pos_;
    if (pos_ >= line_.size()) {
      pos_ = start - 1;
      Fail("expected a closing '\"'");
    }
    return std::string(line_.substr(start, pos_++ - start));
  }
  void Expect(std::string_view s, std::string_view what) {
    if (!Accept(s)) Fail(absl::StrFormat("expected %s", what));
  }

  // Records "file:line:col: found X, expected ..." and unwinds the line.
  [[noreturn]] void Fail(std::string_view expected) { FailAt(col(), expected); }
  [[noreturn]] void FailAt(int col, std::string_view expected) {
    SkipSpace();
    std::string found = "the end of the line";
    const size_t at = static_cast<size_t>(col - 1);
    if (at < line_.size()) {
      size_t end = at;
      while (end < line_.size() &&
             !std::isspace(static_cast<unsigned char>(line_[end])) &&
             end - at < 24) {
        ++end;
      }
      found = absl::StrFormat("'%s'",
                              line_.substr(at, std::max<size_t>(end - at, 1)));
    }
    errors_->push_back(absl::StrFormat("%s:%d:%d: found %s, %s", *path_,
                                       lineno_, col, found, expected));
    throw ParseError{};
  }

  Expr ParseExpr(std::string_view what) {
    Expr expr;
    expr.col = col();
    const size_t start = pos_;
    char op = '+';
    for (;;) {
      SkipSpace();
      Expr::Term term;
      term.op = op;
      term.col = col();
      bool negative = false;
      if (Peek() == '-') {
        negative = true;
        ++pos_;
      }
      if (std::isdigit(static_cast<unsigned char>(Peek()))) {
        term.is_number = true;
        term.number = Number(what);
        if (negative) term.number = ~term.number + 1;
      } else if (PeekIdent() && !negative) {
        term.name = Ident(what);
        // pid@LEVEL style suffixes are not expressions; nothing to do.
      } else {
        Fail(absl::StrFormat("expected %s", what));
      }
      expr.terms.push_back(std::move(term));
      SkipSpace();
      const char next = pos_ < line_.size() ? line_[pos_] : '\0';
      if (next == '+' || next == '|' ||
          (next == '-' &&
           !(pos_ + 1 < line_.size() && line_[pos_ + 1] == '>'))) {
        op = next;
        ++pos_;
        continue;
      }
      break;
    }
    expr.text = std::string(line_.substr(start, pos_ - start));
    while (!expr.text.empty() &&
           std::isspace(static_cast<unsigned char>(expr.text.front()))) {
      expr.text.erase(expr.text.begin());
    }
    return expr;
  }

  uint64_t Number(std::string_view what) {
    SkipSpace();
    const size_t start = pos_;
    uint64_t value = 0;
    if (line_.substr(pos_, 2) == "0x" || line_.substr(pos_, 2) == "0X") {
      pos_ += 2;
      const size_t digits = pos_;
      while (pos_ < line_.size() &&
             std::isxdigit(static_cast<unsigned char>(line_[pos_]))) {
        const char c = static_cast<char>(std::tolower(line_[pos_]));
        value = value * 16 +
                static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
        ++pos_;
      }
      if (pos_ == digits || pos_ - digits > 16) {
        pos_ = start;
        Fail(absl::StrFormat("expected %s (a hex number of 1 to 16 digits)",
                             what));
      }
    } else {
      while (pos_ < line_.size() &&
             std::isdigit(static_cast<unsigned char>(line_[pos_]))) {
        value = value * 10 + static_cast<uint64_t>(line_[pos_] - '0');
        ++pos_;
      }
    }
    if (pos_ < line_.size() &&
        (std::isalpha(static_cast<unsigned char>(line_[pos_])) ||
         line_[pos_] == '_')) {
      pos_ = start;
      Fail(absl::StrFormat("expected %s", what));
    }
    return value;
  }

 private:
  std::string_view line_;
  size_t pos_ = 0;
  int lineno_;
  const std::string* path_;
  std::vector<std::string>* errors_;
};

// A line's parse stops at its first error by throwing ParseError from
// Cursor::Fail(); ParseLine() catches it, so the exception never leaves this
// file, and the next line is parsed so that every error is reported.
class Parser {
 public:
  Parser(const std::string& path, std::vector<std::string>* errors)
      : path_(path), errors_(errors) {}

  void ParseLine(Scenario& scenario, std::string_view line, int lineno) {
    Cursor c(line, lineno, path_, errors_);
    if (c.AtEnd()) return;
    try {
      Statement st;
      st.line = lineno;
      st.source = std::string(line);
      while (!st.source.empty() &&
             std::isspace(static_cast<unsigned char>(st.source.back()))) {
        st.source.pop_back();
      }
      while (!st.source.empty() &&
             std::isspace(static_cast<unsigned char>(st.source.front()))) {
        st.source.erase(st.source.begin());
      }
      if (c.Accept("[")) {
        while (!c.Accept("]")) {
          const int col = c.col();
          std::string word = c.Word("a profile or ABI name, or ']'", "]");
          if (!ProfileFromName(word) && !AbiFromName(word)) {
            c.FailAt(col, "expected a profile (" + ProfileNames(", ") +
                              ") or an ABI (x86_64, ia32, i386)");
          }
          st.only.push_back(std::move(word));
        }
      }
      if (c.PeekIs("as ")) {
        c.Accept("as");
        st.actor = c.Ident("a task name after 'as'");
        c.Expect(":", "':' after the task name");
      }
      ParseStatement(c, st, scenario);
      if (!c.AtEnd()) c.Fail("expected the end of the statement");
      scenario.statements.push_back(std::move(st));
    } catch (const ParseError&) {
      // Recorded; go on with the next line so every error is reported.
    }
  }

 private:
  void ParseStatement(Cursor& c, Statement& st, Scenario& scenario) {
    const int col = c.col();
    if (!c.PeekIdent())
      c.Fail("expected a statement (a syscall, expect, map, ...)");
    const std::string word = c.Ident("a statement");
    using K = Statement::Kind;
    if (word == "scenario") {
      st.kind = K::kScenario;
      st.text = c.String("the scenario's title");
      scenario.title = st.text;
    } else if (word == "profiles" || word == "abis") {
      st.kind = word == "profiles" ? K::kProfiles : K::kAbis;
      do {
        const int wcol = c.col();
        std::string name = c.Word(word == "profiles" ? "a profile" : "an ABI");
        if (word == "profiles" && !ProfileFromName(name)) {
          c.FailAt(wcol, "expected a profile: " + ProfileNames(" or "));
        }
        if (word == "abis" && !AbiFromName(name)) {
          c.FailAt(wcol, "expected an ABI: x86_64, ia32 or i386");
        }
        st.words.push_back(name);
      } while (!c.AtEnd());
      (word == "profiles" ? scenario.profiles : scenario.abis) = st.words;
    } else if (word == "process") {
      st.kind = K::kProcess;
      st.name = c.Ident("a name for the process");
    } else if (word == "sysctl") {
      st.kind = K::kSysctl;
      const int kcol = c.col();
      st.name = c.Word("a sysctl name", "=");
      if (!OneOf(st.name, kSysctls)) {
        c.FailAt(kcol, absl::StrFormat("expected one of %s", List(kSysctls)));
      }
      c.Expect("=", "'=' after the sysctl name");
      st.args.push_back(c.ParseExpr("a value"));
    } else if (word == "rlimit") {
      st.kind = K::kRlimit;
      const int rcol = c.col();
      st.name = c.Ident("NPROC or NOFILE");
      if (st.name != "NPROC" && st.name != "NOFILE")
        c.FailAt(rcol, "expected NPROC or NOFILE");
      st.args.push_back(c.ParseExpr("the soft limit"));
      if (!c.AtEnd() && c.Peek() != '#')
        st.args.push_back(c.ParseExpr("the hard limit"));
    } else if (word == "creds") {
      st.kind = K::kCreds;
      do {
        const int kcol = c.col();
        FieldInit f;
        f.col = kcol;
        f.name = c.Ident("uid, gid or caps");
        if (f.name != "uid" && f.name != "gid" && f.name != "caps") {
          c.FailAt(kcol, "expected uid, gid or caps");
        }
        c.Expect("=", "'='");
        f.value = c.ParseExpr("a value (caps: none, full or a mask)");
        st.fields.push_back(std::move(f));
      } while (!c.AtEnd());
    } else if (word == "map" || word == "protect") {
      st.kind = word == "map" ? K::kMap : K::kProtect;
      if (word == "map") st.name = c.Ident("a name for the mapping");
      st.args.push_back(c.ParseExpr("an address"));
      st.args.push_back(c.ParseExpr("a length"));
      const int pcol = c.col();
      st.text = c.Word("a permission: r, rw or none");
      if (st.text != "r" && st.text != "rw" && st.text != "none") {
        c.FailAt(pcol, "expected a permission: r, rw or none");
      }
    } else if (word == "write") {
      st.kind = K::kWrite;
      ParseTypedValue(c, st, "=");
    } else if (word == "open") {
      st.kind = K::kOpen;
      st.text = c.String("a file name");
      if (c.PeekIs("cloexec")) {
        c.Accept("cloexec");
        st.words.push_back("cloexec");
      }
      ParseBind(c, st);
    } else if (word == "cgroup") {
      st.kind = K::kCgroup;
      const int vcol = c.col();
      st.name = c.Ident("a cgroup verb");
      if (!OneOf(st.name, kCgroupVerbs)) {
        c.FailAt(vcol, absl::StrFormat("expected a cgroup verb: %s",
                                       List(kCgroupVerbs)));
      }
      const int pcol = c.col();
      st.text = c.Word("a cgroup path such as /a/b");
      if (st.text.empty() || st.text.front() != '/') {
        c.FailAt(pcol, "expected a cgroup path such as /a/b");
      }
      if (st.name == "enable") {
        st.words.push_back(
            c.Ident("a controller (memory, pids, hugetlb, ...)"));
      } else if (st.name == "owner") {
        st.args.push_back(c.ParseExpr("a uid"));
      } else if (st.name == "open") {
        if (c.PeekIs("path")) {
          c.Accept("path");
          st.words.push_back("path");
        }
        ParseBind(c, st);
      }
    } else if (word == "kernel_thread") {
      st.kind = K::kKernelThread;
      st.args.push_back(c.ParseExpr("clone flags"));
      ParseResult(c, st);
    } else if (word == "fail_nth") {
      st.kind = K::kFailNth;
      st.args.push_back(c.ParseExpr("the number of the failure point to fail"));
    } else if (word == "schedule") {
      st.kind = K::kSchedule;
    } else if (word == "signal") {
      st.kind = K::kSignal;
      st.args.push_back(c.ParseExpr("a signal"));
      c.Expect("to", "'to'");
      st.name = c.Ident("a task name");
    } else if (word == "sigaction") {
      st.kind = K::kSigaction;
      st.args.push_back(c.ParseExpr("a signal"));
      const int acol = c.col();
      st.name = c.Ident("ign, dfl, handler or nocldwait");
      if (st.name != "ign" && st.name != "dfl" && st.name != "handler" &&
          st.name != "nocldwait") {
        c.FailAt(acol, "expected ign, dfl, handler or nocldwait");
      }
    } else if (word == "raw") {
      st.kind = K::kRaw;
      do {
        FieldInit f;
        f.col = c.col();
        f.name = c.Ident("a register name (rax, rdi, ... or eax, ebx, ...)");
        c.Expect("=", "'=' after the register");
        f.value = c.ParseExpr("a value");
        st.fields.push_back(std::move(f));
      } while (c.PeekIdent());
      ParseResult(c, st);
    } else if (word == "expect") {
      ParseExpect(c, st);
    } else if (c.Peek() == '(') {
      if (!IsKnownSyscall(word)) {
        c.FailAt(col, "expected a syscall forksim knows (" +
                          KnownSyscallNames() + ")");
      }
      st.kind = K::kSyscall;
      st.name = word;
      c.Expect("(", "'('");
      if (!c.Accept(")")) {
        do {
          ParseArg(c, st);
        } while (c.Accept(","));
        c.Expect(")", "',' or ')'");
      }
      ParseResult(c, st);
    } else {
      c.FailAt(col,
               "expected a statement: a syscall such as fork(), expect, "
               "map, write, sysctl, rlimit, creds, process, open, raw, "
               "fail_nth, schedule, signal, sigaction, scenario, profiles "
               "or abis");
    }
  }

  void ParseArg(Cursor& c, Statement& st) {
    // `name = expr` (named) or `expr` (positional, in the ABI's order).
    if (c.PeekIdent()) {
      Cursor probe = c;
      const int col = probe.col();
      std::string name = probe.Ident("an argument");
      if (probe.PeekIs("=") && !probe.PeekIs("==")) {
        probe.Accept("=");
        c = probe;
        FieldInit f;
        f.col = col;
        f.name = std::move(name);
        f.value = c.ParseExpr("a value");
        st.fields.push_back(std::move(f));
        return;
      }
    }
    if (!st.fields.empty())
      c.Fail("expected a named argument (positional ones come first)");
    st.args.push_back(c.ParseExpr("an argument"));
  }

  void ParseResult(Cursor& c, Statement& st) {
    if (c.PeekIs("=") && !c.PeekIs("==")) {
      c.Accept("=");
      st.result.col = c.col();
      if (c.Accept("?")) {
        st.result.kind = ResultSpec::kAny;
      } else if (c.PeekIs("blocked")) {
        c.Accept("blocked");
        st.result.kind = ResultSpec::kBlocked;
      } else if (c.PeekIs("-1 E") || c.PeekIs("-1\tE")) {
        c.Accept("-1");
        const int ecol = c.col();
        st.result.kind = ResultSpec::kErrno;
        st.result.errno_name = c.Ident("an errno name");
        Errno e;
        if (!ErrnoFromName(st.result.errno_name, &e)) {
          c.FailAt(ecol,
                   "expected an errno name such as EINVAL, EFAULT or EAGAIN");
        }
      } else {
        st.result.kind = ResultSpec::kValue;
        st.result.value =
            c.ParseExpr("a result: a value, '-1 ERRNO', '?' or 'blocked'");
      }
    }
    ParseBind(c, st);
  }

  void ParseBind(Cursor& c, Statement& st) {
    if (c.Accept("->")) st.bind = c.Ident("a name to bind the result to");
  }

  // TYPE expr OP value, for `write` (OP '=') and `expect` (OP '==').
  // TYPE expr OP value, for `write` (OP '=') and `expect` (OP '=='); the
  // type has been read into st.name when `type_read` is set.
  void ParseTypedValue(Cursor& c, Statement& st, std::string_view op,
                       bool type_read = false) {
    if (!type_read) {
      const int tcol = c.col();
      st.name = c.Ident("a type (u8, u16, u32, u64, s32 or a struct name)");
      if (!IsMemoryType(st.name)) {
        c.FailAt(tcol,
                 "expected a type: u8, u16, u32, u64, s32, clone6_args, "
                 "clone6_args_naive, clone_args, clone_args_ver0, "
                 "clone_args_ver1 or user_desc");
      }
    }
    st.args.push_back(c.ParseExpr("an address"));
    c.Expect(op, absl::StrFormat("'%s'", op));
    if (!c.Accept("{")) {
      if (StructFromName(st.name)) {
        c.Fail("expected a struct literal '{field = value, ...}'");
      }
      st.args.push_back(c.ParseExpr("a value"));
      return;
    }
    if (!StructFromName(st.name))
      c.Fail("expected a number for an integer type");
    st.struct_literal = true;
    if (c.Accept("}")) return;
    do {
      FieldInit f;
      f.col = c.col();
      f.name = c.Ident("a field name");
      c.Expect("=", "'=' after the field name");
      f.value = c.ParseExpr("a value");
      st.fields.push_back(std::move(f));
    } while (c.Accept(","));
    c.Expect("}", "',' or '}'");
  }

  void ParseExpect(Cursor& c, Statement& st) {
    using K = Statement::Kind;
    const int col = c.col();
    const std::string what = c.Ident("what to expect");
    if (what == "clean") {
      st.kind = K::kExpectClean;
    } else if (what == "fd") {
      st.kind = K::kExpectFd;
      st.args.push_back(c.ParseExpr("an fd number"));
      const int kcol = c.col();
      st.name = c.Ident("closed, file or pidfd");
      if (st.name == "file") {
        st.text = c.String("a file name");
      } else if (st.name == "pidfd") {
        c.Expect("(", "'(' after pidfd");
        st.text = c.Word("a task name or pid", ")");
        c.Expect(")", "')'");
      } else if (st.name != "closed") {
        c.FailAt(kcol, "expected closed, file \"name\" or pidfd(task)");
      }
      while (c.PeekIdent()) {
        const int fcol = c.col();
        std::string flag = c.Ident("cloexec, nocloexec, thread or nothread");
        if (flag != "cloexec" && flag != "nocloexec" && flag != "thread" &&
            flag != "nothread") {
          c.FailAt(fcol, "expected cloexec, nocloexec, thread or nothread");
        }
        st.words.push_back(flag);
      }
    } else if (what == "task") {
      st.kind = K::kExpectTask;
      st.text = c.Ident("a task name");
      while (c.PeekIdent()) {
        FieldInit f;
        f.col = c.col();
        f.name = c.Ident("a property");
        if (!OneOf(f.name, kTaskKeys)) {
          c.FailAt(f.col, absl::StrFormat("expected a task property: %s",
                                          List(kTaskKeys)));
        }
        if (c.Accept("@"))
          f.name += "@" + std::to_string(c.Number("a namespace level"));
        c.Expect("=", "'=' after the property");
        if (f.name == "cgroup") {  // a path, not an expression
          f.value.col = c.col();
          f.value.text = c.Word("a cgroup path such as /a/b");
          if (f.value.text.empty() || f.value.text.front() != '/') {
            c.FailAt(f.value.col, "expected a cgroup path such as /a/b");
          }
        } else {
          f.value = c.ParseExpr("a value");
        }
        st.fields.push_back(std::move(f));
      }
      if (st.fields.empty())
        c.Fail("expected at least one property (parent=, tgid=, ...)");
    } else if (what == "sigaction") {
      st.kind = K::kExpectSigaction;
      st.args.push_back(c.ParseExpr("a signal"));
      const int dcol = c.col();
      st.name = c.Ident("dfl, ign or handler");
      if (st.name != "dfl" && st.name != "ign" && st.name != "handler") {
        c.FailAt(dcol, "expected dfl, ign or handler");
      }
      if (c.PeekIs("noflags")) {
        c.Accept("noflags");
        st.words.push_back("noflags");
      }
      c.Expect("for", "'for'");
      st.text = c.Ident("a task name");
    } else if (what == "signal") {
      st.kind = K::kExpectSignal;
      st.args.push_back(c.ParseExpr("a signal"));
      if (c.PeekIs("not")) {
        c.Accept("not");
        st.words.push_back("not");
      }
      c.Expect("pending", "'pending'");
      c.Expect("for", "'for'");
      st.text = c.Ident("a task name");
    } else if (what == "fault") {
      st.kind = K::kExpectFault;
      st.text = c.String("the failure point, as fault injection names it");
    } else if (what == "blocked" || what == "running" || what == "gone") {
      st.kind = K::kExpectState;
      st.name = what;
      st.text = c.Ident("a task name");
    } else if (IsMemoryType(what)) {
      st.kind = K::kExpectMemory;
      st.name = what;
      ParseTypedValue(c, st, "==", /*type_read=*/true);
    } else if (c.PeekIs("shares") || c.PeekIs("separate")) {
      st.kind = K::kExpectShares;
      st.text = what;
      st.name = c.Ident("shares or separate");
      do {
        const int scol = c.col();
        std::string thing = c.Ident("what is shared");
        if (!OneOf(thing, kShareable)) {
          c.FailAt(scol,
                   absl::StrFormat("expected one of %s", List(kShareable)));
        }
        st.words.push_back(thing);
      } while (c.Accept(","));
      c.Expect(st.name == "shares" ? "with" : "from",
               st.name == "shares" ? "'with'" : "'from'");
      st.bind = c.Word("a task name or pid");
    } else {
      c.FailAt(
          col,
          "expected clean, fd, task, signal, sigaction, fault, blocked, "
          "running, a memory type, or 'NAME shares|separate LIST with|from "
          "NAME'");
    }
  }

  const std::string& path_;
  std::vector<std::string>* errors_;
};

}  // namespace

Scenario ParseScenario(const std::string& path, const std::string& source,
                       std::vector<std::string>* errors) {
  Scenario scenario;
  scenario.path = path;
  Parser parser(path, errors);
  int lineno = 0;
  size_t start = 0;
  while (start <= source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string::npos) end = source.size();
    ++lineno;
    std::string_view line(source.data() + start, end - start);
    // A comment runs from '#' to the end of the line, outside strings.
    bool in_string = false;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '"') in_string = !in_string;
      if (line[i] == '#' && !in_string) {
        line = line.substr(0, i);
        break;
      }
    }
    parser.ParseLine(scenario, line, lineno);
    if (end == source.size()) break;
    start = end + 1;
  }
  return scenario;
}

}  // namespace forksim
