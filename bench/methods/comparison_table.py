#!/usr/bin/env python3
"""Prints a result's "comparison" (compare_methods) as a Markdown table: one row per method."""
import json
import sys


def fmt(v, f="%.2f"):
    return "-" if v is None else f % v


def main(path):
    r = json.load(open(path))
    unit = r["latency"].get("unit") or ""
    prior = r["spec"]["search"]["regularizer"]
    print(f"\n{r['name']}: prior {prior}, mu {r['spec']['search']['mu']}, "
          f"fp32 {fmt(r['accuracy']['fp32'])}%, profile {r['latency']['profile']}")
    print(f"| method | target | searched top-1 | final top-1 | rel. BOPs searched | rel. BOPs final "
          f"| latency searched ({unit}) | latency final ({unit}) | seconds | searched bits w/a (kept channels) "
          f"| final bits w/a |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in r["comparison"]:
        t = row["target"]
        target = "-" if not t else (f"{t['relative_bops_percent']:.4g}% BOPs" if "relative_bops_percent" in t
                                    else f"{t['latency']:.6g} {unit}")
        s = row.get("search") or {}
        if s.get("rounded"):
            target += f" (reached {s['cost']:.4g}, {'within 1%' if s['within_tolerance'] else 'NOT within 1%'})"
        bits = ", ".join(f"{l['name']} {l['weight_bits']}/{l['act_bits']}" for l in row["layers"])
        searched = ", ".join(
            f"{l['name']} {l['searched_weight_bits']}/{l['searched_act_bits']}"
            + (f" ({l['channels_kept']}/{l['channels']})" if l["channels_kept"] != l["channels"] else "")
            for l in row["layers"])
        print(f"| {row['method']} | {target} | {fmt(row['accuracy']['searched'])}% "
              f"| {fmt(row['accuracy']['final'])}% | {fmt(row['relative_bops_percent']['searched'], '%.3f')}% "
              f"| {fmt(row['relative_bops_percent']['final'], '%.3f')}% | {fmt(row['latency']['searched'], '%.0f')} "
              f"| {fmt(row['latency']['final'], '%.0f')} | {row['seconds']:.0f} | {searched} | {bits} |")


if __name__ == "__main__":
    main(sys.argv[1])
