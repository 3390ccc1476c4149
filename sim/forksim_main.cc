// -----------------------------------------------------------------------------
// File: sim/forksim_main.cc
// -----------------------------------------------------------------------------
//
// The forksim CLI: `forksim SUBCOMMAND [--flags] [ARGS]`. Each subcommand
// accepts only its own flags and has its own --help. Output never depends on
// the host: no time, no addresses, no host pids.

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/abi/abi.h"
#include "model/abi/layout.h"
#include "sim/layout_report.h"

ABSL_FLAG(std::string, abi, "",
          "ABI to report: x86_64, ia32 or i386 (default: all three)");
ABSL_FLAG(std::string, format, "text",
          "Output format: text or json (default: text)");

namespace forksim {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

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

// Until the scenario engine exists, `run` checks its arguments and prints the
// layout report, so that the launcher's main job exercises the build.
int RunScenarios(const std::vector<std::string>& positional) {
  if (positional.empty()) return Usage("run needs at least one FILE or DIR");
  size_t files = 0;
  for (const std::string& path : positional) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return Usage(absl::StrFormat("%s: no such file or directory", path));
    }
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry :
           std::filesystem::recursive_directory_iterator(path)) {
        if (entry.path().extension() == ".scn") ++files;
      }
    } else {
      ++files;
    }
  }
  std::cout << absl::StrFormat(
      "forksim run: %d scenario file(s) found; the scenario engine is not "
      "built yet, so here is the ABI layout report instead.\n\n",
      files);
  return RunLayout({});
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
      {"run",
       "FILE|DIR...",
       "Replays scenario files (*.scn) and reports pass or fail for each.",
       {},
       RunScenarios},
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

// The flag name of "--name=value", "--name" or "--noname".
std::string_view FlagName(std::string_view arg) {
  arg.remove_prefix(arg.find_first_not_of('-'));
  return arg.substr(0, arg.find('='));
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" ||
      std::string_view(argv[1]) == "help") {
    PrintTopHelp();
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string_view name = argv[1];
  const Subcommand* cmd = nullptr;
  for (const Subcommand& candidate : Subcommands()) {
    if (candidate.name == name) cmd = &candidate;
  }
  if (cmd == nullptr)
    return Usage(absl::StrFormat("unknown command '%s'", name));

  std::vector<char*> args = {argv[0]};
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintHelp(*cmd);
      return kExitOk;
    }
    if (arg.starts_with("-") && arg != "--" && arg != "-") {
      std::string_view flag = FlagName(arg);
      if (std::find(cmd->flags.begin(), cmd->flags.end(), flag) ==
          cmd->flags.end()) {
        return Usage(
            absl::StrFormat("%s: '%s' has no flag --%s", arg, cmd->name, flag));
      }
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
