#!/usr/bin/env python3
"""Sums a step_bench --trace file per op: self time (an op's time minus the ops it called) per
step, for the float steps and the search steps, and what the search adds, largest first.
Backward ops run on autograd's thread; they are attributed to the step whose span contains them.
  /usr/bin/python3 bench/trace_summary.py TRACE.json [TOP]"""
import collections
import json
import sys


def main():
    events = [e for e in json.load(open(sys.argv[1])) if e.get("ph") == "X"]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    spans = [(e["ts"], e["ts"] + e["dur"], e["name"]) for e in events if e["name"] in ("float_step", "search_step")]
    counts = collections.Counter(name for _, _, name in spans)
    self_us = {"float_step": collections.Counter(), "search_step": collections.Counter()}
    by_tid = collections.defaultdict(list)
    for e in events:
        if e["name"] not in ("float_step", "search_step"):
            by_tid[e["tid"]].append(e)
    for tid, evs in by_tid.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # (end, event, children time)
        def close(item):
            end, e, child = item
            kind = next((n for s, t, n in spans if s <= e["ts"] <= t), None)
            if kind:
                self_us[kind][e["name"]] += e["dur"] - child
            if stack:
                stack[-1][2] += e["dur"]
        for e in evs:
            while stack and stack[-1][0] <= e["ts"]:
                close(stack.pop())
            stack.append([e["ts"] + e["dur"], e, 0.0])
        while stack:
            close(stack.pop())
    for kind in ("float_step", "search_step"):
        n = max(counts[kind], 1)
        total = sum(self_us[kind].values()) / n / 1000
        wall = sum(t - s for s, t, k in spans if k == kind) / n / 1000
        print(f"{kind}: {n} steps, wall {wall:.1f} ms/step, ops' self time {total:.1f} ms/step")
    nf, ns = max(counts["float_step"], 1), max(counts["search_step"], 1)
    names = set(self_us["float_step"]) | set(self_us["search_step"])
    rows = sorted(((self_us["search_step"][k] / ns - self_us["float_step"][k] / nf) / 1000,
                   self_us["float_step"][k] / nf / 1000, self_us["search_step"][k] / ns / 1000, k)
                  for k in names)
    rows.reverse()
    print(f"{'op':<50} {'float ms':>9} {'search ms':>10} {'added ms':>9}")
    for added, f, s, k in rows[:top]:
        print(f"{k[:50]:<50} {f:9.2f} {s:10.2f} {added:9.2f}")


if __name__ == "__main__":
    main()
