#!/usr/bin/env python3
"""Draws the scaling curves of docs/benchmarks.md as SVG, from benchmark JSON.

    python3 bench/plot_scaling.py [--out DIR] RESULTS.json [MORE.json ...]

Later files override earlier ones row by row (a default run, then a --full
run of the 1,000,000-task points). Writes DIR/scaling_fds.svg,
scaling_pidns_depth.svg, scaling_live_tasks.svg and memory_per_task.svg
(DIR: bench/plots). Standard library only: the SVG is written by hand.
"""

import argparse
import json
import math
import os
import re

SUFFIX = re.compile(r"/(manual_time|real_time|iterations:\d+|repeats:\d+|"
                    r"min_time:[0-9.]+|threads:\d+)")
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
W, H = 680, 420
LEFT, RIGHT, TOP, BOTTOM = 78, 20, 40, 56


def load(paths):
    rows = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        medians = {}
        for b in data.get("benchmarks", []):
            if b.get("error_occurred"):
                continue
            name = SUFFIX.sub("", b.get("run_name", b["name"]))
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[name] = b
                continue
            rows[name] = b
        rows.update(medians)
    return rows


def series(rows, prefix):
    pat = re.compile(re.escape(prefix) + r"/[a-z_]+:(\d+)$")
    out = []
    for name, b in rows.items():
        m = pat.match(name)
        if m:
            out.append((int(m.group(1)), b))
    return sorted(out, key=lambda x: x[0])


def ns(b):
    return float(b["real_time"]) * UNIT_NS.get(b.get("time_unit", "ns"), 1)


def nice_ticks(lo, hi, n=6):
    span = hi - lo
    if span <= 0:
        return [lo]
    step = 10**math.floor(math.log10(span / n))
    for mult in (1, 2, 5, 10):
        if span / (step * mult) <= n:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(t)
        t += step
    return ticks


def label(v, unit=""):
    if v == 0:
        return "0"
    a = abs(v)
    for suffix, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if a >= size:
            text = ("%.1f" % (v / size)).rstrip("0").rstrip(".")
            return text + suffix + unit
    text = ("%.2f" % v).rstrip("0").rstrip(".") if a < 10 else "%.0f" % v
    return text + unit


def plot(path,
         title,
         xlabel,
         ylabel,
         curves,
         xlog,
         ylog,
         yunit="",
         legend_top=0.0):
    """curves: [(name, [(x, y)], color, dashed)]; points with x or y <= 0 are
    dropped on a log axis. The legend starts `legend_top` (a fraction of the
    plot's height) below its top."""
    pts_all = []
    for _, pts, _, _ in curves:
        for x, y in pts:
            if (xlog and x <= 0) or (ylog and y <= 0):
                continue
            pts_all.append((x, y))
    if not pts_all:
        return False
    xs = [p[0] for p in pts_all]
    ys = [p[1] for p in pts_all]

    def rng(vals, log):
        lo, hi = min(vals), max(vals)
        if log:
            return (10**math.floor(math.log10(lo)),
                    10**math.ceil(math.log10(hi)))
        lo = min(lo, 0)
        return lo, hi * 1.08 if hi > lo else lo + 1

    x0, x1 = rng(xs, xlog)
    y0, y1 = rng(ys, ylog)
    if xlog and x1 == x0:
        x1 = x0 * 10
    if ylog and y1 == y0:
        y1 = y0 * 10
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def sx(x):
        f = ((math.log10(x) - math.log10(x0)) /
             (math.log10(x1) - math.log10(x0))) if xlog else (x - x0) / (x1 -
                                                                        x0)
        return LEFT + f * pw

    def sy(y):
        f = ((math.log10(y) - math.log10(y0)) /
             (math.log10(y1) - math.log10(y0))) if ylog else (y - y0) / (y1 -
                                                                        y0)
        return TOP + ph - f * ph

    svg = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
        'viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">' %
        (W, H, W, H),
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>' %
        (LEFT, title),
    ]

    def ticks(lo, hi, log):
        if log:
            out = []
            e = round(math.log10(lo))
            while 10**e <= hi * 1.0001:
                out.append(10**e)
                e += 1
            return out
        return nice_ticks(lo, hi)

    for t in ticks(x0, x1, xlog):
        x = sx(t)
        svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                   % (x, TOP, x, TOP + ph))
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' %
                   (x, TOP + ph + 16, label(t)))
    for t in ticks(y0, y1, ylog):
        y = sy(t)
        svg.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                   % (LEFT, y, LEFT + pw, y))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' %
                   (LEFT - 6, y + 4, label(t, yunit)))
    svg.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" '
               'stroke="#444"/>' % (LEFT, TOP, pw, ph))
    svg.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' %
               (LEFT + pw / 2, H - 14, xlabel))
    svg.append('<text transform="translate(16,%d) rotate(-90)" '
               'text-anchor="middle">%s</text>' % (TOP + ph / 2, ylabel))
    for i, (name, pts, color, dashed) in enumerate(curves):
        pts = [(x, y) for x, y in pts
               if not ((xlog and x <= 0) or (ylog and y <= 0))]
        if not pts:
            continue
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        coords = " ".join("%.1f,%.1f" % (sx(x), sy(y)) for x, y in pts)
        svg.append('<polyline points="%s" fill="none" stroke="%s" '
                   'stroke-width="2"%s/>' % (coords, color, dash))
        if not dashed:
            for x, y in pts:
                svg.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' %
                           (sx(x), sy(y), color))
        ly = TOP + legend_top * ph + 16 + 16 * i
        svg.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" '
                   'stroke-width="2"%s/>' %
                   (LEFT + 10, ly - 4, LEFT + 34, ly - 4, color, dash))
        svg.append('<text x="%d" y="%.1f">%s</text>' % (LEFT + 40, ly, name))
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")
    return True


def phases(points, xkey=None):
    """fork/exit/reap/cycle curves from scaling rows."""
    out = []
    for i, (key, name) in enumerate((("fork_ns", "fork (copy_process)"),
                                     ("exit_ns", "exit"), ("reap_ns",
                                                           "wait4 (reap)"),
                                     (None, "whole cycle"))):
        pts = []
        for arg, b in points:
            x = float(b[xkey]) if xkey else arg
            y = ns(b) if key is None else float(b.get(key, 0))
            pts.append((x, y))
        out.append((name, pts, COLORS[i], False))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+")
    parser.add_argument("--out",
                        default=os.path.join(os.path.dirname(__file__),
                                             "plots"))
    args = parser.parse_args()
    rows = load(args.json)
    os.makedirs(args.out, exist_ok=True)
    written = []

    fds = series(rows, "scaling/fds")
    if fds:
        curves = phases(fds, xkey="fd_words")
        # A line of slope 1 through the largest fork point: what linear is.
        x_last = float(fds[-1][1]["fd_words"])
        y_last = float(fds[-1][1]["fork_ns"])
        ref = [(x, y_last * x / x_last) for x in (1, x_last)]
        curves.append(("linear reference", ref, "#888", True))
        shared = series(rows, "scaling/fds_shared")
        if shared:
            curves.insert(1, ("fork, one file in every slot (dup)",
                              [(float(b["fd_words"]), float(b["fork_ns"]))
                               for _, b in shared], COLORS[4], False))
        if plot(os.path.join(args.out, "scaling_fds.svg"),
                "Fork-like cycle against open fds (log-log)",
                "open_fds words of the parent (64 fds each)", "ns per call",
                curves, True, True):
            written.append("scaling_fds.svg")

    depth = series(rows, "scaling/pidns_depth")
    if depth:
        if plot(os.path.join(args.out, "scaling_pidns_depth.svg"),
                "Fork-like cycle against pid namespace depth",
                "level of the parent's pid namespace (child gets level+1 "
                "numbers)", "ns per call", phases(depth), False, False):
            written.append("scaling_pidns_depth.svg")

    curves = []
    mem = []
    for j, (kind, dashed) in enumerate((("process", False), ("thread",
                                                             True))):
        points = series(rows, "scaling/live_tasks/%s" % kind)
        if not points:
            continue
        for i, (key, name) in enumerate((("fork_ns", "fork"), ("exit_ns",
                                                               "exit"),
                                         ("reap_ns", "wait4"))):
            curves.append(("%s (%ses)" % (name, kind) if kind == "process"
                           else "%s (%ss)" % (name, kind),
                           [(a, float(b.get(key, 0))) for a, b in points],
                           COLORS[i], dashed))
        mem.append(("processes" if kind == "process" else "threads", [(a, float(b.get("bytes_per_task", 0)))
                                   for a, b in points if a >= 1000],
                    COLORS[j], False))
    if curves:
        if plot(os.path.join(args.out, "scaling_live_tasks.svg"),
                "Fork-like cycle phases against live tasks (log-log)",
                "other live tasks in the machine", "ns per call", curves,
                True, True):
            written.append("scaling_live_tasks.svg")
    if mem:
        xs = [x for _, pts, _, _ in mem for x, _ in pts]
        if xs:
            mem.append(("1 GiB per 1,000,000 tasks (target)",
                        [(min(xs), 1073.741824), (max(xs), 1073.741824)],
                        "#888", True))
            if plot(os.path.join(args.out, "memory_per_task.svg"),
                    "Host memory per live task (peak RSS growth / tasks)",
                    "live tasks", "bytes per task", mem, True, False,
                    legend_top=0.35):
                written.append("memory_per_task.svg")
    for name in written:
        print(os.path.join(args.out, name))


if __name__ == "__main__":
    main()
