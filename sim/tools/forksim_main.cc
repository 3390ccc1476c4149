// -----------------------------------------------------------------------------
// File: sim/tools/forksim_main.cc
// -----------------------------------------------------------------------------
//
// The forksim CLI: `forksim SUBCOMMAND [--flags] [ARGS]`. Each subcommand
// accepts only its own flags and has its own --help. Output never depends on
// the host: no time, no addresses, no host pids.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/abi/abi.h"
#include "model/abi/layout.h"
#include "sim/hostcheck/hostcheck.h"
#include "sim/kernel/profile.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/tools/explain.h"
#include "sim/tools/graph.h"
#include "sim/tools/hostcheck_report.h"
#include "sim/tools/json.h"
#include "sim/tools/layout_report.h"
#include "sim/tools/profile_report.h"

ABSL_FLAG(std::string, abi, "",
          "ABI to report: x86_64, ia32 or i386 (default: all three; "
          "hostcheck: x86_64, ia32 or both, the default)");
ABSL_FLAG(std::string, format, "text",
          "Output format: text or json (trace: strace or json)");
ABSL_FLAG(std::string, profile, "",
          "Kernel profile: 5.2-rc1, 5.2-rc1+clone6, 5.2, 5.3 or 6.12 (default: "
          "the scenario's first; hostcheck: auto, the newest profile not "
          "newer than the host)");
ABSL_FLAG(std::string, diff_profiles, "",
          "Two or more profiles, A,B[,C...]: explain under each and show how "
          "each differs from the one before");
ABSL_FLAG(std::string, syscall, "",
          "Statements to explain instead of a FILE, written as in a scenario "
          "and separated by ';' (a 64 KiB buffer 'buf' is mapped at 0x10000)");
ABSL_FLAG(int, at, 0, "Stop after the statement on this line");
ABSL_FLAG(bool, behaviours, false,
          "Print where the profiles differ, one behaviour a row");
ABSL_FLAG(bool, check_determinism, false,
          "Run each scenario twice and compare the full event streams");
ABSL_FLAG(std::string, family, "all",
          "hostcheck: clone, clone3, fork (fork and vfork) or all; a comma "
          "list selects several");
// Strings, parsed here: absl's own refusal of a bad number exits with 1.
ABSL_FLAG(std::string, cases, "20000",
          "hostcheck: cases per ABI (1 to 10000000)");
ABSL_FLAG(std::string, seed, "1", "hostcheck: the corpus's seed (0 to 2^64-1)");
ABSL_FLAG(bool, differences, false,
          "hostcheck: print the table of known differences between kernel "
          "versions (Markdown) and exit");
ABSL_FLAG(std::string, shard, "0/1",
          "hostcheck: K/N runs every N-th case of the corpus from the K-th");

namespace forksim {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

// argv[0]: hostcheck finds its executors next to the binary.
std::string& Argv0() {
  static auto* argv0 = new std::string;
  return *argv0;
}

struct Subcommand {
  std::string_view name;
  std::string_view args;     // positional arguments, for the usage line
  std::string_view summary;  // one paragraph
  std::vector<std::string_view> flags;
  int (*run)(const std::vector<std::string>& positional);
};

int Usage(std::string_view message) {
  std::cerr << "forksim: " << message << "\n"
            << "Run 'forksim --help' for the list of commands.\n";
  return kExitUsage;
}

// The ABIs selected by --abi, or all of them.
bool SelectedAbis(std::vector<Abi>* out) {
  const std::string name = absl::GetFlag(FLAGS_abi);
  if (name.empty()) {
    out->assign(kAllAbis.begin(), kAllAbis.end());
    return true;
  }
  std::optional<Abi> abi = AbiFromName(name);
  if (!abi) return false;
  out->push_back(*abi);
  return true;
}

int RunLayout(const std::vector<std::string>& positional) {
  std::vector<Abi> abis;
  if (!SelectedAbis(&abis)) {
    return Usage(
        absl::StrFormat("--abi=%s: unknown ABI, expected x86_64, ia32 or i386",
                        absl::GetFlag(FLAGS_abi)));
  }
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "json") {
    return Usage(absl::StrFormat("--format=%s: expected text or json", format));
  }
  std::vector<StructId> structs;
  if (positional.size() > 1) return Usage("layout takes at most one STRUCT");
  if (positional.empty()) {
    structs.assign(AllStructs().begin(), AllStructs().end());
  } else if (std::optional<StructId> id = StructFromName(positional[0])) {
    structs.push_back(*id);
  } else {
    std::vector<std::string> names;
    for (StructId s : AllStructs()) {
      names.emplace_back(LayoutFor(s, Abi::kX86_64).name);
    }
    return Usage(absl::StrFormat("unknown struct '%s', expected one of: %s",
                                 positional[0], absl::StrJoin(names, ", ")));
  }
  bool first = true;
  for (StructId id : structs) {
    for (Abi abi : abis) {
      const StructLayout& layout = LayoutFor(id, abi);
      if (format == "json") {
        std::cout << LayoutJson(layout, abi) << "\n";
      } else {
        if (!first) std::cout << "\n";
        std::cout << LayoutText(layout, abi);
      }
      first = false;
    }
  }
  return kExitOk;
}

// The scenario files named by the arguments: files as given, directories
// searched recursively for *.scn, each list sorted so the order is stable.
bool CollectScenarios(const std::vector<std::string>& paths,
                      std::vector<std::string>* files) {
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      std::cerr << "forksim: " << path << ": no such file or directory\n";
      return false;
    }
    if (!std::filesystem::is_directory(path, ec)) {
      files->push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(path)) {
      if (entry.is_regular_file() && entry.path().extension() == ".scn") {
        found.push_back(entry.path().lexically_normal().string());
      }
    }
    std::sort(found.begin(), found.end());
    files->insert(files->end(), found.begin(), found.end());
  }
  return true;
}

// Reads and parses one file; prints every error and returns false on any.
bool LoadScenario(const std::string& path, Scenario* scenario) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot read the file\n";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> errors;
  *scenario = ParseScenario(path, text.str(), &errors);
  for (const std::string& error : errors) std::cerr << error << "\n";
  return errors.empty();
}

int RunScenarios(const std::vector<std::string>& positional) {
  if (positional.empty()) return Usage("run needs at least one FILE or DIR");
  std::vector<std::string> files;
  if (!CollectScenarios(positional, &files)) return kExitUsage;
  const bool check = absl::GetFlag(FLAGS_check_determinism);
  const bool progress = isatty(STDERR_FILENO) && files.size() > 1;
  int passed = 0, failed = 0;
  bool syntax_errors = false;
  for (size_t i = 0; i < files.size(); ++i) {
    if (progress) {
      std::cerr << absl::StrFormat("\r\033[K[%d/%d] %s", i + 1, files.size(),
                                   files[i])
                << std::flush;
    }
    Scenario scenario;
    if (!LoadScenario(files[i], &scenario)) {
      syntax_errors = true;
      continue;
    }
    for (RunResult& r : RunScenarioAll(scenario)) {
      if (check && r.passed) {
        // Run it again: the whole event stream must be the same.
        RunResult again = RunScenario(scenario, **ProfileFromName(r.profile),
                                      *AbiFromName(r.abi));
        if (again.fingerprint != r.fingerprint || again.trace != r.trace) {
          r.passed = false;
          r.failure = absl::StrFormat(
              "%s: not deterministic: two runs gave fingerprints %s and %s\n",
              files[i], r.fingerprint, again.fingerprint);
        }
      }
      if (progress) std::cerr << "\r\033[K" << std::flush;
      std::cout << absl::StrFormat("%s  %s  [%s %s]\n",
                                   r.passed ? "PASS" : "FAIL", files[i],
                                   r.profile, r.abi);
      if (r.passed) {
        ++passed;
        continue;
      }
      ++failed;
      std::cout << "  " << r.failure;
      std::cout << "  trace up to there:\n";
      for (const std::string& line : r.trace)
        std::cout << "    " << line << "\n";
    }
  }
  if (progress) std::cerr << "\r\033[K" << std::flush;
  std::cout << absl::StrFormat(
      "%d scenario run(s): %d passed, %d failed%s\n", passed + failed, passed,
      failed, syntax_errors ? " (and files with errors, above)" : "");
  if (syntax_errors) return kExitUsage;
  return failed == 0 ? kExitOk : 1;
}

int TraceScenario(const std::vector<std::string>& positional) {
  if (positional.size() != 1) return Usage("trace takes one FILE");
  std::string format = absl::GetFlag(FLAGS_format);
  if (format == "text") format = "strace";
  if (format != "strace" && format != "json") {
    return Usage(
        absl::StrFormat("--format=%s: expected strace or json", format));
  }
  Scenario scenario;
  if (!LoadScenario(positional[0], &scenario)) return kExitUsage;
  bool all_passed = true;
  for (const RunResult& r : RunScenarioAll(scenario)) {
    all_passed = all_passed && r.passed;
    if (format == "strace") {
      std::cout << absl::StrFormat("# %s [%s %s]\n", positional[0], r.profile,
                                   r.abi);
      for (const std::string& line : r.trace) std::cout << line << "\n";
      if (!r.passed) std::cout << "# FAIL " << r.failure;
      continue;
    }
    for (const Event& e : r.events) {
      JsonWriter json;
      json.BeginObject()
          .Key("profile")
          .String(r.profile)
          .Key("abi")
          .String(r.abi)
          .Key("event");
      WriteEventJson(json, e);
      json.EndObject();
      std::cout << json.str() << "\n";
    }
  }
  return all_passed ? kExitOk : 1;
}

// The scenario for explain and graph: FILE, or --syscall wrapped in one.
bool ScenarioForCommand(const std::vector<std::string>& positional,
                        Scenario* scenario) {
  const std::string syscall = absl::GetFlag(FLAGS_syscall);
  if (!syscall.empty()) {
    if (!positional.empty()) {
      Usage("give either FILE or --syscall, not both");
      return false;
    }
    // ';' outside a string separates statements: hostcheck prints a case
    // as its set-up and its raw syscall on one line.
    std::string lines;
    bool in_string = false;
    for (char ch : syscall) {
      if (ch == '"') in_string = !in_string;
      lines += (ch == ';' && !in_string) ? '\n' : ch;
    }
    std::vector<std::string> errors;
    *scenario = ParseScenario(
        "--syscall", "map buf 0x10000 0x10000 rw\n" + lines + "\n", &errors);
    for (const std::string& error : errors) std::cerr << error << "\n";
    return errors.empty();
  }
  if (positional.size() != 1) {
    Usage("expected one FILE (or --syscall)");
    return false;
  }
  return LoadScenario(positional[0], scenario);
}

// The (profile, ABI) to use: flags first, then the scenario's first ones.
bool PickRun(const Scenario& scenario, const KernelProfile** profile,
             Abi* abi) {
  std::string profile_name = absl::GetFlag(FLAGS_profile);
  if (profile_name.empty()) {
    profile_name = scenario.profiles.empty() ? "5.2" : scenario.profiles[0];
  }
  std::string abi_name = absl::GetFlag(FLAGS_abi);
  if (abi_name.empty())
    abi_name = scenario.abis.empty() ? "x86_64" : scenario.abis[0];
  std::optional<const KernelProfile*> p = ProfileFromName(profile_name);
  std::optional<Abi> a = AbiFromName(abi_name);
  if (!p) {
    std::string names;
    for (const KernelProfile& known : AllProfiles()) {
      absl::StrAppendFormat(&names, "%s%s", names.empty() ? "" : ", ",
                            known.name);
    }
    Usage(absl::StrFormat("--profile=%s: expected one of %s", profile_name,
                          names));
    return false;
  }
  if (!a) {
    Usage(absl::StrFormat("--abi=%s: expected x86_64, ia32 or i386", abi_name));
    return false;
  }
  *profile = *p;
  *abi = *a;
  return true;
}

void PrintFailure(const RunResult& r) {
  if (!r.passed) std::cout << "# the scenario failed: " << r.failure;
}

int ExplainScenario(const std::vector<std::string>& positional) {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "json") {
    return Usage(absl::StrFormat("--format=%s: expected text or json", format));
  }
  Scenario scenario;
  if (!ScenarioForCommand(positional, &scenario)) return kExitUsage;
  const KernelProfile* profile;
  Abi abi;
  if (!PickRun(scenario, &profile, &abi)) return kExitUsage;
  const std::string diff = absl::GetFlag(FLAGS_diff_profiles);
  if (!diff.empty()) {
    // Each profile against the one before: A,B then B,C.
    std::vector<const KernelProfile*> profiles;
    const std::vector<std::string> names = absl::StrSplit(diff, ',');
    for (const std::string& name : names) {
      std::optional<const KernelProfile*> p = ProfileFromName(name);
      if (!p) {
        return Usage(absl::StrFormat(
            "--diff-profiles=%s: '%s' is not a profile (./forksim profiles)",
            diff, name));
      }
      profiles.push_back(*p);
    }
    if (profiles.size() < 2) {
      return Usage(absl::StrFormat(
          "--diff-profiles=%s: expected two or more profiles, A,B[,C...]",
          diff));
    }
    std::vector<std::vector<std::string>> texts;
    for (const KernelProfile* p : profiles) {
      texts.push_back(ExplainText(RunScenario(scenario, *p, abi), false));
    }
    for (size_t i = 1; i < profiles.size(); ++i) {
      std::cout << absl::StrFormat("--- %s [%s]\n+++ %s [%s]\n",
                                   profiles[i - 1]->name, AbiName(abi),
                                   profiles[i]->name, AbiName(abi));
      if (i == 1) std::cout << kStepIdsReference << "\n";
      for (const std::string& line :
           KeepDiffContext(DiffLines(texts[i - 1], texts[i]), 2)) {
        std::cout << line << "\n";
      }
    }
    return kExitOk;
  }
  const RunResult r = RunScenario(scenario, *profile, abi);
  if (format == "json") {
    for (const std::string& line : ExplainJson(r)) std::cout << line << "\n";
    return r.passed ? kExitOk : 1;
  }
  std::cout << absl::StrFormat("# %s [%s %s]\n%s\n",
                               positional.empty() ? "--syscall" : positional[0],
                               r.profile, r.abi, kStepIdsReference);
  for (const std::string& line : ExplainText(r, true))
    std::cout << line << "\n";
  PrintFailure(r);
  return r.passed ? kExitOk : 1;
}

int GraphScenario(const std::vector<std::string>& positional) {
  std::string format = absl::GetFlag(FLAGS_format);
  if (format == "text") format = "dot";
  if (format != "dot" && format != "svg") {
    return Usage(absl::StrFormat("--format=%s: expected dot or svg", format));
  }
  Scenario scenario;
  if (!ScenarioForCommand(positional, &scenario)) return kExitUsage;
  const KernelProfile* profile;
  Abi abi;
  if (!PickRun(scenario, &profile, &abi)) return kExitUsage;
  std::string dot;
  RunOptions options;
  options.stop_after_line = absl::GetFlag(FLAGS_at);
  options.at_stop = [&dot](const Kernel& k,
                           const std::map<Tid, std::string>& names) {
    dot = MachineDot(k.machine(), names);
  };
  const RunResult r = RunScenario(scenario, *profile, abi, options);
  if (format == "dot") {
    std::cout << dot;
  } else {
    // Rendered by Graphviz where it is installed (Debian's graphviz).
    FILE* pipe = popen("dot -Tsvg 2>/dev/null", "w");
    if (pipe == nullptr || std::system("command -v dot >/dev/null 2>&1") != 0) {
      if (pipe != nullptr) pclose(pipe);
      std::cerr << "forksim: graphviz's dot is not installed; printing DOT\n";
      std::cout << dot;
    } else {
      std::fwrite(dot.data(), 1, dot.size(), pipe);
      pclose(pipe);
    }
  }
  if (!r.passed) std::cerr << "forksim: the scenario failed: " << r.failure;
  return r.passed ? kExitOk : 1;
}

int PrintProfiles(const std::vector<std::string>& positional) {
  if (!positional.empty()) return Usage("profiles takes no arguments");
  std::cout << (absl::GetFlag(FLAGS_behaviours) ? BehavioursTable()
                                                : ProfilesTable());
  return kExitOk;
}

// hostcheck's flags, checked: a bad value is a usage error (exit 2).
bool HostcheckFlags(HostcheckConfig* config, bool* auto_profile) {
  const std::string abi = absl::GetFlag(FLAGS_abi);
  if (abi.empty() || abi == "both") {
    config->abis = {Abi::kX86_64, Abi::kIa32};
  } else if (abi == "x86_64" || abi == "ia32") {
    config->abis = {*AbiFromName(abi)};
  } else {
    Usage(absl::StrFormat(
        "--abi=%s: expected x86_64, ia32 or both (the host runs no i386 "
        "kernel)",
        abi));
    return false;
  }
  const std::string family = absl::GetFlag(FLAGS_family);
  const std::vector<std::string> names = absl::StrSplit(family, ',');
  for (const std::string& name : names) {
    if (name == "all") {
      config->families.assign(kAllFamilies.begin(), kAllFamilies.end());
      continue;
    }
    std::optional<Family> f = FamilyFromName(name);
    if (!f) {
      Usage(absl::StrFormat(
          "--family=%s: unknown family '%s', expected clone, clone3, fork or "
          "all",
          family, name));
      return false;
    }
    if (std::find(config->families.begin(), config->families.end(), *f) ==
        config->families.end()) {
      config->families.push_back(*f);
    }
  }
  const std::string cases = absl::GetFlag(FLAGS_cases);
  int64_t n_cases = 0;
  if (!absl::SimpleAtoi(cases, &n_cases) || n_cases < 1 ||
      n_cases > 10'000'000) {
    Usage(absl::StrFormat("--cases=%s: expected 1 to 10000000 cases per ABI",
                          cases));
    return false;
  }
  config->cases = static_cast<uint64_t>(n_cases);
  const std::string seed = absl::GetFlag(FLAGS_seed);
  if (!absl::SimpleAtoi(seed, &config->seed)) {
    Usage(
        absl::StrFormat("--seed=%s: expected a number from 0 to 2^64-1", seed));
    return false;
  }
  const std::string shard = absl::GetFlag(FLAGS_shard);
  const std::vector<std::string> parts = absl::StrSplit(shard, '/');
  uint32_t k = 0, n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &k) ||
      !absl::SimpleAtoi(parts[1], &n) || n == 0 || n > 100000 || k >= n) {
    Usage(absl::StrFormat("--shard=%s: expected K/N with 0 <= K < N <= 100000",
                          shard));
    return false;
  }
  config->shard = k;
  config->shards = n;
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "json") {
    Usage(absl::StrFormat("--format=%s: expected text or json", format));
    return false;
  }
  const std::string profile = absl::GetFlag(FLAGS_profile);
  *auto_profile = profile.empty() || profile == "auto";
  if (!*auto_profile) {
    std::optional<const KernelProfile*> p = ProfileFromName(profile);
    if (!p) {
      std::vector<std::string> names;
      for (const KernelProfile& known : AllProfiles()) {
        names.emplace_back(known.name);
      }
      Usage(
          absl::StrFormat("--profile=%s: unknown profile, expected auto or "
                          "one of %s",
                          profile, absl::StrJoin(names, ", ")));
      return false;
    }
    config->profile = *p;
  }
  return true;
}

int RunHostcheckCommand(const std::vector<std::string>& positional) {
  if (!positional.empty()) return Usage("hostcheck takes no FILE");
  if (absl::GetFlag(FLAGS_differences)) {
    std::cout << KnownDifferencesTable();
    return kExitOk;
  }
  HostcheckConfig config;
  bool auto_profile = false;
  if (!HostcheckFlags(&config, &auto_profile)) return kExitUsage;
  config.argv0 = Argv0();
  absl::StatusOr<HostInfo> host = ProbeHost();
  if (!host.ok()) {
    std::cout << "hostcheck: SKIPPED: " << host.status().message() << "\n";
    return kExitOk;
  }
  config.host = *host;
  config.reference = AutoProfile(host->version);
  if (config.reference == nullptr) {
    std::cout << absl::StrFormat(
        "hostcheck: SKIPPED: the host kernel %s is older than every profile\n",
        host->release);
    return kExitOk;
  }
  if (auto_profile) config.profile = config.reference;
  if (ProfileVersion(*config.profile) > host->version) {
    std::cerr << absl::StrFormat(
        "forksim: --profile=%s is newer than the host kernel %s: the host "
        "cannot be its oracle\n",
        config.profile->name, host->release);
    return kExitUsage;
  }
  const bool json = absl::GetFlag(FLAGS_format) == "json";
  if (!json) std::cout << HostcheckHeader(config, auto_profile) << std::flush;
  absl::StatusOr<HostcheckResult> result = RunHostcheck(config);
  if (!result.ok()) {
    std::cerr << "forksim: hostcheck: " << result.status().message() << "\n";
    return kExitUsage;
  }
  std::cout << (json ? HostcheckJson(config, *result)
                     : HostcheckText(config, *result));
  for (const auto& [key, tally] : result->tallies) {
    if (tally.unexplained > 0) return 1;
  }
  return kExitOk;
}

const std::vector<Subcommand>& Subcommands() {
  static const auto* const kSubcommands = new std::vector<Subcommand>{
      {"layout",
       "[STRUCT]",
       "Prints struct layouts from forksim's ABI tables like pahole: offset,\n"
       "size, field, holes and padding, total size and alignment. STRUCT is\n"
       "one of clone6_args, clone6_args_naive, clone_args_ver0,\n"
       "clone_args_ver1, clone_args, user_desc (default: all).",
       {"abi", "format"},
       RunLayout},
      {"profiles",
       "",
       "Prints the kernel profiles as a Markdown table; --behaviours prints\n"
       "the behaviours in which they differ, one row each.",
       {"behaviours"},
       PrintProfiles},
      {"run",
       "FILE|DIR...",
       "Replays scenario files (*.scn; directories are searched) under every\n"
       "profile and ABI each asks for, and prints one line per run and a\n"
       "summary. A failure shows the statement, expected and actual, and the\n"
       "trace up to there. Exit status: 0 all passed, 1 some failed, 2 usage\n"
       "or syntax errors. The language: docs/scenario-language.md.",
       {"check_determinism"},
       RunScenarios},
      {"explain",
       "FILE | --syscall='clone(...)'",
       "Walks each syscall of a scenario through the kernel: the entry\n"
       "decoding (registers to arguments), every check of copy_process()'s\n"
       "ladder, every resource step with share-or-copy and refcounts, the\n"
       "user memory read and written, the unwind after a failure, and the\n"
       "result, each line citing the kernel function and version. The step\n"
       "ids (C1-C7a, S1-S42, U0-U21, L1, K1, A1-A11, V1-V5, G1-G8) are\n"
       "defined in docs/copy-process.md.\n"
       "--diff-profiles=A,B shows where two profiles diverge.",
       {"profile", "abi", "format", "diff_profiles", "syscall"},
       ExplainScenario},
      {"graph",
       "FILE [--at=LINE]",
       "Prints the machine after a scenario (or after the statement on LINE)\n"
       "as Graphviz DOT: tasks, parent and thread-group edges, and the\n"
       "shared structures with their refcounts. --format=svg renders it with\n"
       "Graphviz's dot when that is installed.",
       {"profile", "abi", "format", "at"},
       GraphScenario},
      {"trace",
       "FILE",
       "Runs one scenario and prints what happened: strace-style lines\n"
       "(--format=strace, the default) or JSON Lines with every kernel event\n"
       "(--format=json).",
       {"format"},
       TraceScenario},
      {"hostcheck",
       "",
       "Runs a corpus of clone, clone3, fork and vfork cases on the running\n"
       "kernel and on the model of a profile (auto: the newest profile not\n"
       "newer than the host), and compares them case by case: the return,\n"
       "the words the call wrote, the pidfd's close-on-exec flag, the\n"
       "child's wait status. Prints the agreement per ABI and family, every\n"
       "unexplained difference with the command that explains the model's\n"
       "path, and the known differences between kernel versions it met.\n"
       "Exit status: 0 nothing unexplained, 1 something is, 2 bad flags or\n"
       "a host that refuses the syscalls. What is compared: docs/fidelity.md.",
       {"abi", "profile", "family", "cases", "seed", "shard", "format",
        "differences"},
       RunHostcheckCommand},
  };
  return *kSubcommands;
}

void PrintTopHelp() {
  std::cout << "usage: forksim COMMAND [--flags] [ARGS]\n\ncommands:\n";
  for (const Subcommand& cmd : Subcommands()) {
    std::cout << absl::StrFormat("  %-8s %s\n", cmd.name, cmd.args);
  }
  std::cout << "\n'forksim COMMAND --help' describes one command.\n";
}

void PrintHelp(const Subcommand& cmd) {
  std::cout << absl::StrFormat("usage: forksim %s [--flags] %s\n\n%s\n",
                               cmd.name, cmd.args, cmd.summary);
  if (cmd.flags.empty()) return;
  std::cout << "\nflags:\n";
  for (std::string_view name : cmd.flags) {
    const absl::CommandLineFlag* flag =
        absl::FindCommandLineFlag(std::string(name));
    std::cout << absl::StrFormat("  --%-8s %s\n", name, flag->Help());
  }
}

// The flag name of "--name=value", "--name" or "--noname", with '-' inside
// the name read as '_' (--check-determinism is --check_determinism).
std::string FlagName(std::string_view arg) {
  arg.remove_prefix(arg.find_first_not_of('-'));
  std::string name(arg.substr(0, arg.find('=')));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" ||
      std::string_view(argv[1]) == "help") {
    PrintTopHelp();
    return argc < 2 ? kExitUsage : kExitOk;
  }
  Argv0() = argv[0];
  const std::string_view name = argv[1];
  const Subcommand* cmd = nullptr;
  for (const Subcommand& candidate : Subcommands()) {
    if (candidate.name == name) cmd = &candidate;
  }
  if (cmd == nullptr)
    return Usage(absl::StrFormat("unknown command '%s'", name));

  std::vector<char*> args = {argv[0]};
  std::deque<std::string> normalized;  // stable storage for rewritten flags
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintHelp(*cmd);
      return kExitOk;
    }
    if (arg.starts_with("-") && arg != "--" && arg != "-") {
      const std::string flag = FlagName(arg);
      if (std::find(cmd->flags.begin(), cmd->flags.end(), flag) ==
          cmd->flags.end()) {
        return Usage(
            absl::StrFormat("%s: '%s' has no flag --%s", arg, cmd->name, flag));
      }
      const size_t eq = arg.find('=');
      normalized.push_back(
          "--" + flag +
          (eq == std::string_view::npos ? "" : std::string(arg.substr(eq))));
      args.push_back(normalized.back().data());
      continue;
    }
    args.push_back(argv[i]);
  }
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::vector<std::string> positional(rest.begin() + 1, rest.end());
  return cmd->run(positional);
}

}  // namespace
}  // namespace forksim

int main(int argc, char** argv) { return forksim::Main(argc, argv); }
