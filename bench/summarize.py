#!/usr/bin/env python3
"""Prints one Markdown row per bitsearch result JSON: accuracy, relative BOPs, latency."""
import json
import sys


def fmt(v, pattern="{:.2f}"):
    return "-" if v is None else pattern.format(v)


print("| job | prior | mu | fp32 | searched | final | rel. BOPs searched | rel. BOPs final "
      "| latency searched | latency final | w8a8 | final vs w8a8 | baselines |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for path in sys.argv[1:]:
    r = json.load(open(path))
    s = r["spec"]["search"]
    lat = r["latency"]
    base = "; ".join(f"{b['name']} {fmt(b['accuracy'])}% @ {fmt(b['latency'], '{:.4g}')}"
                     for b in r["baselines"])
    ratio = None
    if lat.get("final") is not None and lat.get("w8a8"):
        ratio = lat["final"] / lat["w8a8"]
    print(f"| {r['name']} | {s['regularizer']} | {s['mu']} | {fmt(r['accuracy']['fp32'])} "
          f"| {fmt(r['accuracy']['searched'])} | {fmt(r['accuracy']['final'])} "
          f"| {fmt(r['relative_bops_percent_searched'], '{:.3f}')}% | {fmt(r['relative_bops_percent'], '{:.3f}')}% "
          f"| {fmt(lat.get('searched'), '{:.4g}')} | {fmt(lat.get('final'), '{:.4g}')} "
          f"| {fmt(lat.get('w8a8'), '{:.4g}')} | {fmt(ratio, '{:.3f}')}x | {base} |")
