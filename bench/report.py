#!/usr/bin/env python3
"""The forksim benchmark report: Google Benchmark JSON in, tables out.

    python3 bench/report.py RESULTS.json [MORE.json]  the report
                                                  (`./forksim bench`)
    python3 bench/report.py --check RESULTS.json  also fail (exit 1) if a model
                                                  row errored or a uaccess
                                                  counter is not what the path
                                                  must do (the smoke test)

Standard library only. Rows are read by name (bench/*.cc say what each
measures); with --benchmark_repetitions the medians are used.
"""

import argparse
import json
import math
import re
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
SUFFIX = re.compile(r"/(manual_time|real_time|iterations:\d+|repeats:\d+|"
                    r"min_time:[0-9.]+|threads:\d+)")
ABIS = ("x86_64", "ia32", "i386")

# Targets of issue 6.
FORK_TARGET_NS = 1000.0
# hostcheck: model cases per second in one process (issue 12).
HOSTCHECK_TARGET_PER_S = 10000.0
THREAD_TARGET_NS = 500.0
DECODE_TARGET_NS = 5.0
FLOOR_RATIO_TARGET = 3.0
RSS_TARGET_BYTES = 1 << 30
MILLION = 1_000_000

MARSHAL_ROWS = [
    ("marshal", "legacy", "legacy clone: decode + ABI order"),
    ("sketch", "legacy", "legacy clone: table-driven sketch*"),
    ("marshal", "clone6:0", "clone6, 0 fields (DETACHED: EINVAL)"),
    ("marshal", "clone6:1", "clone6, 1 field (stack)"),
    ("marshal", "clone6:2", "clone6, 2 fields"),
    ("marshal", "clone6:3", "clone6, 3 fields"),
    ("marshal", "clone6:4", "clone6, 4 fields (all x86 reads)"),
    ("sketch", "clone6:4", "clone6, 4 fields: lean sketch*"),
    ("marshal", "clone6:fault_first", "clone6, 4 asked, 1st faults"),
    ("marshal", "clone6:fault_last", "clone6, 4 asked, last faults"),
    ("marshal", "clone3:64", "clone3, 64 B (6.12)"),
    ("sketch", "clone3:64", "clone3 64 B: lean sketch*"),
    ("marshal", "clone3:80", "clone3, 80 B (6.12)"),
    ("marshal", "clone3:88", "clone3, 88 B (6.12)"),
    ("marshal", "clone3:4096", "clone3, 4096 B, zero tail (6.12)"),
    ("marshal", "clone3_5.3:4096", "clone3, 4096 B, zero tail (5.3)"),
    ("marshal", "clone3:64_fault_first", "clone3 64 B, first bytes fault"),
    ("marshal", "clone3:64_fault_last", "clone3 64 B, last 8 B fault"),
]

# Deterministic uaccess counters per marshalling path: (ops, bytes, faults).
EXPECTED_UACCESS = {
    "legacy": (0, 0, 0),
    "clone6:0": (0, 0, 0),
    "clone6:1": (1, 8, 0),
    "clone6:2": (2, 16, 0),
    "clone6:3": (3, 24, 0),
    "clone6:4": (4, 32, 0),
    "clone6:fault_first": (1, 0, 1),
    "clone6:fault_last": (4, 24, 1),
    "clone3:64": (1, 64, 0),
    "clone3:80": (1, 80, 0),
    "clone3:88": (1, 88, 0),
    # 6.12: the 4008-byte tail a kernel word at a time, then 88 bytes.
    "clone3:4096": {"x86_64": (502, 4096, 0), "ia32": (502, 4096, 0),
                    "i386": (1003, 4096, 0)},
    # 5.3: a get_user() per byte of the 4032-byte tail, then 64 bytes.
    "clone3_5.3:4096": (4033, 4096, 0),
    "clone3:64_fault_first": (1, 0, 1),
    "clone3:64_fault_last": (1, 56, 1),
}
EXPECTED_COPY_PROCESS_UACCESS = {
    # kind/entry: (ops, bytes, faults) of the caller's memory in the call
    "fork/clone": (0, 0, 0),
    "fork/clone6": (1, 8, 0),
    "thread/clone": (1, 4, 0),
    "thread/clone6": (5, 36, 0),
    "pidfd/clone": (2, 8, 0),
    "pidfd/clone6": (2, 12, 0),
    # clone3: the 88-byte copy, then what the flags write.
    "fork/clone3": (1, 88, 0),
    "thread/clone3": (2, 92, 0),
    "vfork/clone3": (1, 88, 0),
    "pidfd/clone3": (2, 92, 0),
    "newns/clone3": (1, 88, 0),
}

KINDS = [
    ("fork", "fork-like (SIGCHLD)"),
    ("thread", "thread-like (VM|FS|FILES|SIGHAND|THREAD|...)"),
    ("vfork", "vfork-like (VFORK|VM|SIGCHLD)"),
    ("pidfd", "CLONE_PIDFD|SIGCHLD"),
    ("newns", "7 new namespaces|SIGCHLD"),
]
ENTRIES = ("direct", "clone", "clone6", "clone3")
# The host row beside each clone3 marshalling size: the same size, EINVAL.
HOST_CLONE3 = {"clone3:64": "host/clone3_einval",
               "clone3:88": "host/clone3_einval:88",
               "clone3:4096": "host/clone3_einval:4096",
               "clone3_5.3:4096": "host/clone3_einval:4096"}


class Row:
    def __init__(self, entry):
        self.raw = entry
        unit = UNIT_NS.get(entry.get("time_unit", "ns"), 1.0)
        self.ns = float(entry.get("real_time", float("nan"))) * unit
        self.error = entry.get("error_message") if entry.get(
            "error_occurred") else None
        self.label = entry.get("label", "")

    def counter(self, key, default=None):
        value = self.raw.get(key)
        return default if value is None else float(value)


def load(paths):
    """Rows by name from one or more JSON files; a later file's row replaces
    an earlier one (a default run, then a --full run of the big points)."""
    context, rows = {}, {}
    for path in paths:
        with (sys.stdin if path == "-" else open(path)) as f:
            data = json.load(f)
        if not context:
            context = data.get("context", {})
        medians = {}
        for b in data.get("benchmarks", []):
            name = SUFFIX.sub("", b.get("run_name", b["name"]))
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[name] = Row(b)
                continue
            rows[name] = Row(b)  # the last repetition if there are several
        rows.update(medians)
    return context, rows


def fmt_ns(ns):
    if ns is None or math.isnan(ns):
        return "-"
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e4:
        return "%.1f us" % (ns / 1e3)
    if ns >= 100:
        return "%.0f" % ns
    if ns >= 10:
        return "%.1f" % ns
    return "%.2f" % ns


def fmt_num(x, digits=0):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "%.*f" % (digits, x)


def fmt_ratio(x):
    if x is None or math.isnan(x) or math.isinf(x):
        return "-"
    return "%.0fx" % x if x >= 100 else "%.1fx" % x if x >= 10 else "%.2fx" % x


def fmt_bytes(b):
    if b is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return "%.2f %s" % (b / size, unit)
    return "%.0f B" % b


def table(headers, rows, out):
    """Left-aligns the first column, right-aligns the others."""
    widths = [len(h) for h in headers]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))

    def line(cells):
        parts = []
        for i, cell in enumerate(cells):
            parts.append(cell.ljust(widths[i]) if i == 0 else cell.rjust(
                widths[i]))
        return "  ".join(parts).rstrip()

    out.append(line(headers))
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append(line(r))


def ns_of(rows, name):
    row = rows.get(name)
    if row is None or row.error:
        return None
    return row.ns


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def verdict(value, limit):
    if value is None:
        return "not measured"
    if value <= limit:
        return "MET"
    factor = value / limit
    return "MISSED by %s" % ("%.1fx" % factor if factor >= 10 else
                             "%.2fx" % factor)


def host_section(rows, out):
    floor = ns_of(rows, "host/getppid")
    lines = []
    for name, what in (
        ("host/getppid", "getppid (the syscall floor)"),
        ("host/clone_einval", "clone(CLONE_SIGHAND): EINVAL, no task"),
        ("host/clone3_einval", "clone3(64 B, CLONE_SIGHAND): EINVAL"),
        ("host/clone3_einval:88", "clone3(88 B, CLONE_SIGHAND): EINVAL"),
        ("host/clone3_einval:4096",
         "clone3(4096 B, zero tail, CLONE_SIGHAND): EINVAL"),
        ("host/fork_wait", "fork + wait4 (the child exit_group(0)s)"),
        ("host/clone3_fork_wait", "clone3({SIGCHLD}, 88) + wait4"),
    ):
        row = rows.get(name)
        if row is None:
            continue
        if row.error:
            lines.append([what, "skipped: " + row.error, "", ""])
            continue
        extra = ""
        if name.endswith("fork_wait") and row.counter("rss_mib") is not None:
            extra = "RSS %.0f MiB" % row.counter("rss_mib")
        lines.append([what, fmt_ns(row.ns), fmt_ratio(ratio(row.ns, floor)),
                      extra])
    if not lines:
        return
    out.append("")
    out.append("Host kernel (real syscalls on this machine)")
    table(["path", "ns/call", "x getppid", "note"], lines, out)


def marshal_section(rows, out, problems):
    host_clone = ns_of(rows, "host/clone_einval")
    host_clone3 = ns_of(rows, "host/clone3_einval")
    lines = []
    for abi in ABIS:
        legacy = ns_of(rows, "marshal/%s/legacy" % abi)
        for kind, key, what in MARSHAL_ROWS:
            name = "%s/%s/%s" % (kind, abi, key)
            row = rows.get(name)
            if row is None:
                continue
            if row.error:
                lines.append([what, abi, "skipped: " + row.error] + [""] * 6)
                if kind != "host":
                    problems.append("%s: %s" % (name, row.error))
                continue
            floor_key = row.label[len("floor="):] if row.label.startswith(
                "floor=") else None
            floor = ns_of(rows, "floor/%s/%s" % (abi, floor_key))
            host = None
            if abi == "x86_64":
                if key == "legacy":
                    host = host_clone
                elif key in HOST_CLONE3:
                    host = ns_of(rows, HOST_CLONE3[key])
                else:
                    host = host_clone3
            ops = row.counter("uaccess_ops")
            nbytes = row.counter("uaccess_bytes")
            faults = row.counter("uaccess_faults")
            lines.append([
                what, abi, fmt_ns(row.ns), fmt_num(ops),
                fmt_num(nbytes), fmt_num(faults),
                fmt_ratio(ratio(row.ns, legacy)),
                fmt_ratio(ratio(row.ns, floor)), fmt_ns(host)
            ])
            expected = EXPECTED_UACCESS.get(key)
            if isinstance(expected, dict):
                expected = expected.get(abi)
            if kind == "marshal" and expected is not None and (
                    ops, nbytes, faults) != tuple(float(x) for x in expected):
                problems.append(
                    "%s: uaccess ops/bytes/faults %s, expected %s" %
                    (name, (ops, nbytes, faults), expected))
    if not lines:
        return
    out.append("")
    out.append("Argument marshalling: registers -> the kernel's KernelCloneArgs "
               "(ns per call; uaccess per call)")
    table([
        "path", "ABI", "ns/call", "ops", "bytes", "faults", "x legacy",
        "x floor", "host ns"
    ], lines, out)
    out.append("  * not the model: the same work with decode tables, "
               "constant offsets and one page lookup per")
    out.append("    access (bench/marshal_bench.cc), to show what a faster "
               "model could reach.")
    out.append("  host ns: the real clone EINVAL (legacy rows) and clone3 "
               "EINVAL of the same size (the others),")
    out.append("  whole syscalls.")


def three_way_section(rows, out, results):
    """Registers (legacy clone), the RFC's conditional reads (clone6, N
    fields) and one struct copy (clone3), per ABI: what a field read costs
    against the copy."""
    lines = []
    for abi in ABIS:
        legacy = ns_of(rows, "marshal/%s/legacy" % abi)
        pts = [(n, ns_of(rows, "marshal/%s/clone6:%d" % (abi, n)))
               for n in range(1, 5)]
        pts = [(n, v) for n, v in pts if v is not None]
        fit = linear_fit(pts)
        c3 = {size: ns_of(rows, "marshal/%s/clone3:%d" % (abi, size))
              for size in (64, 88, 4096)}
        if legacy is None or fit is None or c3[88] is None:
            continue
        base, per_field, _ = fit
        # The field count at which clone6's reads cost what one copy does.
        even = (c3[88] - base) / per_field if per_field > 0 else None
        results["three_way_" + abi] = (legacy, base, per_field, c3, even)
        lines.append([
            abi, fmt_ns(legacy), fmt_ns(base), fmt_ns(per_field),
            fmt_ns(c3[64]), fmt_ns(c3[88]), fmt_ns(c3[4096]),
            "-" if even is None else "%.1f" % even
        ])
    if not lines:
        return
    out.append("")
    out.append("Three ways to pass clone's arguments (model, ns per call)")
    table([
        "ABI", "registers", "clone6 base", "+ per field", "clone3 64 B",
        "clone3 88 B", "clone3 4096 B", "break-even fields"
    ], lines, out)
    out.append("  clone6 base and per field: least squares over 1-4 "
               "get_user() reads; break-even: the field")
    out.append("  count at which clone6's reads cost what clone3's 88-byte "
               "copy does.")
    host = [ns_of(rows, n) for n in ("host/clone_einval", "host/clone3_einval",
                                     "host/clone3_einval:88",
                                     "host/clone3_einval:4096")]
    if all(h is not None for h in host):
        out.append("  host (whole EINVAL syscalls): clone %s, clone3 64 B %s, "
                   "88 B %s, 4096 B %s ns." %
                   tuple(fmt_ns(h) for h in host))


def copy_process_section(rows, out, problems):
    host_fork = ns_of(rows, "host/fork_wait")
    lines = []
    for kind, what in KINDS:
        legacy = ns_of(rows, "copy_process/%s/clone" % kind)
        for entry in ENTRIES:
            call = rows.get("copy_process/%s/%s" % (kind, entry))
            cycle = rows.get("cycle/%s/%s" % (kind, entry))
            if call is None and cycle is None:
                continue
            label = "%s, %s" % (what if entry == "direct" else kind, entry)
            err = (call and call.error) or (cycle and cycle.error)
            if err:
                lines.append([label, "skipped: " + err] + [""] * 7)
                problems.append("copy_process/%s/%s: %s" % (kind, entry, err))
                continue
            target = {"fork": FORK_TARGET_NS,
                      "thread": THREAD_TARGET_NS}.get(kind)
            call_ns = call.ns if call else None
            ops = call.counter("uaccess_ops") if call else None
            nbytes = call.counter("uaccess_bytes") if call else None
            faults = call.counter("uaccess_faults") if call else None
            lines.append([
                label,
                fmt_ns(call_ns),
                fmt_ns(cycle.ns if cycle else None),
                fmt_num(ops),
                fmt_num(nbytes),
                fmt_num(faults),
                fmt_ratio(ratio(call_ns, legacy)),
                ("<= %s" % fmt_ns(target)) if target else "",
                fmt_ns(host_fork) if kind == "fork" and entry == "clone" else
                "",
            ])
            expected = EXPECTED_COPY_PROCESS_UACCESS.get("%s/%s" %
                                                         (kind, entry))
            if expected is not None and (ops, nbytes, faults) != tuple(
                    float(x) for x in expected):
                problems.append(
                    "copy_process/%s/%s: uaccess %s, expected %s" %
                    (kind, entry, (ops, nbytes, faults), expected))
    if not lines:
        return
    out.append("")
    out.append("copy_process end to end, x86_64 (call: the creating call "
               "alone; cycle: + exit + wait4)")
    table([
        "kind, entry", "call ns", "cycle ns", "ops", "bytes", "faults",
        "x legacy", "target", "host ns"
    ], lines, out)
    clock = ns_of(rows, "floor/clock_pair")
    out.append("  direct: copy_process() alone; clone / clone6 (5.2-rc1+clone6) "
               "and clone3 (6.12): the syscall")
    out.append("  through Kernel::Syscall().")
    if clock is not None:
        out.append("  Call times include one steady-clock pair (%s ns). host "
                   "ns: the host's fork + wait4." % fmt_ns(clock))


def series(rows, prefix):
    """[(arg, Row)] for rows named prefix + 'name:ARG', sorted by ARG."""
    result = []
    pat = re.compile(re.escape(prefix) + r"/[a-z_]+:(\d+)$")
    for name, row in rows.items():
        m = pat.match(name)
        if m:
            result.append((int(m.group(1)), row))
    return sorted(result, key=lambda x: x[0])


def linear_fit(points):
    """Least squares y = a + b x: (a, b, r2)."""
    n = len(points)
    if n < 2:
        return None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx)**2 for x, _ in points)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    a = my - b * mx
    ss_tot = sum((y - my)**2 for _, y in points)
    ss_res = sum((y - a - b * x)**2 for x, y in points)
    return a, b, 1.0 - ss_res / ss_tot if ss_tot else 1.0


def growth_exponent(points):
    """k in (y - y(x_min)) ~ x^k, fitted in log-log over the other points:
    1 is linear."""
    if len(points) < 3:
        return None
    x0, y0 = points[0]
    logs = [(math.log(x), math.log(y - y0)) for x, y in points[1:]
            if x > x0 and y > y0]
    fit = linear_fit(logs)
    return fit[1] if fit else None


def marginal(points):
    """Per-unit cost between consecutive (x, y) points (x increasing)."""
    out = []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x1 > x0:
            out.append((y1 - y0) / (x1 - x0))
    return out


def scaling_section(rows, out, problems, results):
    fds = series(rows, "scaling/fds")
    fds_shared = series(rows, "scaling/fds_shared")
    depth = series(rows, "scaling/pidns_depth")
    live = {kind: series(rows, "scaling/live_tasks/%s" % kind)
            for kind in ("process", "thread")}
    fill = series(rows, "scaling/pid_space_fill")
    if not (fds or fds_shared or depth or any(live.values()) or fill):
        return
    out.append("")
    out.append("Scaling (fork-like cycle per iteration: clone(SIGCHLD), "
               "exit(0), wait4(pid))")

    def phase_rows(points, first_label, first):
        lines = []
        for arg, row in points:
            if row.error:
                lines.append([str(arg), "skipped: " + row.error])
                problems.append("scaling %s=%d: %s" %
                                (first_label, arg, row.error))
                continue
            lines.append([first(arg, row)] + [
                fmt_ns(row.counter("fork_ns")),
                fmt_ns(row.counter("exit_ns")),
                fmt_ns(row.counter("reap_ns")),
                fmt_ns(row.ns)
            ])
        return lines

    for key, points, what in (
        ("fd", fds, "open fds"),
        ("fd_shared", fds_shared, "open fds, 1 file"),
    ):
        if not points:
            continue
        out.append("")
        lines = phase_rows(
            points, key, lambda arg, row: "%d fds (%d words)" %
            (row.counter("open_fds", arg), row.counter("fd_words", 0)))
        table([what, "fork ns", "exit ns", "reap ns", "cycle ns"], lines, out)
        pts = [(r.counter("fd_words"), r.counter("fork_ns"))
               for _, r in points if not r.error]
        m = [x for x in marginal(pts) if x > 0]
        k = growth_exponent(pts)
        if m and k is not None:
            results[key + "_growth"] = (k, min(m), max(m))
            out.append("  fork cost per extra fd word: %s .. %s ns (%.1f .. "
                       "%.1f ns per fd); growth exponent %.2f (1 = linear)" %
                       (fmt_ns(min(m)), fmt_ns(max(m)), min(m) / 64,
                        max(m) / 64, k))
    if depth:
        out.append("")
        lines = phase_rows(depth, "depth",
                           lambda arg, row: "level %d (%d numbers)" %
                           (arg, arg + 1))
        table(["pid namespace", "fork ns", "exit ns", "reap ns", "cycle ns"],
              lines, out)
        pts = [(a, r.ns) for a, r in depth if not r.error]
        fit = linear_fit(pts)
        if fit:
            results["depth_fit"] = fit
            out.append("  cycle = %s + %s ns x level (least squares, "
                       "R^2 %.3f)" % (fmt_ns(fit[0]), fmt_ns(fit[1]), fit[2]))
    for kind, points in live.items():
        if not points:
            continue
        out.append("")
        lines = []
        for arg, row in points:
            if row.error:
                lines.append([str(arg), "skipped: " + row.error])
                problems.append("scaling live %s=%d: %s" %
                                (kind, arg, row.error))
                continue
            lines.append([
                "%d" % arg,
                fmt_ns(row.counter("fork_ns")),
                fmt_ns(row.counter("exit_ns")),
                fmt_ns(row.counter("reap_ns")),
                fmt_ns(row.ns),
                fmt_num(row.counter("bytes_per_task"))
                if arg >= 1000 else "-",
                fmt_num(row.counter("peak_rss_mib")),
            ])
        table([
            "live %s" % ("processes" if kind == "process" else "threads"),
            "fork ns", "exit ns", "reap ns", "cycle ns",
            "B/task", "peak MiB"
        ], lines, out)
        good = [(a, r) for a, r in points if not r.error]
        if len(good) >= 2:
            (a0, r0), (a1, r1) = good[0], good[-1]
            results["live_" + kind] = (a0, a1, ratio(r1.ns, r0.ns),
                                       ratio(r1.counter("fork_ns"),
                                             r0.counter("fork_ns")))
            out.append("  from %d to %d live %s: cycle x%.1f, fork x%.1f" %
                       (a0, a1, "processes" if kind == "process" else
                        "threads", results["live_" + kind][2],
                        results["live_" + kind][3]))
        big = [(a, r) for a, r in good if a >= 10000
               and r.counter("bytes_per_task")]
        if big:
            a, r = big[-1]
            results["rss_" + kind] = (a, r.counter("bytes_per_task"))
    for arg, row in fill:
        out.append("")
        if row.error:
            out.append("pid space fill, pid_max %d: skipped: %s" %
                       (arg, row.error))
            problems.append("pid space fill: " + row.error)
            continue
        out.append(
            "pid space fill, pid_max %d: %d threads in %s (%s ns each), "
            "the fork that finds it full %s," %
            (arg, row.counter("tasks"), fmt_ns(row.ns),
             fmt_ns(row.counter("ns_per_task")),
             fmt_ns(row.counter("full_fork_ns"))))
        out.append("  %.0f B/task, peak RSS %.0f MiB, teardown %s" %
                   (row.counter("bytes_per_task"), row.counter("peak_rss_mib"),
                    fmt_ns(row.counter("teardown_ns"))))


def targets_section(rows, out, results):
    out.append("")
    out.append("Targets (issues 6 and 12)")
    lines = []

    def add(what, value, limit, shown=None, unit_fmt=fmt_ns):
        lines.append([
            what, shown if shown is not None else unit_fmt(value),
            unit_fmt(limit), verdict(value, limit)
        ])

    for kind, limit in (("fork", FORK_TARGET_NS), ("thread",
                                                   THREAD_TARGET_NS)):
        for entry in ENTRIES:
            value = ns_of(rows, "copy_process/%s/%s" % (kind, entry))
            if value is not None:
                add("%s-like copy_process, %s" % (kind, entry), value, limit)
    for abi in ABIS:
        value = ns_of(rows, "marshal/%s/legacy" % abi)
        if value is not None:
            add("legacy decode, %s" % abi, value, DECODE_TARGET_NS)
    for key, what in (("clone6:4", "clone6 all fields (4)"),
                      ("clone3:64", "clone3 64 B"), ("clone3:88", "clone3 88 B")):
        value = ratio(ns_of(rows, "marshal/x86_64/" + key),
                      ns_of(rows, "floor/x86_64/" + key))
        if value is not None:
            add("%s / floor, x86_64" % what, value, FLOOR_RATIO_TARGET,
                unit_fmt=fmt_ratio)
    for abi in ABIS:
        row = rows.get("hostcheck/model/" + abi)
        rate = row.counter("items_per_second") if row else None
        if rate:
            lines.append([
                "hostcheck model cases/s, %s" % abi, fmt_num(rate),
                fmt_num(HOSTCHECK_TARGET_PER_S),
                "MET" if rate >= HOSTCHECK_TARGET_PER_S else "MISSED"
            ])
    for kind in ("process", "thread"):
        live = results.get("live_" + kind)
        if live:
            a0, a1, cyc, fork = live
            lines.append([
                "flat in live %s (%d..%d)" %
                ("processes" if kind == "process" else "threads", a0, a1),
                "cycle x%.1f, fork x%.1f" % (cyc, fork), "~x1",
                "MET" if max(cyc, fork) <= 1.5 else "MISSED (x%.0f)" %
                max(cyc, fork)
            ])
    for key, what in (("fd", "linear in open-fd words"),
                      ("fd_shared", "linear in open-fd words, 1 file")):
        if key + "_growth" not in results:
            continue
        k, lo, hi = results[key + "_growth"]
        lines.append([
            what, "exponent %.2f, %s..%s ns/word" %
            (k, fmt_ns(lo), fmt_ns(hi)), "1.00",
            "MET" if 0.9 <= k <= 1.1 else "MISSED (exponent %.2f)" % k
        ])
    if "depth_fit" in results:
        a, b, r2 = results["depth_fit"]
        lines.append([
            "linear in pid namespace depth",
            "%s ns/level, R^2 %.3f" % (fmt_ns(b), r2), "R^2 >= 0.98",
            "MET" if r2 >= 0.98 else "MISSED (R^2 %.3f)" % r2
        ])
    for kind in ("process", "thread"):
        rss = results.get("rss_" + kind)
        if rss:
            n, per_task = rss
            total = per_task * MILLION
            how = "measured" if n >= MILLION else "from %d" % n
            lines.append([
                "RSS at 1,000,000 live %s (%s)" %
                ("processes" if kind == "process" else "threads", how),
                fmt_bytes(total), "1.00 GiB",
                verdict(total, RSS_TARGET_BYTES)
            ])
    table(["target", "measured", "limit", "verdict"], lines, out)


def render(context, rows):
    out, problems, results = [], [], {}
    out.append("forksim bench: %s, %s CPUs at %s MHz, host kernel %s" %
               (context.get("cpu_model", "unknown CPU"),
                context.get("num_cpus", "?"), context.get("mhz_per_cpu", "?"),
                context.get("host_kernel", "?")))
    out.append("model profile %s, run %s, %s (mode: %s)" %
               (context.get("forksim_profile", "?"), context.get("date", "?"),
                context.get("host_name", "?"),
                context.get("forksim_mode", "?")))
    marshal_section(rows, out, problems)
    three_way_section(rows, out, results)
    copy_process_section(rows, out, problems)
    host_section(rows, out)
    scaling_section(rows, out, problems, results)
    targets_section(rows, out, results)
    return out, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json",
                        nargs="+",
                        help="Google Benchmark JSON ('-': stdin); later "
                        "files override earlier rows")
    parser.add_argument("--check",
                        action="store_true",
                        help="exit 1 on a model error or a wrong counter")
    args = parser.parse_args()
    context, rows = load(args.json)
    out, problems = render(context, rows)
    print("\n".join(out))
    if problems:
        print("", file=sys.stderr)
        for p in problems:
            print("report: " + p, file=sys.stderr)
        if args.check:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
