#!/usr/bin/env python3
"""The Fashion-MNIST Pareto figure of docs/RESULTS.md, from the sweeps bench/pareto_sweeps.sh ran.

Two panels, both with a logarithmic cost axis (the points span decades):
  left:  top-1 against relative BOPs, for the sweep on the `bops` profile;
  right: top-1 against modelled cycles on `pulp-xpulpv2`, for the BOPs-prior sweep before Free Bits
         (its searched configurations, read from the points' own results in NAME.points/), the
         same sweep after Free Bits, and the latency-prior sweep; the all-8-bit model's cycles as a
         dashed line.
Each series' Pareto front (no other point of the series is both cheaper and more accurate) is a
line through its points. Labels stay in a legend beside the plots, so none can overlap.

Usage: pareto_figure.py --out FIG.svg BOPS_SWEEP.json BOPS_FREEBITS_SWEEP.json LATENCY_SWEEP.json
Standard library only.
"""
import argparse
import glob
import json
import math
import os
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 1140, 470
PLOT_W, PLOT_H = 330, 330
TOP = 70
PANELS_X = (80, 520)
LEGEND_X = 890
COLOURS = {"bops": "#1f77b4", "searched": "#9e9e9e", "freebits": "#d62728", "latency": "#2ca02c",
           "fp32": "#000000"}


def load(path):
    with open(path) as f:
        return json.load(f)


def points_of(sweep, cost_key):
    """(cost, accuracy) of every succeeded point that has both."""
    out = []
    for p in sweep.get("points", []):
        if p.get("state") == "SUCCEEDED" and isinstance(p.get(cost_key), (int, float)) \
                and isinstance(p.get("accuracy"), (int, float)):
            out.append((float(p[cost_key]), float(p["accuracy"])))
    return out


def point_results(sweep_path):
    """The points' own results, from NAME.points/*.json beside the sweep (pareto_sweeps.sh)."""
    folder = os.path.splitext(sweep_path)[0] + ".points"
    return [load(path) for path in sorted(glob.glob(os.path.join(folder, "*.json")))]


def searched_points(results):
    """(searched latency, searched top-1) of each point."""
    out = []
    for r in results:
        lat, acc = r.get("latency", {}).get("searched"), r.get("accuracy", {}).get("searched")
        if isinstance(lat, (int, float)) and isinstance(acc, (int, float)):
            out.append((float(lat), float(acc)))
    return out


def w8a8_latency(results):
    for r in results:
        lat = r.get("latency", {}).get("w8a8")
        if isinstance(lat, (int, float)):
            return float(lat)
    return None


def front(points):
    """Non-dominated points (lower cost, higher accuracy), by cost."""
    best, out = -math.inf, []
    for cost, acc in sorted(points, key=lambda p: (p[0], -p[1])):
        if acc > best:
            out.append((cost, acc))
            best = acc
    return out


def log_ticks(lo, hi):
    """Powers of ten inside [lo, hi]; 1-2-5 or every multiple where that leaves fewer than three."""
    ticks = []
    for steps in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [m * 10 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                 for m in steps if lo <= m * 10 ** e <= hi]
        if len(ticks) >= 3:
            break
    return ticks


def draw_marker(x, y, colour, kind):
    """A point centred on (x, y): a filled circle, a ring or a square."""
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "ring":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="white" stroke="{colour}" stroke-width="1.5"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>'


def tick_text(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


class Panel:
    def __init__(self, x0, title, x_label, x_range, y_range):
        self.x0, self.title, self.x_label = x0, title, x_label
        self.lx = (math.log10(x_range[0]), math.log10(x_range[1]))
        self.x_range, self.y_range = x_range, y_range

    def px(self, v):
        return self.x0 + (math.log10(v) - self.lx[0]) / (self.lx[1] - self.lx[0]) * PLOT_W

    def py(self, v):
        return TOP + PLOT_H - (v - self.y_range[0]) / (self.y_range[1] - self.y_range[0]) * PLOT_H

    def frame(self):
        s = [f'<text x="{self.x0 + PLOT_W / 2}" y="{TOP - 14}" text-anchor="middle" font-size="14">'
             f'{escape(self.title)}</text>',
             f'<rect x="{self.x0}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#444"/>']
        for t in log_ticks(*self.x_range):
            x = self.px(t)
            s.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + PLOT_H}" stroke="#e4e4e4"/>')
            s.append(f'<text x="{x:.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle" font-size="11">'
                     f'{tick_text(t)}</text>')
        lo, hi = self.y_range
        step = 5 if hi - lo > 12 else 2
        v = math.ceil(lo / step) * step
        while v <= hi:
            y = self.py(v)
            s.append(f'<line x1="{self.x0}" y1="{y:.1f}" x2="{self.x0 + PLOT_W}" y2="{y:.1f}" stroke="#e4e4e4"/>')
            s.append(f'<text x="{self.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{v:g}</text>')
            v += step
        s.append(f'<text x="{self.x0 + PLOT_W / 2}" y="{TOP + PLOT_H + 40}" text-anchor="middle" '
                 f'font-size="12">{escape(self.x_label)}</text>')
        cy = TOP + PLOT_H / 2
        s.append(f'<text x="{self.x0 - 46}" y="{cy}" text-anchor="middle" font-size="12" '
                 f'transform="rotate(-90 {self.x0 - 46} {cy})">top-1 accuracy (%)</text>')
        return s

    def series(self, pts, colour, marker="circle", dashed=False):
        s = []
        f = front(pts)
        if len(f) > 1:
            path = " ".join(f"{self.px(c):.1f},{self.py(a):.1f}" for c, a in f)
            dash = ' stroke-dasharray="5,3"' if dashed else ""
            s.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>')
        s += [draw_marker(self.px(c), self.py(a), colour, marker) for c, a in pts]
        return s

    def vline(self, v, colour, dashed=True):
        x = self.px(v)
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        return [f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + PLOT_H}" stroke="{colour}"{dash}/>']


def span(values, pad):
    lo, hi = min(values), max(values)
    return lo / pad, hi * pad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("bops_sweep")
    ap.add_argument("freebits_sweep")
    ap.add_argument("latency_sweep")
    a = ap.parse_args()
    bops_sweep, fb_sweep, lat_sweep = load(a.bops_sweep), load(a.freebits_sweep), load(a.latency_sweep)

    bops_pts = points_of(bops_sweep, "relative_bops_percent")
    fb_pts = points_of(fb_sweep, "latency")
    lat_pts = points_of(lat_sweep, "latency")
    fb_results = point_results(a.freebits_sweep)
    searched = searched_points(fb_results)
    w8a8 = w8a8_latency(fb_results)
    fp32_acc = [float(f["accuracy"]) for f in bops_sweep.get("fp32", []) if isinstance(f.get("accuracy"), (int, float))]
    for name, pts in (("bops sweep", bops_pts), ("Free Bits sweep", fb_pts), ("latency sweep", lat_pts)):
        if not pts:
            raise SystemExit(f"pareto_figure: the {name} has no succeeded point with its figures")

    all_acc = [p[1] for p in bops_pts + fb_pts + lat_pts + searched] + fp32_acc
    y_range = (math.floor(min(all_acc) - 1), math.ceil(max(all_acc) + 1))
    left = Panel(PANELS_X[0], "BOPs prior, profile bops", "relative BOPs (%, log scale)",
                 span([p[0] for p in bops_pts] + [100.0], 1.4), y_range)
    cycles = [p[0] for p in fb_pts + lat_pts + searched] + ([w8a8] if w8a8 else [])
    right = Panel(PANELS_X[1], "pulp-xpulpv2 (modelled cycles)", "latency (cycles, modelled, log scale)",
                  span(cycles, 1.4), y_range)

    body = left.frame() + right.frame()
    body += left.series(bops_pts, COLOURS["bops"])
    if fp32_acc:
        body += left.series([(100.0, fp32_acc[0])], COLOURS["fp32"], marker="square")
    if w8a8:
        body += right.vline(w8a8, "#555")
    body += right.series(searched, COLOURS["searched"], marker="ring", dashed=True)
    body += right.series(fb_pts, COLOURS["freebits"])
    body += right.series(lat_pts, COLOURS["latency"])

    legend = [("bops", "circle", "BOPs prior (final)"),
              ("searched", "ring", "BOPs prior, searched (before Free Bits, before fine-tune)"),
              ("freebits", "circle", "BOPs prior + Free Bits (final)"),
              ("latency", "circle", "latency prior (final)"),
              ("fp32", "square", "float model (100% BOPs)")]
    y = TOP + 8
    body.append(f'<text x="{LEGEND_X}" y="{y}" font-size="12" font-weight="bold">series</text>')
    for key, marker, text in legend:
        y += 22
        body.append(draw_marker(LEGEND_X + 4, y - 4, COLOURS[key], marker))
        # Long entries wrap at the legend's width (about 30 characters a line).
        words, line, lines = text.split(), "", []
        for w in words:
            if len(line) + len(w) + 1 > 30:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines.append(line)
        for i, l in enumerate(lines):
            body.append(f'<text x="{LEGEND_X + 16}" y="{y + i * 14}" font-size="11">{escape(l)}</text>')
        y += 14 * (len(lines) - 1)
    if w8a8:
        y += 22
        body.append(f'<line x1="{LEGEND_X}" y1="{y - 4}" x2="{LEGEND_X + 10}" y2="{y - 4}" stroke="#555" stroke-dasharray="6,4"/>')
        body.append(f'<text x="{LEGEND_X + 16}" y="{y}" font-size="11">all-8-bit model ({w8a8:,.0f} cycles)</text>')
    y += 26
    body.append(f'<text x="{LEGEND_X}" y="{y}" font-size="11">Lines: each series\' Pareto front.</text>')

    title = "LeNet-5 on Fashion-MNIST: top-1 against cost, one point per prior strength mu"
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="26" text-anchor="middle" font-size="16">{escape(title)}</text>']
    svg += body + ["</svg>"]
    with open(a.out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
