// `forksim hostcheck`'s output (sim/tools/hostcheck_report.h).

#include "sim/tools/hostcheck_report.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/tools/json.h"

namespace forksim {

namespace {

// How many cases of each known difference the text report shows.
constexpr int kExamplesPerDifference = 3;

std::string Families(const HostcheckConfig& config) {
  std::string out;
  for (Family f : config.families) {
    absl::StrAppend(&out, out.empty() ? "" : ",", std::string(FamilyName(f)));
  }
  return out;
}

Tally Total(const HostcheckResult& result) {
  Tally t;
  for (const auto& [key, tally] : result.tallies) {
    t.agree += tally.agree;
    t.documented += tally.documented;
    t.unexplained += tally.unexplained;
    t.skipped += tally.skipped;
  }
  return t;
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  return absl::StrFormat("%.2f%%", 100.0 * part / whole);
}

// One case in full: what it is, both sides, where the model decided, how
// to see the model's path.
void AppendCase(const HostcheckConfig& config, const CaseReport& r,
                std::string* out) {
  absl::StrAppend(out, "  ", r.c.Id(), "  ", r.c.what, "\n");
  if (r.difference != nullptr) {
    absl::StrAppend(out, "    known: ", std::string(r.difference->id),
                    r.also ? " then " + std::string(r.also->id) : "", "\n");
  }
  absl::StrAppend(out, "    host:  ", Normalize(r.c, r.host), "\n");
  absl::StrAppend(out, "    model: ", Normalize(r.c, r.model));
  if (!r.model_decider.empty()) {
    absl::StrAppend(out, "  (decided at ", r.model_decider, ")");
  }
  absl::StrAppend(out, "\n    ", ExplainCommand(r.c, config.profile->name),
                  "\n");
}

}  // namespace

std::string HostcheckHeader(const HostcheckConfig& config, bool auto_profile) {
  return absl::StrFormat(
      "hostcheck: host kernel %s, profile %s%s, families %s, seed %d, %d "
      "cases per ABI%s\n",
      config.host.release, std::string(config.profile->name),
      auto_profile ? " (auto: the newest profile not newer than the host)" : "",
      Families(config), config.seed, config.cases,
      config.shards > 1
          ? absl::StrFormat(", shard %d/%d", config.shard, config.shards)
          : "");
}

std::string HostcheckText(const HostcheckConfig& config,
                          const HostcheckResult& result) {
  std::string out;
  for (const auto& [abi, why] : result.skipped_abis) {
    absl::StrAppend(&out, "SKIPPED ", std::string(AbiName(abi)), ": ", why,
                    "\n");
  }
  absl::StrAppend(
      &out, absl::StrFormat("%-7s %-7s %8s %11s %12s %8s %9s %9s\n", "abi",
                            "family", "agree", "documented", "unexplained",
                            "skipped", "agreement", "explained"));
  for (const auto& [key, t] : result.tallies) {
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "%-7s %-7s %8d %11d %12d %8d %9s %9s\n",
            std::string(AbiName(key.first)),
            std::string(FamilyName(key.second)), t.agree, t.documented,
            t.unexplained, t.skipped, Percent(t.agree, t.total() - t.skipped),
            Percent(t.agree + t.documented, t.total() - t.skipped)));
  }
  const Tally total = Total(result);
  absl::StrAppend(
      &out,
      absl::StrFormat("%-15s %8d %11d %12d %8d %9s %9s\n", "total", total.agree,
                      total.documented, total.unexplained, total.skipped,
                      Percent(total.agree, total.total() - total.skipped),
                      Percent(total.agree + total.documented,
                              total.total() - total.skipped)));
  for (const auto& [why, n] : result.skipped_by) {
    absl::StrAppend(&out, absl::StrFormat("skipped %d: %s\n", n, why));
  }

  if (total.unexplained > 0) {
    absl::StrAppend(&out, "\nunexplained (", total.unexplained, "):\n");
    for (const CaseReport& r : result.notable) {
      if (r.verdict == Verdict::kUnexplained) AppendCase(config, r, &out);
    }
  }
  if (total.documented > 0) {
    absl::StrAppend(&out, "\ndiffers as documented (", total.documented,
                    "), by known difference:\n");
    for (const KnownDifference& d : KnownDifferences()) {
      auto it = result.documented_by.find(std::string(d.id));
      if (it == result.documented_by.end()) continue;
      absl::StrAppend(
          &out, absl::StrFormat("\n[%s] %d case%s: %s\n", std::string(d.id),
                                it->second, it->second == 1 ? "" : "s",
                                std::string(d.summary)));
      absl::StrAppend(&out, "    older: ", std::string(d.older),
                      "\n    newer: ", std::string(d.newer), "\n");
      int shown = 0;
      for (const CaseReport& r : result.notable) {
        if ((r.difference != &d && r.also != &d) ||
            shown == kExamplesPerDifference) {
          continue;
        }
        AppendCase(config, r, &out);
        ++shown;
      }
      if (it->second > static_cast<uint64_t>(shown)) {
        absl::StrAppend(&out,
                        absl::StrFormat("  ... and %d more (--format=json "
                                        "lists every case)\n",
                                        it->second - shown));
      }
    }
  }
  absl::StrAppend(
      &out, absl::StrFormat("\n%d agree, %d differ as documented, %d "
                            "unexplained, %d skipped\n",
                            total.agree, total.documented, total.unexplained,
                            total.skipped));
  return out;
}

std::string KnownDifferencesTable() {
  std::string out =
      "| id | what changed | the older kernel | the newer kernel |\n"
      "| --- | --- | --- | --- |\n";
  for (const KnownDifference& d : KnownDifferences()) {
    absl::StrAppend(&out, "| `", std::string(d.id), "` | ",
                    std::string(d.summary), " | ", std::string(d.older), " | ",
                    std::string(d.newer), " |\n");
  }
  return out;
}

std::string HostcheckJson(const HostcheckConfig& config,
                          const HostcheckResult& result) {
  std::string out;
  for (const auto& [abi, why] : result.skipped_abis) {
    JsonWriter json;
    json.BeginObject()
        .Key("skipped_abi")
        .String(AbiName(abi))
        .Key("reason")
        .String(why)
        .EndObject();
    absl::StrAppend(&out, json.str(), "\n");
  }
  for (const CaseReport& r : result.notable) {
    JsonWriter json;
    json.BeginObject()
        .Key("case")
        .String(r.c.Id())
        .Key("what")
        .String(r.c.what)
        .Key("verdict")
        .String(VerdictName(r.verdict));
    if (r.verdict == Verdict::kSkipped) {
      json.Key("reason").String(r.skip_reason);
    } else {
      json.Key("host").String(Normalize(r.c, r.host));
      json.Key("model").String(Normalize(r.c, r.model));
      json.Key("decided_at").String(r.model_decider);
      json.Key("difference").String(r.difference ? r.difference->id : "");
      if (r.also != nullptr) json.Key("also").String(r.also->id);
      json.Key("explain").String(ExplainCommand(r.c, config.profile->name));
    }
    json.EndObject();
    absl::StrAppend(&out, json.str(), "\n");
  }
  for (const auto& [key, t] : result.tallies) {
    JsonWriter json;
    json.BeginObject()
        .Key("abi")
        .String(AbiName(key.first))
        .Key("family")
        .String(FamilyName(key.second))
        .Key("agree")
        .Uint(t.agree)
        .Key("documented")
        .Uint(t.documented)
        .Key("unexplained")
        .Uint(t.unexplained)
        .Key("skipped")
        .Uint(t.skipped)
        .EndObject();
    absl::StrAppend(&out, json.str(), "\n");
  }
  return out;
}

}  // namespace forksim
